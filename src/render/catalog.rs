//! The message catalog: every sentence a person reads, per locale, as
//! Project Fluent messages (`report-templates/<locale>/messages.ftl`), which
//! choose Russian plural forms (one / few / many) and English ones by the
//! number. An admin's `templates_dir/<locale>/messages.ftl` overrides single
//! messages; the rest come from the built-in files embedded in the binary.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

use crate::config::Locale;

const BUILT_IN: [(Locale, &str); 2] = [
    (
        Locale::Ru,
        include_str!("../../report-templates/ru/messages.ftl"),
    ),
    (
        Locale::En,
        include_str!("../../report-templates/en/messages.ftl"),
    ),
];

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("cannot read {0}: {1}")]
    Read(PathBuf, std::io::Error),
    #[error("{file}:{line}: {reason}")]
    Syntax {
        file: String,
        line: usize,
        reason: String,
    },
}

/// The messages of both locales.
pub struct Catalog {
    ru: FluentBundle<FluentResource>,
    en: FluentBundle<FluentResource>,
}

/// A value put into a message: a number (which also picks the plural form)
/// or a text.
pub enum Arg {
    Number(f64),
    Text(String),
}

impl From<i64> for Arg {
    fn from(n: i64) -> Self {
        Arg::Number(n as f64)
    }
}

impl From<u64> for Arg {
    fn from(n: u64) -> Self {
        Arg::Number(n as f64)
    }
}

impl From<usize> for Arg {
    fn from(n: usize) -> Self {
        Arg::Number(n as f64)
    }
}

impl From<f64> for Arg {
    fn from(n: f64) -> Self {
        Arg::Number(n)
    }
}

impl From<&str> for Arg {
    fn from(s: &str) -> Self {
        Arg::Text(s.to_owned())
    }
}

impl From<String> for Arg {
    fn from(s: String) -> Self {
        Arg::Text(s)
    }
}

fn parse(file: &str, text: String) -> Result<FluentResource, CatalogError> {
    FluentResource::try_new(text).map_err(|(resource, errors)| {
        // The entry the error is in, when the parser knows it: an entry
        // left open is reported where the next one begins.
        let Some(first) = errors.first() else {
            return CatalogError::Syntax {
                file: file.to_owned(),
                line: 0,
                reason: "unreadable".to_owned(),
            };
        };
        let at = first.slice.as_ref().map_or(first.pos.start, |s| s.start);
        let line = resource.source()[..at.min(resource.source().len())]
            .matches('\n')
            .count()
            + 1;
        CatalogError::Syntax {
            file: file.to_owned(),
            line,
            reason: format!("{:?}", first.kind),
        }
    })
}

fn bundle(
    locale: Locale,
    built_in: &str,
    override_dir: Option<&Path>,
) -> Result<FluentBundle<FluentResource>, CatalogError> {
    let tag = super::locale_dir(locale);
    let lang: unic_langid::LanguageIdentifier = tag.parse().unwrap_or_default();
    let mut bundle = FluentBundle::new_concurrent(vec![lang]);
    // Telegram and mail clients show the isolation marks around values as
    // boxes; the texts here are one direction.
    bundle.set_use_isolating(false);
    let name = format!("{tag}/messages.ftl");
    let resource = parse(&name, built_in.to_owned())?;
    bundle.add_resource_overriding(resource);
    if let Some(dir) = override_dir {
        let path = dir.join(&name);
        if path.is_file() {
            let text =
                std::fs::read_to_string(&path).map_err(|e| CatalogError::Read(path.clone(), e))?;
            bundle.add_resource_overriding(parse(&path.display().to_string(), text)?);
        }
    }
    Ok(bundle)
}

impl Catalog {
    /// The built-in messages, with an admin's overrides from `override_dir`.
    pub fn new(override_dir: Option<&Path>) -> Result<Self, CatalogError> {
        let [(_, ru), (_, en)] = BUILT_IN;
        Ok(Catalog {
            ru: bundle(Locale::Ru, ru, override_dir)?,
            en: bundle(Locale::En, en, override_dir)?,
        })
    }

    /// The built-in messages alone.
    pub fn built_in() -> &'static Catalog {
        static CATALOG: OnceLock<Catalog> = OnceLock::new();
        CATALOG.get_or_init(|| Catalog::new(None).expect("the built-in catalog parses"))
    }

    fn of(&self, locale: Locale) -> &FluentBundle<FluentResource> {
        match locale {
            Locale::Ru => &self.ru,
            Locale::En => &self.en,
        }
    }

    /// Whether `id` is a message of `locale`.
    pub fn has(&self, locale: Locale, id: &str) -> bool {
        self.of(locale).has_message(id)
    }

    /// The message `id` in `locale` with `args` put in. A message missing
    /// from the catalog reads as its id (a test keeps every id used in both
    /// locales).
    pub fn text(&self, locale: Locale, id: &str, args: &[(&str, Arg)]) -> String {
        let bundle = self.of(locale);
        let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
            tracing::warn!(id, "no such message in the catalog");
            return id.to_owned();
        };
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            let value = match value {
                Arg::Number(n) => FluentValue::from(*n),
                Arg::Text(s) => FluentValue::from(s.as_str()),
            };
            fluent_args.set(*name, value);
        }
        let mut errors = Vec::new();
        let out = bundle.format_pattern(pattern, Some(&fluent_args), &mut errors);
        if !errors.is_empty() {
            tracing::warn!(id, ?errors, "a catalog message lacks a value");
        }
        out.into_owned()
    }

    /// A count with its noun in the right form: `message` is a message
    /// taking `$n` (e.g. `calls` gives «21 звонок», «5 звонков»).
    pub fn count(&self, locale: Locale, message: &str, n: i64) -> String {
        self.text(locale, message, &[("n", Arg::from(n))])
    }

    /// A duration in minutes and seconds: «8 мин 55 с», `8 min 55 s`.
    pub fn duration(&self, locale: Locale, seconds: i64) -> String {
        let s = seconds.max(0);
        let (h, m, sec) = (s / 3600, s / 60 % 60, s % 60);
        self.text(
            locale,
            "duration",
            &[
                ("h", Arg::from(h)),
                ("m", Arg::from(m)),
                ("s", Arg::from(sec)),
            ],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn russian_counts_take_the_form_their_number_asks_for() {
        let c = Catalog::built_in();
        let form = |n: i64| c.count(Locale::Ru, "calls", n);
        for n in 0..=125i64 {
            let (tens, units) = (n % 100, n % 10);
            let want = if (11..=14).contains(&tens) {
                "звонков"
            } else {
                match units {
                    1 => "звонок",
                    2..=4 => "звонка",
                    _ => "звонков",
                }
            };
            assert_eq!(form(n), format!("{n} {want}"), "n = {n}");
        }
        assert_eq!(c.count(Locale::En, "calls", 1), "1 call");
        assert_eq!(c.count(Locale::En, "calls", 21), "21 calls");
    }

    #[test]
    fn durations_keep_their_seconds() {
        let c = Catalog::built_in();
        assert_eq!(c.duration(Locale::Ru, 535), "8 мин 55 с");
        assert_eq!(c.duration(Locale::En, 535), "8 min 55 s");
        assert_eq!(c.duration(Locale::Ru, 40), "40 с");
        assert_eq!(c.duration(Locale::En, 3600 + 120), "1 h 2 min");
    }

    #[test]
    fn an_admins_file_overrides_single_messages_and_a_broken_one_names_its_line() {
        let dir = tempfile::tempdir().expect("a temp dir");
        std::fs::create_dir_all(dir.path().join("ru")).expect("ru/");
        let file = dir.path().join("ru/messages.ftl");
        std::fs::write(&file, "calls = { $n } вызовов\n").expect("written");
        let c = Catalog::new(Some(dir.path())).expect("parses");
        assert_eq!(c.count(Locale::Ru, "calls", 3), "3 вызовов");
        assert_eq!(c.duration(Locale::Ru, 61), "1 мин 1 с");
        std::fs::write(&file, "ok = fine\nbroken = { $n\nlast = x\n").expect("written");
        let err = Catalog::new(Some(dir.path())).err().expect("refused");
        assert!(err.to_string().contains("messages.ftl:2"), "{err}");
    }
}
