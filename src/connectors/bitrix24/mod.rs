//! The Bitrix24 connector: users, pipelines, then deals, stage history,
//! activities and tasks, comments and calls, each asked only for what
//! changed since its cursor (less the overlap), 50 rows a page in ID order
//! with a `>ID` filter, stored page by page.

mod api;
mod records;

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::app::pull::{PullError, PullOptions, PullReport};
use crate::config::{Config, CrmApiConfig, SourceConfig};
use crate::connectors::Convert;
use crate::connectors::http::RemoteError;
use crate::connectors::mapping::{CrmMapping, CrmStage, int, text};
use crate::connectors::session::{Pass, Session};
use crate::domain::{CallKind, StageKind};
use crate::sources::Records;
use crate::storage::{Rejected, Store};
use api::{BATCH, Bitrix, PAGE, command, rows};
use records::ActivityRow;

/// The entities, in the order they are pulled.
pub const ENTITIES: &[&str] = &[
    "users",
    "deals",
    "stage_changes",
    "activities",
    "comments",
    "comments_closed",
    "comments_recent",
    "calls",
];

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

struct Puller<'s, 'a> {
    api: Bitrix,
    map: CrmMapping,
    session: &'s mut Session<'a>,
    overlap: chrono::Duration,
    /// Client kinds of the deals seen in this pull, for their calls.
    deal_kinds: HashMap<String, CallKind>,
}

fn reject(method: &str, row: &Value, reason: String) -> Rejected {
    Rejected {
        file: method.to_owned(),
        line: int(row.get("ID")).unwrap_or(0),
        record: text(row.get("ID")).unwrap_or_default(),
        reason,
        raw: serde_json::to_string(row).unwrap_or_default(),
    }
}

fn remote(e: RemoteError) -> PullError {
    PullError::Remote(e.to_string())
}

impl Puller<'_, '_> {
    /// The lower time bound of a pass, overlap included, as Bitrix24 reads it.
    fn from(&self, pass: &Pass) -> Option<String> {
        // The documented form (`data-types.md`, datetime): seconds and the
        // offset, in the portal's time, no fractions.
        pass.from.map(|t| {
            (t - self.overlap)
                .with_timezone(&self.map.timezone())
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
        })
    }

    /// `user.get`, paged by `start`/`next`: all users each time (few rows).
    async fn users(&mut self) -> Result<(), PullError> {
        let mut start = 0i64;
        let mut users = Vec::new();
        let mut rejects = Vec::new();
        loop {
            let answer = self
                .api
                .call(
                    "user.get",
                    &json!({ "sort": "ID", "order": "ASC", "start": start }),
                )
                .await
                .map_err(remote)?;
            for row in rows(&answer) {
                match records::user(&self.map, &row) {
                    Ok(u) => users.push(u),
                    Err(e) => rejects.push(reject("user.get", &row, e)),
                }
            }
            match answer.get("next").and_then(Value::as_i64) {
                Some(next) if next > start => start = next,
                _ => break,
            }
        }
        self.session
            .save("users", vec![Records::CrmUsers(users)], rejects, None)
            .await
    }

    /// Pipelines (`crm.category.list`) and their stages (`crm.status.list`,
    /// one `batch`): names for messages, and which stages are won or lost.
    async fn pipelines(&mut self) -> Result<(), PullError> {
        let answer = self
            .api
            .call("crm.category.list", &json!({ "entityTypeId": 2 }))
            .await
            .map_err(remote)?;
        let mut entities = vec!["DEAL_STAGE".to_owned()];
        for category in rows(&answer) {
            match int(category.get("id")) {
                Some(0) | None => {}
                Some(id) => entities.push(format!("DEAL_STAGE_{id}")),
            }
        }
        for chunk in entities.chunks(BATCH) {
            let commands: Vec<(String, String)> = chunk
                .iter()
                .map(|e| {
                    (
                        e.clone(),
                        command("crm.status.list", &[("filter[ENTITY_ID]", e.clone())]),
                    )
                })
                .collect();
            for (entity, answer) in self.api.batch(&commands).await.map_err(remote)? {
                let stages = match answer {
                    Ok((stages, _)) => stages,
                    Err(e) => {
                        // Deals of that pipeline in stages the config does
                        // not name are set aside, each with its reason.
                        self.session.report.notes.push(format!(
                            "crm.status.list {entity}: {e}; its stages are known only as the config names them"
                        ));
                        continue;
                    }
                };
                for stage in stages {
                    let Some(id) = text(stage.get("STATUS_ID")) else {
                        continue;
                    };
                    let semantics = text(stage.get("SEMANTICS"))
                        .or_else(|| stage.get("EXTRA").and_then(|x| text(x.get("SEMANTICS"))));
                    let kind = match semantics.as_deref() {
                        Some("S" | "success") => Some(StageKind::Won),
                        Some("F" | "failure") => Some(StageKind::Lost),
                        _ => None,
                    };
                    let name = text(stage.get("NAME")).unwrap_or_else(|| id.clone());
                    self.map.crm_stages.insert(id, CrmStage { name, kind });
                }
            }
        }
        Ok(())
    }

    /// One pass over a list method in ID order: `params` builds the request
    /// for the rows after `last_id`; `convert` turns a page into records.
    async fn by_id(
        &mut self,
        entity: &str,
        method: &str,
        params: &(dyn Fn(i64, Option<String>) -> Value + Sync),
        convert: Convert<'_, Self>,
    ) -> Result<(), PullError> {
        let mut pass = self.session.pass(entity);
        let from = self.from(&pass);
        // A first pull reads the whole history: its first page is asked
        // with `start` 0, which brings the `total` to expect.
        let mut first = from.is_none() && pass.last_id == 0;
        loop {
            let mut request = params(pass.last_id, from.clone());
            if first {
                request["start"] = json!(0);
            }
            let answer = self.api.call(method, &request).await.map_err(remote)?;
            if std::mem::take(&mut first)
                && let Some(total) = answer.get("total").and_then(Value::as_u64)
            {
                self.session.expect(entity, total);
            }
            let page = rows(&answer);
            let full = page.len() >= PAGE;
            if let Some(last) = page.iter().filter_map(|r| int(r.get("ID"))).max() {
                pass.last_id = pass.last_id.max(last);
            }
            let (records, rejects) = convert(self, page);
            self.session
                .save(entity, records, rejects, Some(&pass))
                .await?;
            if !full {
                break;
            }
        }
        self.session.finish_pass(entity, &pass).await
    }

    async fn deals(&mut self) -> Result<(), PullError> {
        let extra: Vec<String> = [
            &self.map.api.channel_field,
            &self.map.api.temperature_field,
            &self.map.api.client_kind_field,
        ]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
        let params = move |last_id: i64, from: Option<String>| {
            let mut filter = json!({ ">ID": last_id });
            if let Some(from) = from {
                filter[">=DATE_MODIFY"] = json!(from);
            }
            let mut select: Vec<String> = [
                "ID",
                "TITLE",
                "STAGE_ID",
                "CATEGORY_ID",
                "OPPORTUNITY",
                "CURRENCY_ID",
                "ASSIGNED_BY_ID",
                "SOURCE_ID",
                "CONTACT_ID",
                "COMPANY_ID",
                "DATE_CREATE",
                "DATE_MODIFY",
                "MOVED_TIME",
                "CLOSED",
                "CLOSEDATE",
            ]
            .map(String::from)
            .to_vec();
            select.extend(extra.iter().cloned());
            json!({ "order": { "ID": "ASC" }, "filter": filter, "select": select, "start": -1 })
        };
        self.by_id("deals", "crm.deal.list", &params, &mut |p, page| {
            let (mut deals, mut rejects) = (Vec::new(), Vec::new());
            for row in page {
                match records::deal(&mut p.map, &row) {
                    Ok((deal, kind)) => {
                        if let Some(kind) = kind {
                            p.deal_kinds.insert(deal.external_id.to_string(), kind);
                        }
                        deals.push(deal);
                    }
                    Err(e) => rejects.push(reject("crm.deal.list", &row, e)),
                }
            }
            (vec![Records::Deals(deals)], rejects)
        })
        .await
    }

    /// Stage moves from `crm.stagehistory.list`. The history gives each
    /// row's new stage; the stage before is the deal's previous row: in this
    /// pull when it came first, else asked for (`filter[OWNER_ID]`,
    /// `filter[<ID]`, `order[ID]=DESC`, one `batch` a page), so an
    /// incremental pull or a `--since` re-pull gives the same `from` as a
    /// full one.
    async fn stage_changes(&mut self) -> Result<(), PullError> {
        let mut pass = self.session.pass("stage_changes");
        let from = self.from(&pass);
        let mut last_stage: HashMap<String, String> = HashMap::new();
        loop {
            let mut filter = json!({ ">ID": pass.last_id });
            if let Some(from) = &from {
                filter[">=CREATED_TIME"] = json!(from);
            }
            let params = json!({ "entityTypeId": 2, "order": { "ID": "ASC" }, "filter": filter, "start": -1 });
            let answer = self
                .api
                .call("crm.stagehistory.list", &params)
                .await
                .map_err(remote)?;
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
                match records::stage_change(&mut self.map, &row, from) {
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
    ) -> Result<HashMap<String, String>, PullError> {
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
            for (key, answer) in self.api.batch(&commands).await.map_err(remote)? {
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
                    Err(e) => self.session.report.notes.push(format!(
                        "crm.stagehistory.list: the stage before deal {deal}'s move could not be read ({e}); its move is kept without it"
                    )),
                }
            }
        }
        Ok(found)
    }

    async fn activities(&mut self) -> Result<(), PullError> {
        let params = |last_id: i64, from: Option<String>| {
            let mut filter = json!({ ">ID": last_id });
            if let Some(from) = from {
                filter[">=LAST_UPDATED"] = json!(from);
            }
            json!({
                "order": { "ID": "ASC" },
                "filter": filter,
                "select": ["ID", "TYPE_ID", "PROVIDER_ID", "OWNER_ID", "OWNER_TYPE_ID", "SUBJECT",
                           "START_TIME", "END_TIME", "DEADLINE", "COMPLETED", "RESPONSIBLE_ID", "DIRECTION",
                           "CREATED", "LAST_UPDATED"],
                "start": -1,
            })
        };
        self.by_id(
            "activities",
            "crm.activity.list",
            &params,
            &mut |p, page| {
                let (mut tasks, mut done, mut rejects) = (Vec::new(), Vec::new(), Vec::new());
                let mut planned = Vec::new();
                for row in page {
                    match records::activity(&mut p.map, &row) {
                        Ok(ActivityRow::Task(t)) => tasks.push(t),
                        Ok(ActivityRow::Activity(a)) => done.push(a),
                        Ok(ActivityRow::Meeting(t, meeting, held)) => {
                            tasks.push(t);
                            if held {
                                done.push(meeting);
                            } else {
                                // Stored as held before (reopened, or read
                                // by an earlier version): no longer counted.
                                planned.push(meeting);
                            }
                        }
                        Ok(ActivityRow::Skip) => {}
                        Err(e) => rejects.push(reject("crm.activity.list", &row, e)),
                    }
                }
                (
                    vec![
                        Records::Tasks(tasks),
                        Records::Activities(done),
                        Records::MeetingsNotHeld(planned),
                    ],
                    rejects,
                )
            },
        )
        .await
    }

    /// Comments are listed per deal (`crm.timeline.comment.list` takes only
    /// `ENTITY_ID` and `ENTITY_TYPE` as its filter, no time): every open
    /// deal's each pull, since a comment does not change its deal's
    /// `DATE_MODIFY`, the closed deals changed since the cursor, and (after
    /// the first pull) the deals closed in the last week; 50 deals a page,
    /// then one `batch` of 50 comment lists per page.
    async fn comments(&mut self) -> Result<(), PullError> {
        self.comments_pass("comments", CommentsOf::Open).await?;
        self.comments_pass("comments_closed", CommentsOf::ClosedChanged)
            .await?;
        self.comments_pass("comments_recent", CommentsOf::RecentlyClosed)
            .await
    }

    async fn comments_pass(&mut self, entity: &str, which: CommentsOf) -> Result<(), PullError> {
        let mut pass = self.session.pass(entity);
        let from = self.from(&pass);
        if which == CommentsOf::RecentlyClosed && from.is_none() {
            // A first pull reads every closed deal's comments already.
            return self.session.finish_pass(entity, &pass).await;
        }
        let recent = (chrono::Utc::now() - chrono::Duration::days(RECENTLY_CLOSED_DAYS))
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
                .map_err(remote)?;
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
    ) -> Result<(Vec<crate::domain::Comment>, Vec<Rejected>), PullError> {
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
            for (key, answer) in self.api.batch(&commands).await.map_err(remote)? {
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
                    match records::comment(&mut self.map, row, &deal) {
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

    async fn calls(&mut self) -> Result<(), PullError> {
        let params = |last_id: i64, from: Option<String>| {
            let mut filter = json!({ ">ID": last_id });
            if let Some(from) = from {
                filter[">=CALL_START_DATE"] = json!(from);
            }
            json!({ "FILTER": filter, "SORT": "ID", "ORDER": "ASC" })
        };
        self.by_id(
            "calls",
            "voximplant.statistic.get",
            &params,
            &mut |p, page| {
                let (mut calls, mut rejects) = (Vec::new(), Vec::new());
                let kinds = std::mem::take(&mut p.deal_kinds);
                for row in page {
                    match records::call(&mut p.map, &row, &|deal| kinds.get(deal).copied()) {
                        Ok(c) => calls.push(c),
                        Err(e) => rejects.push(reject("voximplant.statistic.get", &row, e)),
                    }
                }
                p.deal_kinds = kinds;
                (vec![Records::Calls(calls)], rejects)
            },
        )
        .await
    }

    /// Users, pipelines and deals first (the others refer to them); then
    /// each other kind on its own: one that fails does not stop the rest,
    /// and the pull says which failed.
    async fn run(&mut self) -> Result<(), PullError> {
        self.users().await?;
        self.pipelines().await?;
        self.deals().await?;
        let outcomes = vec![
            ("stage_changes", self.stage_changes().await),
            ("activities", self.activities().await),
            ("comments", self.comments().await),
            ("calls", self.calls().await),
        ];
        crate::connectors::each_kind(outcomes)
    }
}

/// Pulls a Bitrix24 portal into the store.
pub async fn pull(
    store: &Store,
    config: &Config,
    source: &SourceConfig,
    api: &CrmApiConfig,
    options: &PullOptions,
) -> Result<PullReport, PullError> {
    let client = Bitrix::new(api).map_err(remote)?;
    let target = api.host();
    let mut session = Session::start(store, &source.name, "bitrix24", &target, options).await?;
    let mut puller = Puller {
        api: client,
        map: CrmMapping::new(config, source, api),
        session: &mut session,
        overlap: api.overlap,
        deal_kinds: HashMap::new(),
    };
    let outcome = puller.run().await;
    let requests = puller.api.client.requests;
    let unmapped = std::mem::take(&mut puller.map.unmapped);
    session.finish(requests, unmapped, outcome).await
}
