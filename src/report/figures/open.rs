//! What is open now, as the database counted it (`storage::open_now`), in
//! the terms of the figures: each person's open work, and the open and
//! stuck deals a funnel shows.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::config::Config;
use crate::metrics::funnel::StuckDeal;
use crate::metrics::open_work::{OpenWork, OverdueTask};
use crate::metrics::{RecordKind, RecordRef};
use crate::storage::OpenNow;

/// The counts of [`OpenNow`] with the stages' thresholds and the instant
/// they were counted at.
pub struct OpenAt<'a> {
    open: &'a OpenNow,
    stuck_after: HashMap<String, i64>,
    now: DateTime<Utc>,
}

impl<'a> OpenAt<'a> {
    pub fn new(open: &'a OpenNow, config: &Config, now: DateTime<Utc>) -> Self {
        Self {
            open,
            stuck_after: super::stuck_after(config).into_iter().collect(),
            now,
        }
    }

    /// A person's open work: overdue and open tasks, open deals without a
    /// next task.
    pub fn work(&self, employee_id: &str) -> OpenWork {
        let Some(p) = self.open.people.get(employee_id) else {
            return OpenWork::default();
        };
        OpenWork {
            overdue: p.overdue,
            oldest_overdue: p.overdue_tasks.first().map(|t| OverdueTask {
                source: t.source.clone(),
                id: t.external_id.clone(),
                title: t.title.clone(),
                due_at: t.due_at,
            }),
            // With records the database lists every overdue task, else the
            // oldest alone.
            overdue_records: if self.open.records {
                p.overdue_tasks
                    .iter()
                    .map(|t| RecordRef {
                        kind: RecordKind::Task,
                        source: t.source.clone(),
                        id: t.external_id.clone(),
                    })
                    .collect()
            } else {
                Vec::new()
            },
            open_tasks: p.open_tasks,
            open_deals: p.open_deals.iter().map(|(_, n, _)| n).sum(),
            without_task: p.without_task,
            without_task_records: p
                .without_task_deals
                .iter()
                .map(|(source, id)| RecordRef {
                    kind: RecordKind::Deal,
                    source: source.clone(),
                    id: id.clone(),
                })
                .collect(),
        }
    }

    /// The open deals per stage and the stuck deals of `people`, added up.
    pub fn deals<'p>(
        &'a self,
        people: impl IntoIterator<Item = &'p str>,
    ) -> (Vec<(&'a str, usize, i64)>, Vec<StuckDeal>) {
        let mut stages = Vec::new();
        let mut stuck = Vec::new();
        for person in people {
            let Some(p) = self.open.people.get(person) else {
                continue;
            };
            stages.extend(p.open_deals.iter().map(|(s, n, a)| (s.as_str(), *n, *a)));
            stuck.extend(p.stuck.iter().map(|d| StuckDeal {
                source: d.source.clone(),
                deal: d.external_id.clone(),
                title: d.title.clone(),
                employee_id: Some(person.to_owned()),
                stage: d.stage.clone(),
                days_in_stage: (self.now - d.since).num_days(),
                threshold_days: self.stuck_after.get(&d.stage).copied().unwrap_or(0),
                amount_minor: d.amount_minor,
            }));
        }
        (stages, stuck)
    }
}
