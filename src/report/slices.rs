//! Cuts a team's records into each person's share once, through indexes by
//! owner and by deal, so computing 500 people's figures costs 500 small
//! computations rather than 500 passes over the whole team's records.

use std::collections::{BTreeSet, HashMap};

use crate::domain::{Activity, Call, Comment, Deal, StageChange, Task, TaskPostponement};
use crate::metrics::hygiene::CrmRecords;
use crate::metrics::open_work::OpenWork;
use crate::storage::Dataset;

/// The records one person's figures look at: their own, and anyone's on the
/// deals they own or called about.
#[derive(Debug, Default)]
pub struct PersonRecords {
    pub deals: Vec<Deal>,
    pub stage_changes: Vec<StageChange>,
    pub tasks: Vec<Task>,
    pub postponements: Vec<TaskPostponement>,
    pub activities: Vec<Activity>,
    pub comments: Vec<Comment>,
    /// Their calls in the week before the period about the deals of tasks
    /// moved in it (`Dataset::earlier_calls`).
    pub earlier_calls: Vec<Call>,
}

impl PersonRecords {
    /// The records as the hygiene figures read them, with the calls a
    /// postponement looks back at and the person's open work now.
    pub fn crm<'a>(&'a self, earlier_calls: &'a [Call], open: &'a OpenWork) -> CrmRecords<'a> {
        CrmRecords {
            deals: &self.deals,
            stage_changes: &self.stage_changes,
            tasks: &self.tasks,
            postponements: &self.postponements,
            activities: &self.activities,
            comments: &self.comments,
            earlier_calls,
            open,
        }
    }
}

type Index<'d> = HashMap<&'d str, Vec<usize>>;

fn index<'d, T>(items: &'d [T], key: impl Fn(&'d T) -> Option<&'d str>) -> Index<'d> {
    let mut map: Index<'d> = HashMap::new();
    for (i, item) in items.iter().enumerate() {
        if let Some(k) = key(item) {
            map.entry(k).or_default().push(i);
        }
    }
    map
}

pub struct Slices<'d> {
    data: &'d Dataset,
    deals_by_owner: Index<'d>,
    deals_by_phone: Index<'d>,
    deals_by_id: Index<'d>,
    changes_by_owner: Index<'d>,
    changes_by_deal: Index<'d>,
    tasks_by_owner: Index<'d>,
    tasks_by_deal: Index<'d>,
    postponements_by_task: Index<'d>,
    activities_by_owner: Index<'d>,
    activities_by_deal: Index<'d>,
    comments_by_owner: Index<'d>,
    comments_by_deal: Index<'d>,
    earlier_calls_by_owner: Index<'d>,
}

impl<'d> Slices<'d> {
    pub fn new(data: &'d Dataset) -> Self {
        Self {
            data,
            deals_by_owner: index(&data.deals, |d| d.employee_id.as_deref()),
            deals_by_phone: index(&data.deals, |d| d.phone.as_ref().map(|p| p.as_str())),
            deals_by_id: index(&data.deals, |d| Some(d.external_id.as_str())),
            changes_by_owner: index(&data.stage_changes, |c| c.employee_id.as_deref()),
            changes_by_deal: index(&data.stage_changes, |c| Some(c.deal_ext.as_str())),
            tasks_by_owner: index(&data.tasks, |t| t.employee_id.as_deref()),
            tasks_by_deal: index(&data.tasks, |t| t.deal_ext.as_deref()),
            postponements_by_task: index(&data.postponements, |p| Some(p.task_ext.as_str())),
            activities_by_owner: index(&data.activities, |a| a.employee_id.as_deref()),
            activities_by_deal: index(&data.activities, |a| a.deal_ext.as_deref()),
            comments_by_owner: index(&data.comments, |c| c.employee_id.as_deref()),
            comments_by_deal: index(&data.comments, |c| c.deal_ext.as_deref()),
            earlier_calls_by_owner: index(&data.earlier_calls, |c| c.employee_id.as_deref()),
        }
    }

    /// One person's share, given their calls (whose numbers link deals).
    pub fn person(&self, employee_id: &str, calls: &[Call]) -> PersonRecords {
        let get = |ix: &Index<'d>, k: &str| ix.get(k).cloned().unwrap_or_default();
        let mut deal_ix: BTreeSet<usize> =
            get(&self.deals_by_owner, employee_id).into_iter().collect();
        for c in calls {
            deal_ix.extend(get(&self.deals_by_phone, c.number.as_str()));
            if let Some(d) = &c.deal_ext {
                deal_ix.extend(get(&self.deals_by_id, d));
            }
        }
        let deal_ids: Vec<&str> = deal_ix
            .iter()
            .map(|i| self.data.deals[*i].external_id.as_str())
            .collect();
        let gather = |by_owner: &Index<'d>, by_deal: &Index<'d>| -> Vec<usize> {
            let mut set: BTreeSet<usize> = get(by_owner, employee_id).into_iter().collect();
            for d in &deal_ids {
                set.extend(get(by_deal, d));
            }
            set.into_iter().collect()
        };
        let tasks = gather(&self.tasks_by_owner, &self.tasks_by_deal);
        let mut postponements = BTreeSet::new();
        for t in &tasks {
            postponements.extend(get(
                &self.postponements_by_task,
                self.data.tasks[*t].external_id.as_str(),
            ));
        }
        PersonRecords {
            deals: deal_ix
                .iter()
                .map(|i| self.data.deals[*i].clone())
                .collect(),
            stage_changes: pick(
                &gather(&self.changes_by_owner, &self.changes_by_deal),
                &self.data.stage_changes,
            ),
            tasks: pick(&tasks, &self.data.tasks),
            postponements: pick(
                &postponements.into_iter().collect::<Vec<_>>(),
                &self.data.postponements,
            ),
            activities: pick(
                &gather(&self.activities_by_owner, &self.activities_by_deal),
                &self.data.activities,
            ),
            comments: pick(
                &gather(&self.comments_by_owner, &self.comments_by_deal),
                &self.data.comments,
            ),
            earlier_calls: pick(
                &get(&self.earlier_calls_by_owner, employee_id),
                &self.data.earlier_calls,
            ),
        }
    }
}

fn pick<T: Clone>(items: &[usize], all: &[T]) -> Vec<T> {
    items.iter().map(|i| all[*i].clone()).collect()
}
