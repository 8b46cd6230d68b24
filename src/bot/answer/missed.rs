//! `/why missed_callback`: the missed calls whose call back fell due on a
//! day, each with who should call back and what became of it — the list
//! behind the digest's missed-calls line and the `missed_callback` alerts.
//! A head sees the team's; a manager the calls that are theirs to return.

use chrono::{Duration, NaiveDate};

use super::{Bot, Reply};
use crate::calendar::{day_range, local_day};
use crate::config::{EmployeeConfig, Locale, TeamConfig};
use crate::metrics::alerts::{Callback, missed_callbacks};
use crate::render::telegram::escape;
use crate::report::figures::Scope;
use crate::words::Arg;

/// The words `/why` takes for this list.
pub(super) fn is_missed_callback(word: &str) -> bool {
    matches!(
        word.to_lowercase().as_str(),
        "missed_callback" | "callback" | "callbacks" | "перезвон" | "перезвоны"
    )
}

/// At most this many lines, then how many more.
const SHOWN: usize = 40;

impl Bot<'_> {
    pub(super) async fn missed_callbacks(
        &self,
        viewer: &EmployeeConfig,
        scope: Scope,
        day: NaiveDate,
        locale: Locale,
    ) -> anyhow::Result<Reply> {
        let team_id = match &scope {
            Scope::Team(t) => t.clone(),
            Scope::Employee(e) => self
                .config
                .employee(e)
                .map_or(viewer.team.clone(), |e| e.team.clone()),
        };
        let Some(team) = self.config.team(&team_id) else {
            return Ok(Reply::html(""));
        };
        let within = self.within(team);
        let at = day_range(team.timezone, day).1.min(self.now);
        let calls = crate::app::alerts::team_calls(self.store, self.config, team, at).await?;
        let mut missed: Vec<_> = missed_callbacks(&calls, team, within, at)
            .into_iter()
            .filter(|m| local_day(team.timezone, m.due_at) == day)
            .collect();
        let nobody_rang: Vec<&str> = missed
            .iter()
            .filter(|m| m.rang.is_none())
            .map(|m| m.number.as_str())
            .collect();
        let owners = self.store.deal_owners(&nobody_rang).await?;
        let who = |m: &crate::metrics::alerts::MissedCallback| {
            m.rang.clone().or_else(|| owners.get(&m.number).cloned())
        };
        if let Scope::Employee(e) = &scope {
            missed.retain(|m| who(m).as_deref() == Some(e.as_str()));
        }
        let day_text = self.day_text(locale, day);
        if missed.is_empty() {
            let none = self.say(locale, "bot-missed-none", &[("day", Arg::from(day_text))]);
            return Ok(Reply::html(escape(&none)));
        }
        let never = missed
            .iter()
            .filter(|m| matches!(m.callback, Callback::Overdue | Callback::Waiting))
            .count();
        let mut out = self.say(
            locale,
            "bot-missed-title",
            &[
                ("day", Arg::from(day_text)),
                ("n", Arg::from(missed.len())),
                ("never", Arg::from(never)),
            ],
        );
        let hm = |t: chrono::DateTime<chrono::Utc>| {
            t.with_timezone(&team.timezone).format("%H:%M").to_string()
        };
        for m in missed.iter().take(SHOWN) {
            let name = who(m)
                .and_then(|e| self.config.employee(&e).map(|e| e.name.clone()))
                .unwrap_or_else(|| self.say(locale, "alert-team", &[]));
            let state = match m.callback {
                Callback::InTime { after_secs } => self.say(
                    locale,
                    "bot-missed-in-time",
                    &[("after", Arg::from(self.words.duration(locale, after_secs)))],
                ),
                Callback::Late { after_secs } => self.say(
                    locale,
                    "bot-missed-late",
                    &[("after", Arg::from(self.words.duration(locale, after_secs)))],
                ),
                Callback::Overdue => self.say(locale, "bot-missed-never", &[]),
                Callback::Waiting => self.say(
                    locale,
                    "bot-missed-waiting",
                    &[("due", Arg::from(hm(m.due_at)))],
                ),
            };
            let line = self.say(
                locale,
                "bot-missed-line",
                &[
                    ("time", Arg::from(hm(m.missed_at))),
                    ("number", Arg::from(m.number.as_str())),
                    ("n", Arg::from(m.missed)),
                    ("name", Arg::from(name)),
                    ("state", Arg::from(state)),
                ],
            );
            out.push('\n');
            out.push_str(&escape(&line));
        }
        if missed.len() > SHOWN {
            out.push('\n');
            out.push_str(&escape(&self.say(
                locale,
                "bot-more",
                &[("n", Arg::from(missed.len() - SHOWN))],
            )));
        }
        Ok(Reply::html(out))
    }

    /// The minutes a call back is due in: the team's `missed_callback`
    /// rule's, else the rule's default.
    fn within(&self, team: &TeamConfig) -> Duration {
        self.config
            .callback_within(&team.id)
            .unwrap_or(Duration::minutes(
                crate::config::alerts::DEFAULT_WITHIN_MINS,
            ))
    }
}
