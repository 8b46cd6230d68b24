//! Under `serve`, each tick: the alerts each team's `[[alerts]]` owe now,
//! recorded once as firings of the schedule `alert:<team>` whose slot is
//! the alert's key, with their messages queued in the outbox. Several
//! instances, restarts and repeated ticks record each key once; a rule
//! sends at most `max_per_day` about one person or number a day, then one
//! note that it stopped; nothing is recorded in quiet hours (what is owed
//! then goes out after them). A missed call called back late after its
//! alert went out gets an answer ("called back after 22 min") that edits
//! the alert in each chat it went to.

use chrono::{DateTime, NaiveTime, Utc};

use super::firing::Payload;
use crate::app::alerts::inputs;
use crate::bot::answer::mask_number;
use crate::config::{AlertConfig, AlertRecipient, Config, TeamConfig};
use crate::domain::Role;
use crate::render::telegram::escape;
use crate::report::alerts::{self, Alert};
use crate::storage::{FiringRecord, FiringStatus, NewOutboxRow, Recipient, Store};
use crate::words::{Arg, Catalog};

/// Whether local `t` falls in `quiet` (which may run past midnight).
fn in_quiet(quiet: Option<(NaiveTime, NaiveTime)>, t: NaiveTime) -> bool {
    match quiet {
        None => false,
        Some((a, b)) if a < b => t >= a && t < b,
        Some((a, b)) => t >= a || t < b,
    }
}

/// Records what every team's rules owe at `now`; returns the keys recorded
/// by this call.
pub async fn tick(
    store: &Store,
    config: &Config,
    catalog: &Catalog,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<String>> {
    let mut recorded = Vec::new();
    for team in &config.teams {
        let rules: Vec<&AlertConfig> = config.alerts.iter().filter(|a| a.team == team.id).collect();
        if rules.is_empty() {
            continue;
        }
        let local = now.with_timezone(&team.timezone).time();
        let rules: Vec<&AlertConfig> = rules
            .into_iter()
            .filter(|r| !in_quiet(r.quiet, local))
            .collect();
        if rules.is_empty() {
            continue;
        }
        let inputs = inputs(store, config, team, now).await?;
        let managers = alerts::managers(config, team);
        for rule in rules {
            for alert in alerts::of_rule(config, rule, team, &inputs, &managers, now) {
                if let Some(key) = record(store, config, catalog, team, rule, &alert, now).await? {
                    recorded.push(key);
                }
            }
        }
    }
    Ok(recorded)
}

/// Records one alert (or its answer, or the note that the day's limit is
/// reached) unless recorded before; the slot recorded when it was new.
async fn record(
    store: &Store,
    config: &Config,
    catalog: &Catalog,
    team: &TeamConfig,
    rule: &AlertConfig,
    alert: &Alert,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<String>> {
    let schedule = format!("alert:{}", team.id);
    let words = catalog.words(team.locale);
    // The slot, and the note that replaces the alert's text when the day's
    // limit is reached.
    let (slot, note) = if alert.is_answer() {
        // Only an alert that went out is answered.
        if !store.firing_recorded(&schedule, &alert.key).await? {
            return Ok(None);
        }
        (format!("{}:answered", alert.key), None)
    } else {
        let sent = store.firings_starting(&schedule, alert.day_key()).await?;
        let limit = i64::from(rule.max_per_day);
        if sent > limit {
            return Ok(None);
        }
        if sent == limit {
            let rule_name = words.text(&format!("alert-rule-{}", alert.rule), &[]);
            let note = words.text(
                "alert-limit",
                &[("rule", Arg::Text(rule_name)), ("n", Arg::from(limit))],
            );
            (format!("{}limit", alert.day_key()), Some(note))
        } else {
            (alert.key.clone(), None)
        }
    };
    let rows = recipients(config, team, rule, alert)
        .into_iter()
        .map(|(chat, full)| {
            let text = escape(&match &note {
                Some(note) => note.clone(),
                None if full => alerts::worded(config, words, team, alert, &str::to_owned),
                None => alerts::worded(config, words, team, alert, &mask_number),
            });
            let payload = match alert.is_answer() {
                // The answer edits the alert that went to the chat.
                true => Payload::TelegramEdit {
                    chat,
                    schedule: schedule.clone(),
                    slot: alert.key.clone(),
                    text,
                },
                false => Payload::Telegram {
                    chat,
                    messages: vec![text],
                    photos: Vec::new(),
                    caption: None,
                    buttons: Vec::new(),
                },
            };
            payload.row(Recipient::Telegram(chat))
        })
        .collect::<anyhow::Result<Vec<NewOutboxRow>>>()?;
    let firing = FiringRecord {
        schedule: &schedule,
        slot: &slot,
        status: FiringStatus::Fired,
        due_at: now,
        detail: None,
    };
    Ok(store
        .record_firing(&firing, now, &rows)
        .await?
        .then_some(slot))
}

/// The Telegram chats an alert goes to, each with whether it may see the
/// number in full: the team's heads and the manager it names do; any other
/// chat sees it masked.
fn recipients(
    config: &Config,
    team: &TeamConfig,
    rule: &AlertConfig,
    alert: &Alert,
) -> Vec<(i64, bool)> {
    let mut out: Vec<(i64, bool)> = Vec::new();
    let mut add = |chat: i64, full: bool| match out.iter_mut().find(|(c, _)| *c == chat) {
        Some(have) => have.1 |= full,
        None => out.push((chat, full)),
    };
    for to in &rule.to {
        match to {
            AlertRecipient::Heads => {
                for head in config
                    .employees
                    .iter()
                    .filter(|e| e.team == team.id && e.role == Role::Head)
                {
                    if let Some(chat) = head.telegram_id {
                        add(chat, true);
                    }
                }
            }
            AlertRecipient::Manager => {
                if let Some(chat) = alert
                    .employee_id
                    .as_deref()
                    .and_then(|e| config.employee(e))
                    .and_then(|e| e.telegram_id)
                {
                    add(chat, true);
                }
            }
            AlertRecipient::Chat(chat) => add(*chat, false),
        }
    }
    out
}
