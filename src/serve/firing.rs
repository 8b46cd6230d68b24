//! A scheduler tick: for each schedule, what fell due since the last look
//! (`scheduler::Schedule::due`), rendered and put in the outbox under the
//! key (schedule, slot, recipient); missed firings recorded and told to the
//! admin chat; pulls run. It never sends: the workers do.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::config::{Config, Delivery, ScheduleConfig, ScheduleJob};
use crate::delivery::telegram::Outgoing;
use crate::render::{Button, Chart};
use crate::scheduler::Firing;
use crate::storage::{FiringRecord, FiringStatus, NewOutboxRow, Recipient, Store};
use crate::words::Arg;

/// What goes in an outbox row's payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Payload {
    Telegram {
        chat: i64,
        messages: Vec<String>,
        /// File name and base64 PNG.
        photos: Vec<(String, String)>,
        caption: Option<String>,
        buttons: Vec<Button>,
    },
    Email {
        to: String,
        from: Option<String>,
        /// The whole message, base64.
        eml: String,
    },
    /// Written at the firing; the row records that it was.
    File { files: Vec<String> },
    /// The digest as rich messages (Bot API `sendRichMessage`), each part's
    /// pictures named by their index among `fallback`'s photos; `fallback`
    /// (a `Telegram` payload) goes instead to a chat whose server has no
    /// rich messages, noted so that its next digests go that way at once.
    TelegramRich {
        chat: i64,
        parts: Vec<crate::delivery::rich::RichRowPart>,
        buttons: Vec<Button>,
        fallback: Box<Payload>,
    },
    /// A new text for the message that the row (`schedule`, `slot`) to
    /// the same chat became: an alert answered ("called back after
    /// 22 min"). Sent as a new message when that one cannot be edited.
    TelegramEdit {
        chat: i64,
        schedule: String,
        slot: String,
        text: String,
    },
}

impl Payload {
    pub fn telegram(chat: i64, out: &Outgoing) -> Self {
        let b64 = base64::engine::general_purpose::STANDARD;
        Payload::Telegram {
            chat,
            messages: out.messages.clone(),
            photos: out
                .photos
                .iter()
                .map(|c| (c.name.clone(), b64.encode(&c.png)))
                .collect(),
            caption: out.caption.clone(),
            buttons: out.buttons.clone(),
        }
    }

    /// The Telegram payload back as what `delivery::telegram` sends.
    pub fn outgoing(
        messages: &[String],
        photos: &[(String, String)],
        caption: &Option<String>,
        buttons: &[Button],
    ) -> anyhow::Result<Outgoing> {
        let b64 = base64::engine::general_purpose::STANDARD;
        Ok(Outgoing {
            messages: messages.to_vec(),
            photos: photos
                .iter()
                .map(|(name, png)| {
                    let png = b64.decode(png)?;
                    Ok(Chart {
                        name: name.clone(),
                        png,
                    })
                })
                .collect::<Result<_, base64::DecodeError>>()
                .context("an outbox row's photo is not base64")?,
            caption: caption.clone(),
            buttons: buttons.to_vec(),
        })
    }

    pub(super) fn row(&self, recipient: Recipient) -> anyhow::Result<NewOutboxRow> {
        Ok(NewOutboxRow {
            recipient,
            payload: serde_json::to_string(self)?,
        })
    }
}

/// What one tick did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TickReport {
    /// `(schedule, slot)` fired by this instance now.
    pub fired: Vec<(String, String)>,
    /// `(schedule, slot)` found missed now.
    pub missed: Vec<(String, String)>,
    /// Failures, one line each (also recorded and told to the admin chat).
    pub failed: Vec<String>,
}

/// Looks at every schedule at `now`: fires what is due, records what was
/// missed, and moves each schedule's mark to `now`.
#[tracing::instrument(skip_all, fields(at = %now))]
pub async fn tick(
    store: &Arc<Store>,
    config: &Config,
    out_dir: &Path,
    now: DateTime<Utc>,
) -> anyhow::Result<TickReport> {
    let mut report = TickReport::default();
    for sc in &config.schedules {
        let last_seen = store.schedule_mark(&sc.name).await?;
        let due = sc.schedule.due(last_seen, now, sc.grace);
        if !due.missed.is_empty() {
            missed(store.as_ref(), config, sc, &due.missed, now, &mut report).await?;
        }
        for firing in &due.fire {
            fire(store, config, sc, firing, out_dir, now, &mut report).await?;
        }
        store.set_schedule_mark(&sc.name, now).await?;
    }
    Ok(report)
}

/// Records missed firings, and tells the admin chat once per tick and
/// schedule (a per-minute schedule after a day down misses 1,440).
async fn missed(
    store: &Store,
    config: &Config,
    sc: &ScheduleConfig,
    firings: &[Firing],
    now: DateTime<Utc>,
    report: &mut TickReport,
) -> anyhow::Result<()> {
    let (first, last) = (&firings[0], &firings[firings.len() - 1]);
    // In the admin's language: the first team's (the admin's overrides
    // were read at startup, so they parse).
    let overridden = crate::words::Catalog::new(config.templates_dir.as_deref()).ok();
    let words = overridden
        .as_ref()
        .unwrap_or_else(|| crate::words::Catalog::built_in());
    let locale = config
        .teams
        .first()
        .map_or(crate::config::Locale::Ru, |t| t.locale);
    let (schedule, tz) = (sc.name.as_str(), sc.schedule.timezone().to_string());
    let note = if firings.len() == 1 {
        words.text(
            locale,
            "admin-missed-one",
            &[
                ("schedule", Arg::from(schedule)),
                ("slot", Arg::from(first.key())),
                ("tz", Arg::from(tz)),
                ("hours", Arg::from(sc.grace.num_hours())),
            ],
        )
    } else {
        words.text(
            locale,
            "admin-missed-many",
            &[
                ("schedule", Arg::from(schedule)),
                ("n", Arg::from(firings.len())),
                ("first", Arg::from(first.key())),
                ("last", Arg::from(last.key())),
                ("tz", Arg::from(tz)),
            ],
        )
    };
    let admin = admin_rows(config, &note)?;
    for (i, f) in firings.iter().enumerate() {
        let record = FiringRecord {
            schedule: &sc.name,
            slot: &f.key(),
            status: FiringStatus::Missed,
            due_at: f.at,
            detail: Some("salespulse was not running at the time, and the grace period is over"),
        };
        // The note rides with the last missed firing's key: several
        // instances noticing the same outage tell the admin once.
        let rows = if i + 1 == firings.len() {
            admin.as_slice()
        } else {
            &[]
        };
        if store.record_firing(&record, now, rows).await? {
            tracing::warn!(schedule = %sc.name, slot = %f.key(), "firing missed");
            report.missed.push((sc.name.clone(), f.key()));
        }
    }
    Ok(())
}

/// A note for the admin chat, as outbox rows (none without an admin chat).
fn admin_rows(config: &Config, note: &str) -> anyhow::Result<Vec<NewOutboxRow>> {
    let Some(admin) = config.telegram.as_ref().and_then(|t| t.admin_chat_id) else {
        return Ok(Vec::new());
    };
    let out = Outgoing {
        messages: vec![crate::render::telegram::escape(note)],
        ..Outgoing::default()
    };
    Ok(vec![
        Payload::telegram(admin, &out).row(Recipient::Telegram(admin))?,
    ])
}

/// Fires one slot: renders, then records the firing and its rows at once.
/// Another instance may have fired it already: then nothing is added.
async fn fire(
    store: &Arc<Store>,
    config: &Config,
    sc: &ScheduleConfig,
    firing: &Firing,
    out_dir: &Path,
    now: DateTime<Utc>,
    report: &mut TickReport,
) -> anyhow::Result<()> {
    let slot = firing.key();
    if store.firing_recorded(&sc.name, &slot).await? {
        return Ok(());
    }
    let dir = out_dir.join(&sc.name).join(slot.replace(':', "-"));
    let rendered = render(store, config, sc, firing, &dir, now).await;
    let (status, detail, rows) = match rendered {
        Ok(rows) => (FiringStatus::Fired, None, rows),
        Err(e) => {
            let why = format!("{e:#}");
            tracing::error!(schedule = %sc.name, %slot, error = %why, "firing failed");
            let note = format!("⚠️ «{}» at {slot}: {why}", sc.name);
            (FiringStatus::Failed, Some(why), admin_rows(config, &note)?)
        }
    };
    let record = FiringRecord {
        schedule: &sc.name,
        slot: &slot,
        status,
        due_at: firing.at,
        detail: detail.as_deref(),
    };
    if !store.record_firing(&record, now, &rows).await? {
        return Ok(());
    }
    match &detail {
        Some(why) => report.failed.push(format!("{} at {slot}: {why}", sc.name)),
        None => {
            tracing::info!(schedule = %sc.name, %slot, due_at = %firing.at, %now, rows = rows.len(), "fired");
            report.fired.push((sc.name.clone(), slot.clone()));
        }
    }
    // A pull runs once its firing is this instance's, beside the ticks (a
    // first pull from a CRM can take hours), one at a time per source.
    if let ScheduleJob::Pull { source } = &sc.job
        && detail.is_none()
    {
        let (store, config, source) = (store.clone(), config.clone(), source.clone());
        tokio::spawn(async move { run_pull(&store, &config, &source, now).await });
    }
    Ok(())
}

/// Sources with a pull under way in this process.
static PULLING: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

async fn run_pull(store: &Arc<Store>, config: &Config, source: &str, now: DateTime<Utc>) {
    let Some(source) = config.source(source) else {
        return;
    };
    {
        let Ok(mut running) = PULLING.lock() else {
            return;
        };
        if running.iter().any(|s| s == &source.name) {
            tracing::warn!(source = %source.name, "the previous pull is still running: this firing is skipped");
            return;
        }
        running.push(source.name.clone());
    }
    let _done = Finished(source.name.clone());
    let options = crate::app::pull::PullOptions {
        since: None,
        progress: false,
        now,
    };
    match crate::app::pull::pull(store.clone(), config, source, &options).await {
        Ok(r) => {
            tracing::info!(
                source = %r.source,
                records = r.records_total(),
                rejected = r.rejects.len(),
                seconds = r.seconds,
                "pulled"
            );
            if r.records_total() > 0 {
                refill_roll_up(store, config, now).await;
            }
        }
        Err(e) => tracing::error!(source = %source.name, error = %e, "pull failed"),
    }
}

/// Computes again the days of the daily roll-up a pull dropped, so that
/// the next report or chat answer does not wait for them.
async fn refill_roll_up(store: &Store, config: &Config, now: DateTime<Utc>) {
    match crate::app::rollup::fill(store, config, None, None, None, now).await {
        Ok(filled) => {
            for f in filled.iter().filter(|f| f.computed > 0) {
                tracing::info!(
                    team = %f.team,
                    days = f.computed,
                    seconds = f.seconds,
                    "computed the roll-up's days again"
                );
            }
        }
        Err(e) => tracing::error!(error = %e, "computing the roll-up's days again failed"),
    }
}

/// Takes a source off the running list when its pull ends, however it ends.
struct Finished(String);

impl Drop for Finished {
    fn drop(&mut self) {
        if let Ok(mut running) = PULLING.lock() {
            running.retain(|s| s != &self.0);
        }
    }
}

/// A digest's rows: for each chat, its messages and photos, or with
/// `[telegram] format = "rich"` its rich messages with those as the
/// fallback.
fn digest_rows(
    config: &Config,
    team: &str,
    files: &crate::app::digest::DigestFiles,
) -> anyhow::Result<Vec<NewOutboxRow>> {
    let rich = config.rich_digest();
    let group = config.team(team).and_then(|t| t.telegram_chat_id);
    let parts_of = |files: &crate::app::digest::DigestFiles| match rich {
        true => crate::app::digest::digest_rich(files),
        false => Ok(Vec::new()),
    };
    let whole = parts_of(files)?;
    let for_group = match &files.team_chat {
        Some(copy) => parts_of(copy)?,
        None => whole.clone(),
    };
    crate::app::digest::digest_deliveries(config, team, files)?
        .into_iter()
        .map(|(chat, out)| {
            let plain = Payload::telegram(chat, &out);
            let parts = if Some(chat) == group {
                &for_group
            } else {
                &whole
            };
            let payload = match parts.is_empty() {
                true => plain,
                false => Payload::TelegramRich {
                    chat,
                    parts: parts.clone(),
                    buttons: out.buttons.clone(),
                    fallback: Box::new(plain),
                },
            };
            payload.row(Recipient::Telegram(chat))
        })
        .collect()
}

/// The outbox rows of a firing: the report rendered for each recipient.
async fn render(
    store: &Arc<Store>,
    config: &Config,
    sc: &ScheduleConfig,
    firing: &Firing,
    dir: &Path,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<NewOutboxRow>> {
    let local_day = firing
        .at
        .with_timezone(&sc.schedule.timezone())
        .date_naive();
    match &sc.job {
        ScheduleJob::Pull { .. } => Ok(Vec::new()),
        ScheduleJob::Cards { team } => super::cards::cards(store.as_ref(), config, team, now)
            .await?
            .into_iter()
            .map(|card| {
                let payload = Payload::Telegram {
                    chat: card.chat,
                    messages: card.messages,
                    photos: Vec::new(),
                    caption: None,
                    buttons: card.buttons,
                };
                payload.row(Recipient::Telegram(card.chat))
            })
            .collect(),
        ScheduleJob::Digest { team, deliver } => {
            let team_config = crate::app::team(config, team)?;
            let day =
                crate::report::digest::digest_day(local_day, |d| team_config.is_working_day(d));
            let files =
                crate::app::digest::write_digest(store.as_ref(), config, team, day, now, dir)
                    .await?;
            match deliver {
                Delivery::File => {
                    let mut written: Vec<PathBuf> = files.telegram_messages.clone();
                    written.push(files.text.clone());
                    written.extend(files.charts.iter().cloned());
                    Ok(vec![file_row(team, &written)?])
                }
                Delivery::Email => {
                    anyhow::bail!("a digest goes to files or Telegram, not by email")
                }
                Delivery::Telegram => digest_rows(config, team, &files),
            }
        }
        ScheduleJob::Weekly { team, deliver } => {
            // The week before the firing's (a Monday morning report covers
            // the week that just ended).
            let day = local_day - Duration::days(7);
            let files = crate::app::weekly::write_weekly(
                store.as_ref(),
                config,
                team,
                day,
                now,
                dir,
                *deliver,
            )
            .await?;
            match deliver {
                Delivery::File => {
                    let mut written = vec![files.html.clone(), files.xlsx.clone()];
                    written.extend(files.eml.iter().cloned());
                    written.extend(files.charts.iter().cloned());
                    Ok(vec![file_row(team, &written)?])
                }
                Delivery::Telegram => {
                    anyhow::bail!("a weekly report goes to files or by email, not to Telegram")
                }
                Delivery::Email => {
                    let email = files.email.with_context(|| {
                        format!("nobody to send the weekly report of team {team} to: give an owner or a head an email, or set email.to")
                    })?;
                    let eml =
                        base64::engine::general_purpose::STANDARD.encode(email.message.formatted());
                    let from = email.message.envelope().from().map(|a| a.to_string());
                    email
                        .recipients
                        .iter()
                        .map(|to| {
                            Payload::Email {
                                to: to.clone(),
                                from: from.clone(),
                                eml: eml.clone(),
                            }
                            .row(Recipient::Email(to.clone()))
                        })
                        .collect()
                }
            }
        }
    }
}

fn file_row(team: &str, written: &[PathBuf]) -> anyhow::Result<NewOutboxRow> {
    Payload::File {
        files: written.iter().map(|p| p.display().to_string()).collect(),
    }
    .row(Recipient::File(team.to_owned()))
}
