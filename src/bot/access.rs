//! Who is writing, and whose figures they may see: a manager their own, a
//! head their team's, an owner everyone's (`METRICS.md`, section 7).

use crate::config::{Config, EmployeeConfig, Locale};
use crate::domain::Role;
use crate::report::figures::{FiguresError, find_employee};
use crate::storage::Store;
use crate::words::{Arg, Catalog};

/// Why a request was refused; `say` words it in the reader's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// A manager asked about someone else.
    OnlyYourOwn,
    /// A head asked about someone of another team (their name).
    NotYourTeam(String),
    /// Nobody matches the words (as echoed).
    NoOne(String),
    /// Several people match the words: the words, then their names.
    Several(String, String),
    /// The figure is kept from managers (`visibility.hide_from_managers`).
    Hidden,
}

impl Refusal {
    pub fn say(&self, words: &Catalog, locale: Locale) -> String {
        match self {
            Refusal::OnlyYourOwn => words.text(locale, "bot-refusal-own-only", &[]),
            Refusal::NotYourTeam(name) => words.text(
                locale,
                "bot-refusal-not-your-team",
                &[("name", Arg::from(name.as_str()))],
            ),
            Refusal::NoOne(who) => words.text(
                locale,
                "bot-refusal-no-one",
                &[("who", Arg::from(who.as_str()))],
            ),
            Refusal::Several(who, names) => words.text(
                locale,
                "bot-refusal-several",
                &[
                    ("who", Arg::from(who.as_str())),
                    ("names", Arg::from(names.as_str())),
                ],
            ),
            Refusal::Hidden => words.text(locale, "bot-refusal-hidden", &[]),
        }
    }
}

/// The employee behind a Telegram account: by `telegram_id` in the config,
/// else by a link made with an invite code.
pub async fn identify<'c>(
    store: &Store,
    config: &'c Config,
    telegram_id: i64,
) -> anyhow::Result<Option<&'c EmployeeConfig>> {
    if let Some(e) = config
        .employees
        .iter()
        .find(|e| e.telegram_id == Some(telegram_id))
    {
        return Ok(Some(e));
    }
    let linked = store.telegram_link(telegram_id).await?;
    Ok(linked.and_then(|id| config.employees.iter().find(|e| e.id == id)))
}

/// The person a command is about: the viewer when no one is named, else
/// the one named if the viewer may see them.
pub fn target<'c>(
    config: &'c Config,
    viewer: &'c EmployeeConfig,
    who: Option<&str>,
) -> Result<&'c EmployeeConfig, Refusal> {
    let Some(who) = who else {
        return Ok(viewer);
    };
    let person = find_employee(config, who).map_err(|e| match e {
        FiguresError::Ambiguous(_, names) => Refusal::Several(super::parse::echo(who), names),
        _ => Refusal::NoOne(super::parse::echo(who)),
    })?;
    if person.id == viewer.id {
        return Ok(person);
    }
    match viewer.role {
        Role::Owner | Role::Admin => Ok(person),
        Role::Head if person.team == viewer.team => Ok(person),
        Role::Head => Err(Refusal::NotYourTeam(person.name.clone())),
        Role::Manager => Err(Refusal::OnlyYourOwn),
    }
}

/// A one-time code of 10 letters and digits (no 0/O, 1/I/L to misread).
pub fn new_invite_code() -> anyhow::Result<String> {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    let mut bytes = [0u8; 10];
    getrandom::getrandom(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(bytes
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect())
}

/// Makes an invite code for `who`, valid for `hours`.
pub async fn invite(
    store: &Store,
    config: &Config,
    who: &str,
    hours: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<(String, String, chrono::DateTime<chrono::Utc>)> {
    let person = find_employee(config, who)?;
    let code = new_invite_code()?;
    let expires = now + chrono::Duration::hours(hours);
    store.create_invite(&code, &person.id, now, expires).await?;
    Ok((code, person.name.clone(), expires))
}
