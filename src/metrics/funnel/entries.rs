//! A deal's entries into stages in a period, and when it went on from
//! each: what conversion is counted from.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{StageBook, StageRow, Window};
use crate::domain::{Deal, StageChange};

/// A deal's entry into an open stage, and when it first went on from
/// there (into a won stage or a later open one), if it has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub stage: String,
    #[serde(with = "chrono::serde::ts_seconds_option")]
    pub moved_on: Option<DateTime<Utc>>,
}

/// The deal's entries into stages in the window: its stage changes in it,
/// and its first stage when it was created in it.
pub(super) fn entries(
    book: &StageBook<'_>,
    deal: &Deal,
    h: &[&StageChange],
    w: Window,
) -> Vec<Entry> {
    let mut entered: Vec<(&str, DateTime<Utc>)> = h
        .iter()
        .filter(|c| w.contains(c.changed_at))
        .map(|c| (c.to_stage.as_str(), c.changed_at))
        .collect();
    if w.contains(deal.created_at) {
        let first = h
            .iter()
            .min_by_key(|c| c.changed_at)
            .and_then(|c| c.from_stage.as_deref())
            .or(book.first_open)
            .unwrap_or(deal.stage.as_str());
        entered.push((first, deal.created_at));
    }
    entered
        .into_iter()
        .map(|(stage, at)| {
            let here = book.order.get(stage).copied().unwrap_or(0);
            let moved_on = h
                .iter()
                .filter(|c| c.changed_at >= at && book.moves_on(c.to_stage.as_str(), here))
                .map(|c| c.changed_at)
                .min();
            Entry {
                stage: stage.to_owned(),
                moved_on,
            }
        })
        .collect()
}

/// Counts an entry in its stage's row: entered, and went on when it did so
/// before `to`.
pub(super) fn count_entry(rows: &mut [StageRow], e: &Entry, to: DateTime<Utc>) {
    let Some(row) = rows.iter_mut().find(|r| r.stage == e.stage) else {
        return;
    };
    row.entered += 1;
    if e.moved_on.is_some_and(|t| t < to) {
        row.went_on += 1;
    }
}
