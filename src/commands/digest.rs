//! `report digest`: the morning digest of a team, rendered for Telegram (HTML,
//! split to Telegram's limit) and as plain text, written to files.

use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};

use crate::config::Config;
use crate::render::telegram::{MESSAGE_LIMIT, split_message};
use crate::render::{Templates, locale_dir};
use crate::report::digest::digest;
use crate::report::figures::{self, Scope};
use crate::storage::Storage;

/// What was written.
#[derive(Debug)]
pub struct DigestFiles {
    pub telegram_messages: Vec<PathBuf>,
    pub text: PathBuf,
    pub text_body: String,
}

/// Renders the digest of `team` for `day` into `out_dir`.
pub async fn write_digest(
    store: &dyn Storage,
    config: &Config,
    team: &str,
    day: NaiveDate,
    now: DateTime<Utc>,
    out_dir: &Path,
) -> anyhow::Result<DigestFiles> {
    let team_config = config
        .team(team)
        .with_context(|| format!("no team {team:?} in the config"))?;
    let locale = team_config.locale;
    let report =
        figures::build(store, config, &Scope::Team(team.to_owned()), day, day, now).await?;
    let model = digest(&report, &config.stages, locale);
    let templates = Templates::new(config.templates_dir.clone());
    let dir = locale_dir(locale);
    let html = templates.render(&format!("{dir}/digest.telegram.html"), &model)?;
    let text = templates.render(&format!("{dir}/digest.txt"), &model)?;
    std::fs::create_dir_all(out_dir)
        .with_context(|| format!("cannot create {}", out_dir.display()))?;
    let mut telegram_messages = Vec::new();
    for (i, part) in split_message(&html, MESSAGE_LIMIT).iter().enumerate() {
        let path = out_dir.join(format!("digest-{team}-{day}.telegram.{}.html", i + 1));
        std::fs::write(&path, part).with_context(|| format!("cannot write {}", path.display()))?;
        telegram_messages.push(path);
    }
    let text_path = out_dir.join(format!("digest-{team}-{day}.txt"));
    std::fs::write(&text_path, &text)
        .with_context(|| format!("cannot write {}", text_path.display()))?;
    Ok(DigestFiles {
        telegram_messages,
        text: text_path,
        text_body: text,
    })
}
