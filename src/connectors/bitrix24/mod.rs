//! The Bitrix24 connector: users, pipelines, then deals, stage history,
//! activities and tasks, comments and calls, each asked only for what
//! changed since its cursor (less the overlap), 50 rows a page in ID order
//! with a `>ID` filter, stored page by page.

mod api;
mod comments;
mod records;
mod stages;

use std::collections::HashMap;

use serde_json::{Value, json};

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::config::{Config, CrmApiConfig, SourceConfig};
use crate::connectors::http::RemoteError;
use crate::connectors::mapping::{CrmMapping, CrmStage, int, text};
use crate::connectors::{Convert, CrmConnector, CrmError, PageSink, Pass};
use crate::domain::{CallKind, StageKind};
use crate::sources::{Records, Rejected};
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

/// A Bitrix24 portal: its API and how its rows map to records.
pub struct Bitrix24 {
    api: Bitrix,
    map: CrmMapping,
    overlap: chrono::Duration,
    /// When the pull began.
    now: DateTime<Utc>,
}

/// One pull of a portal into a sink.
struct Puller<'s, S: PageSink> {
    api: &'s mut Bitrix,
    map: &'s mut CrmMapping,
    session: &'s mut S,
    overlap: chrono::Duration,
    now: DateTime<Utc>,
    /// Client kinds of the deals seen in this pull, for their calls.
    deal_kinds: HashMap<String, CallKind>,
}

/// What a pull of `S` fails with.
type Failed<S> = CrmError<<S as PageSink>::Error>;

fn reject(method: &str, row: &Value, reason: String) -> Rejected {
    Rejected {
        file: method.to_owned(),
        line: int(row.get("ID")).unwrap_or(0),
        record: text(row.get("ID")).unwrap_or_default(),
        reason,
        raw: serde_json::to_string(row).unwrap_or_default(),
    }
}

impl<S: PageSink> Puller<'_, S> {
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
    async fn users(&mut self) -> Result<(), Failed<S>> {
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
                .await?;
            for row in rows(&answer) {
                match records::user(self.map, &row) {
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
    async fn pipelines(&mut self) -> Result<(), Failed<S>> {
        let answer = self
            .api
            .call("crm.category.list", &json!({ "entityTypeId": 2 }))
            .await?;
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
            for (entity, answer) in self.api.batch(&commands).await? {
                let stages = match answer {
                    Ok((stages, _)) => stages,
                    Err(e) => {
                        // Deals of that pipeline in stages the config does
                        // not name are set aside, each with its reason.
                        self.session.note(format!(
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
    ) -> Result<(), Failed<S>> {
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
            let answer = self.api.call(method, &request).await?;
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

    async fn deals(&mut self) -> Result<(), Failed<S>> {
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
                match records::deal(p.map, &row) {
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

    async fn activities(&mut self) -> Result<(), Failed<S>> {
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
                    match records::activity(p.map, &row) {
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

    async fn calls(&mut self) -> Result<(), Failed<S>> {
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
                    match records::call(p.map, &row, &|deal| kinds.get(deal).copied()) {
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
    async fn run(&mut self) -> Result<(), Failed<S>> {
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

impl CrmConnector for Bitrix24 {
    const KIND: &'static str = "bitrix24";

    fn connect(
        config: &Config,
        source: &SourceConfig,
        api: &CrmApiConfig,
        now: DateTime<Utc>,
    ) -> Result<Self, RemoteError> {
        Ok(Self {
            api: Bitrix::new(api)?,
            map: CrmMapping::new(config, source, api),
            overlap: api.overlap,
            now,
        })
    }

    async fn run<S: PageSink>(&mut self, sink: &mut S) -> Result<(), Failed<S>> {
        Puller {
            api: &mut self.api,
            map: &mut self.map,
            session: sink,
            overlap: self.overlap,
            now: self.now,
            deal_kinds: HashMap::new(),
        }
        .run()
        .await
    }

    fn requests(&self) -> u64 {
        self.api.client.requests
    }

    fn take_unmapped(&mut self) -> BTreeMap<String, u64> {
        std::mem::take(&mut self.map.unmapped)
    }
}
