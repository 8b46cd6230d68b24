//! Bitrix24's stage moves (`crm.stagehistory.list`), each with the stage
//! the deal left.

use std::collections::HashMap;

use serde_json::json;

use super::api::{BATCH, PAGE, command, rows};
use super::records;
use super::{Failed, Puller, reject};
use crate::connectors::PageSink;
use crate::connectors::mapping::{int, text};
use crate::sources::Records;

impl<S: PageSink> Puller<'_, S> {
    /// Stage moves from `crm.stagehistory.list`. The history gives each
    /// row's new stage; the stage before is the deal's previous row: in this
    /// pull when it came first, else asked for (`filter[OWNER_ID]`,
    /// `filter[<ID]`, `order[ID]=DESC`, one `batch` a page), so an
    /// incremental pull or a `--since` re-pull gives the same `from` as a
    /// full one.
    pub(super) async fn stage_changes(&mut self) -> Result<(), Failed<S>> {
        let mut pass = self.session.pass("stage_changes");
        let from = self.from(&pass);
        let mut last_stage: HashMap<String, String> = HashMap::new();
        loop {
            let mut filter = json!({ ">ID": pass.last_id });
            if let Some(from) = &from {
                filter[">=CREATED_TIME"] = json!(from);
            }
            let params = json!({ "entityTypeId": 2, "order": { "ID": "ASC" }, "filter": filter, "start": -1 });
            let answer = self.api.call("crm.stagehistory.list", &params).await?;
            let page = rows(&answer);
            let full = page.len() >= PAGE;
            if let Some(last) = page.iter().filter_map(|r| int(r.get("ID"))).max() {
                pass.last_id = pass.last_id.max(last);
            }
            // Deals whose first row here is a move: the row before it.
            let mut wanted: Vec<(String, i64)> = Vec::new();
            let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
            for row in &page {
                let deal = text(row.get("OWNER_ID")).unwrap_or_default();
                if last_stage.contains_key(&deal) || !seen.insert(deal.clone()) {
                    continue;
                }
                if int(row.get("TYPE_ID")) != Some(1)
                    && let Some(id) = int(row.get("ID"))
                {
                    wanted.push((deal, id));
                }
            }
            let before = self.stages_before(&wanted).await?;
            for (deal, stage) in before {
                last_stage.entry(deal).or_insert(stage);
            }
            let (mut moves, mut rejects) = (Vec::new(), Vec::new());
            for row in page {
                let deal = text(row.get("OWNER_ID")).unwrap_or_default();
                let to = text(row.get("STAGE_ID"));
                let from = last_stage.get(&deal).and_then(|s| self.map.stage(s).ok());
                if let Some(to) = &to {
                    last_stage.insert(deal.clone(), to.clone());
                }
                if int(row.get("TYPE_ID")) == Some(1) {
                    continue; // the deal's creation, not a move
                }
                match records::stage_change(self.map, &row, from) {
                    Ok(m) => moves.push(m),
                    Err(e) => rejects.push(reject("crm.stagehistory.list", &row, e)),
                }
            }
            self.session
                .save(
                    "stage_changes",
                    vec![Records::StageChanges(moves)],
                    rejects,
                    Some(&pass),
                )
                .await?;
            if !full {
                break;
            }
        }
        self.session.finish_pass("stage_changes", &pass).await
    }

    /// The stage of each deal's history row before the given row id.
    async fn stages_before(
        &mut self,
        wanted: &[(String, i64)],
    ) -> Result<HashMap<String, String>, Failed<S>> {
        let mut found = HashMap::new();
        for chunk in wanted.chunks(BATCH) {
            let commands: Vec<(String, String)> = chunk
                .iter()
                .map(|(deal, id)| {
                    (
                        format!("d{deal}"),
                        command(
                            "crm.stagehistory.list",
                            &[
                                ("entityTypeId", "2".to_owned()),
                                ("filter[OWNER_ID]", deal.clone()),
                                ("filter[<ID]", id.to_string()),
                                ("order[ID]", "DESC".to_owned()),
                                ("select[]", "ID".to_owned()),
                                ("select[]", "STAGE_ID".to_owned()),
                            ],
                        ),
                    )
                })
                .collect();
            for (key, answer) in self.api.batch(&commands).await? {
                let deal = key.trim_start_matches('d').to_owned();
                match answer {
                    Ok((items, _)) => {
                        let previous = items
                            .iter()
                            .max_by_key(|r| int(r.get("ID")).unwrap_or(0))
                            .and_then(|r| text(r.get("STAGE_ID")));
                        if let Some(stage) = previous {
                            found.insert(deal, stage);
                        }
                    }
                    Err(e) => self.session.note(format!(
                        "crm.stagehistory.list: the stage before deal {deal}'s move could not be read ({e}); its move is kept without it"
                    )),
                }
            }
        }
        Ok(found)
    }
}
