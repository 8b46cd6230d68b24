//! Bitrix24's deal comments (`crm.timeline.comment.list`): listed per
//! deal, in `batch`es, for the open deals, the closed ones changed since the
//! cursor and the ones closed lately.

use serde_json::json;

use super::api::{BATCH, PAGE, command, rows};
use super::records;
use super::{Failed, Puller, reject};
use crate::connectors::PageSink;
use crate::connectors::mapping::int;
use crate::sources::{Records, Rejected};

/// Deals closed this many days ago or less have their comments read each
/// pull too: a comment does not change its deal, and a closed deal is still
/// talked about (its calls' trace, a reopened client).
const RECENTLY_CLOSED_DAYS: i64 = 7;

/// Which deals' comments a pass reads.
#[derive(Clone, Copy, PartialEq, Eq)]
enum CommentsOf {
    /// Every open deal.
    Open,
    /// Closed deals changed since the cursor.
    ClosedChanged,
    /// Deals closed in the last `RECENTLY_CLOSED_DAYS`, changed or not.
    RecentlyClosed,
}

impl<S: PageSink> Puller<'_, S> {
    /// Comments are listed per deal (`crm.timeline.comment.list` takes only
    /// `ENTITY_ID` and `ENTITY_TYPE` as its filter, no time): every open
    /// deal's each pull, since a comment does not change its deal's
    /// `DATE_MODIFY`, the closed deals changed since the cursor, and (after
    /// the first pull) the deals closed in the last week; 50 deals a page,
    /// then one `batch` of 50 comment lists per page.
    pub(super) async fn comments(&mut self) -> Result<(), Failed<S>> {
        self.comments_pass("comments", CommentsOf::Open).await?;
        self.comments_pass("comments_closed", CommentsOf::ClosedChanged)
            .await?;
        self.comments_pass("comments_recent", CommentsOf::RecentlyClosed)
            .await
    }

    async fn comments_pass(&mut self, entity: &str, which: CommentsOf) -> Result<(), Failed<S>> {
        let mut pass = self.session.pass(entity);
        let from = self.from(&pass);
        if which == CommentsOf::RecentlyClosed && from.is_none() {
            // A first pull reads every closed deal's comments already.
            return self.session.finish_pass(entity, &pass).await;
        }
        let recent = (self.now - chrono::Duration::days(RECENTLY_CLOSED_DAYS))
            .with_timezone(&self.map.timezone())
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, false);
        loop {
            let closed = which != CommentsOf::Open;
            let mut filter =
                json!({ ">ID": pass.last_id, "CLOSED": if closed { "Y" } else { "N" } });
            match (which, &from) {
                (CommentsOf::ClosedChanged, Some(from)) => {
                    filter[">=DATE_MODIFY"] = json!(from);
                }
                (CommentsOf::RecentlyClosed, _) => filter[">=CLOSEDATE"] = json!(recent),
                _ => {}
            }
            let answer = self
                .api
                .call(
                    "crm.deal.list",
                    &json!({ "order": { "ID": "ASC" }, "filter": filter, "select": ["ID"], "start": -1 }),
                )
                .await
                ?;
            let deals: Vec<i64> = rows(&answer)
                .iter()
                .filter_map(|r| int(r.get("ID")))
                .collect();
            let full = deals.len() >= PAGE;
            let (comments, rejects) = self.comments_of(&deals).await?;
            if let Some(last) = deals.iter().max() {
                pass.last_id = pass.last_id.max(*last);
            }
            self.session
                .save(
                    entity,
                    vec![Records::Comments(comments)],
                    rejects,
                    Some(&pass),
                )
                .await?;
            if !full {
                break;
            }
        }
        self.session.finish_pass(entity, &pass).await
    }

    async fn comments_of(
        &mut self,
        deals: &[i64],
    ) -> Result<(Vec<crate::domain::Comment>, Vec<Rejected>), Failed<S>> {
        let (mut comments, mut rejects) = (Vec::new(), Vec::new());
        // (deal, start) still to ask for.
        let mut todo: Vec<(i64, i64)> = deals.iter().map(|d| (*d, 0)).collect();
        while !todo.is_empty() {
            let take = todo.len().min(BATCH);
            let chunk: Vec<(i64, i64)> = todo.drain(..take).collect();
            let commands: Vec<(String, String)> = chunk
                .iter()
                .map(|(deal, start)| {
                    let params = vec![
                        ("filter[ENTITY_ID]", deal.to_string()),
                        ("filter[ENTITY_TYPE]", "deal".to_owned()),
                        ("start", start.to_string()),
                    ];
                    (
                        format!("d{deal}"),
                        command("crm.timeline.comment.list", &params),
                    )
                })
                .collect();
            for (key, answer) in self.api.batch(&commands).await? {
                let deal = key.trim_start_matches('d').to_owned();
                let (items, next) = match answer {
                    Ok(rows) => rows,
                    Err(e) => {
                        // One deal's comments refused: set aside, named; the
                        // other deals' comments and the rest of the pull go on.
                        rejects.push(Rejected {
                            file: "crm.timeline.comment.list".to_owned(),
                            line: deal.parse().unwrap_or(0),
                            record: format!("deal {deal}"),
                            reason: format!("the comments of deal {deal} could not be read: {e}"),
                            raw: commands
                                .iter()
                                .find(|(k, _)| *k == key)
                                .map(|(_, c)| c.clone())
                                .unwrap_or_default(),
                        });
                        continue;
                    }
                };
                for row in &items {
                    match records::comment(self.map, row, &deal) {
                        Ok(c) => comments.push(c),
                        Err(e) => rejects.push(reject("crm.timeline.comment.list", row, e)),
                    }
                }
                if let (Some(next), Ok(deal)) = (next, deal.parse::<i64>()) {
                    todo.push((deal, next));
                }
            }
        }
        Ok((comments, rejects))
    }
}
