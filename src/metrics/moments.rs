//! Instants of records kept by key and sorted, to ask in O(log n) whether
//! any falls in a window: what a person's hygiene asks of every call and
//! every moved task ("did anything happen on this deal between then and
//! then?") without a pass over all of the person's records each time.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

/// Instants by key (a deal id, a phone number).
#[derive(Debug, Default)]
pub struct Moments<'a>(HashMap<&'a str, Vec<DateTime<Utc>>>);

impl<'a> Moments<'a> {
    /// Gathers `(key, instant)` pairs; a record without a key is left out.
    pub fn new(pairs: impl IntoIterator<Item = (Option<&'a str>, DateTime<Utc>)>) -> Self {
        let mut by_key: HashMap<&'a str, Vec<DateTime<Utc>>> = HashMap::new();
        for (key, at) in pairs {
            if let Some(k) = key {
                by_key.entry(k).or_default().push(at);
            }
        }
        for v in by_key.values_mut() {
            v.sort_unstable();
        }
        Self(by_key)
    }

    /// Whether an instant of `key` lies in `[from, to]` (both ends included).
    pub fn any_within(&self, key: &str, from: DateTime<Utc>, to: DateTime<Utc>) -> bool {
        self.0.get(key).is_some_and(|v| {
            let i = v.partition_point(|t| *t < from);
            v.get(i).is_some_and(|t| *t <= to)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 19, 9, m, 0).unwrap()
    }

    #[test]
    fn a_window_holds_an_instant_at_either_end_and_only_of_its_key() {
        let m = Moments::new([
            (Some("d1"), t(30)),
            (Some("d1"), t(10)),
            (Some("d2"), t(20)),
            (None, t(20)),
        ]);
        assert!(m.any_within("d1", t(10), t(10)));
        assert!(m.any_within("d1", t(25), t(30)));
        assert!(!m.any_within("d1", t(11), t(29)));
        assert!(m.any_within("d2", t(0), t(59)));
        assert!(!m.any_within("d3", t(0), t(59)));
        assert!(!m.any_within("d1", t(31), t(59)));
    }
}
