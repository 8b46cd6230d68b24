//! The amoCRM (Kommo) connector: users and pipelines, then leads, stage
//! moves (`lead_status_changed` events), tasks and notes (calls and
//! comments), each asked only for what changed since its cursor (less the
//! overlap), paged by `_links.next`, stored page by page.

mod api;
mod records;

use std::collections::HashMap;

use serde_json::Value;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::config::{Config, CrmApiConfig, SourceConfig};
use crate::connectors::http::RemoteError;
use crate::connectors::mapping::{CrmMapping, CrmStage, int, text};
use crate::connectors::{Convert, CrmConnector, CrmError, PageSink};
use crate::domain::{CallKind, StageKind};
use crate::sources::{Records, Rejected};
use api::Amo;
use records::NoteRow;

/// The entities, in the order they are pulled.
pub const ENTITIES: &[&str] = &[
    "users",
    "deals",
    "stage_changes",
    "tasks",
    "contact_notes",
    "lead_notes",
];

/// Rows per page (events allow at most 100).
const LIMIT: &str = "250";
const EVENTS_LIMIT: &str = "100";

fn reject(endpoint: &str, row: &Value, reason: String) -> Rejected {
    Rejected {
        file: endpoint.to_owned(),
        line: int(row.get("id")).unwrap_or(0),
        record: text(row.get("id")).unwrap_or_default(),
        reason,
        raw: serde_json::to_string(row).unwrap_or_default(),
    }
}

/// An amoCRM account: its API and how its rows map to records.
pub struct AmoCrm {
    api: Amo,
    map: CrmMapping,
    overlap: chrono::Duration,
}

/// One pull of an account into a sink.
struct Puller<'s, S: PageSink> {
    api: &'s mut Amo,
    map: &'s mut CrmMapping,
    session: &'s mut S,
    overlap: chrono::Duration,
    deal_kinds: HashMap<String, CallKind>,
}

/// What a pull of `S` fails with.
type Failed<S> = CrmError<<S as PageSink>::Error>;

impl<S: PageSink> Puller<'_, S> {
    /// A whole list, every time (users, pipelines: few rows).
    async fn all(&mut self, path: &str, key: &str) -> Result<Vec<Value>, Failed<S>> {
        let mut url = self.api.url(path, &[("limit", LIMIT.to_owned())]);
        let mut rows = Vec::new();
        loop {
            let page = self.api.page(&url, key).await?;
            rows.extend(page.rows);
            match page.next {
                Some(next) => url = next,
                None => return Ok(rows),
            }
        }
    }

    async fn users(&mut self) -> Result<(), Failed<S>> {
        let (mut users, mut rejects) = (Vec::new(), Vec::new());
        for row in self.all("users", "users").await? {
            match records::user(self.map, &row) {
                Ok(u) => users.push(u),
                Err(e) => rejects.push(reject("users", &row, e)),
            }
        }
        self.session
            .save("users", vec![Records::CrmUsers(users)], rejects, None)
            .await
    }

    async fn pipelines(&mut self) -> Result<(), Failed<S>> {
        for pipeline in self.all("leads/pipelines", "pipelines").await? {
            let statuses = pipeline
                .get("_embedded")
                .and_then(|e| e.get("statuses"))
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for status in statuses {
                let Some(id) = text(status.get("id")) else {
                    continue;
                };
                let kind = match id.as_str() {
                    records::WON => Some(StageKind::Won),
                    records::LOST => Some(StageKind::Lost),
                    _ => None,
                };
                let name = text(status.get("name")).unwrap_or_else(|| id.clone());
                self.map.crm_stages.insert(id, CrmStage { name, kind });
            }
        }
        for (id, kind) in [
            (records::WON, StageKind::Won),
            (records::LOST, StageKind::Lost),
        ] {
            self.map
                .crm_stages
                .entry(id.to_owned())
                .or_insert_with(|| CrmStage {
                    name: id.to_owned(),
                    kind: Some(kind),
                });
        }
        Ok(())
    }

    /// One pass over a list endpoint, changes from the cursor on: `time`
    /// names the filter's time field; pages follow `_links.next`.
    async fn paged(
        &mut self,
        entity: &str,
        path: &str,
        key: &str,
        time: &str,
        query: Vec<(&str, String)>,
        convert: Convert<'_, Self>,
    ) -> Result<(), Failed<S>> {
        let mut pass = self.session.pass(entity);
        let time_key = format!("filter[{time}][from]");
        let mut query: Vec<(&str, String)> = query;
        if let Some(from) = pass.from {
            query.push((&time_key, (from - self.overlap).timestamp().to_string()));
        }
        query.push(("page", pass.page.to_string()));
        let mut url = self.api.url(path, &query);
        loop {
            let page = self.api.page(&url, key).await?;
            let (records, rejects) = convert(self, page.rows);
            pass.page += 1;
            self.session
                .save(entity, records, rejects, Some(&pass))
                .await?;
            match page.next {
                Some(next) => url = next,
                None => break,
            }
        }
        self.session.finish_pass(entity, &pass).await
    }

    async fn deals(&mut self) -> Result<(), Failed<S>> {
        let query = vec![
            ("limit", LIMIT.to_owned()),
            ("order[id]", "asc".to_owned()),
            ("with", "contacts".to_owned()),
        ];
        self.paged(
            "deals",
            "leads",
            "leads",
            "updated_at",
            query,
            &mut |p, rows| {
                let (mut deals, mut rejects) = (Vec::new(), Vec::new());
                for row in rows {
                    match records::deal(p.map, &row) {
                        Ok((deal, kind)) => {
                            if let Some(kind) = kind {
                                p.deal_kinds.insert(deal.external_id.to_string(), kind);
                            }
                            deals.push(deal);
                        }
                        Err(e) => rejects.push(reject("leads", &row, e)),
                    }
                }
                (vec![Records::Deals(deals)], rejects)
            },
        )
        .await
    }

    async fn stage_changes(&mut self) -> Result<(), Failed<S>> {
        let query = vec![
            ("limit", EVENTS_LIMIT.to_owned()),
            ("filter[type]", "lead_status_changed".to_owned()),
            ("filter[entity]", "lead".to_owned()),
        ];
        self.paged(
            "stage_changes",
            "events",
            "events",
            "created_at",
            query,
            &mut |p, rows| {
                let (mut moves, mut rejects) = (Vec::new(), Vec::new());
                for row in rows {
                    match records::stage_change(p.map, &row) {
                        Ok(m) => moves.push(m),
                        Err(e) => rejects.push(reject("events", &row, e)),
                    }
                }
                (vec![Records::StageChanges(moves)], rejects)
            },
        )
        .await
    }

    async fn tasks(&mut self) -> Result<(), Failed<S>> {
        let query = vec![("limit", LIMIT.to_owned()), ("order[id]", "asc".to_owned())];
        self.paged(
            "tasks",
            "tasks",
            "tasks",
            "updated_at",
            query,
            &mut |p, rows| {
                let (mut tasks, mut meetings, mut rejects) = (Vec::new(), Vec::new(), Vec::new());
                for row in rows {
                    match records::task(p.map, &row) {
                        Ok((task, meeting)) => {
                            tasks.push(task);
                            meetings.extend(meeting);
                        }
                        Err(e) => rejects.push(reject("tasks", &row, e)),
                    }
                }
                (
                    vec![Records::Tasks(tasks), Records::Activities(meetings)],
                    rejects,
                )
            },
        )
        .await
    }

    /// Call notes (and, on leads, comments) of contacts or leads.
    async fn notes(&mut self, on_lead: bool) -> Result<(), Failed<S>> {
        let (entity, path) = if on_lead {
            ("lead_notes", "leads/notes")
        } else {
            ("contact_notes", "contacts/notes")
        };
        let mut query = vec![
            ("limit", LIMIT.to_owned()),
            ("order[id]", "asc".to_owned()),
            ("filter[note_type][]", "call_in".to_owned()),
            ("filter[note_type][]", "call_out".to_owned()),
        ];
        if on_lead {
            query.push(("filter[note_type][]", "common".to_owned()));
        }
        self.paged(
            entity,
            path,
            "notes",
            "updated_at",
            query,
            &mut |p, rows| {
                let (mut calls, mut comments, mut rejects) = (Vec::new(), Vec::new(), Vec::new());
                let kinds = std::mem::take(&mut p.deal_kinds);
                for row in rows {
                    match records::note(p.map, &row, on_lead, &|d| kinds.get(d).copied()) {
                        Ok(NoteRow::Call(c)) => calls.push(c),
                        Ok(NoteRow::Comment(c)) => comments.push(c),
                        Err(e) => rejects.push(reject(path, &row, e)),
                    }
                }
                p.deal_kinds = kinds;
                (
                    vec![Records::Calls(calls), Records::Comments(comments)],
                    rejects,
                )
            },
        )
        .await
    }

    async fn run(&mut self) -> Result<(), Failed<S>> {
        self.users().await?;
        self.pipelines().await?;
        self.deals().await?;
        // Each kind on its own: one that fails does not stop the others.
        let outcomes = vec![
            ("stage_changes", self.stage_changes().await),
            ("tasks", self.tasks().await),
            // Contacts first: a call noted on both keeps its lead's version.
            ("contact_notes", self.notes(false).await),
            ("lead_notes", self.notes(true).await),
        ];
        crate::connectors::each_kind(outcomes)
    }
}

impl CrmConnector for AmoCrm {
    const KIND: &'static str = "amocrm";

    fn connect(
        config: &Config,
        source: &SourceConfig,
        api: &CrmApiConfig,
        _now: DateTime<Utc>,
    ) -> Result<Self, RemoteError> {
        Ok(Self {
            api: Amo::new(api)?,
            map: CrmMapping::new(config, source, api),
            overlap: api.overlap,
        })
    }

    async fn run<S: PageSink>(&mut self, sink: &mut S) -> Result<(), Failed<S>> {
        Puller {
            api: &mut self.api,
            map: &mut self.map,
            session: sink,
            overlap: self.overlap,
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
