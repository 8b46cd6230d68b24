//! The message catalog: every sentence a person reads, per locale, as
//! Project Fluent messages (`report-templates/<locale>/*.ftl`), which choose
//! Russian plural forms (one / few / many) and English ones by the number,
//! and figures' rules worded from their ids and values (`rule-<id>`). Numbers
//! read with the locale's separators (`12 345,5`, `12,345.5`). An admin's
//! `templates_dir/<locale>/<file>.ftl` overrides single messages; the rest
//! come from the built-in files embedded in the binary.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

use crate::config::Locale;
use crate::metrics::{Rule, Value};

/// Embeds the message files of a locale under their names.
macro_rules! files {
    ($locale:literal: $($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../report-templates/", $locale, "/", $name)))),*]
    };
}

/// The built-in message files: words and units, figures' rules, the bot's
/// replies, the command line's reports.
const RU: &[(&str, &str)] = files!("ru": "messages.ftl", "rules.ftl", "bot.ftl", "cli.ftl");
const EN: &[(&str, &str)] = files!("en": "messages.ftl", "rules.ftl", "bot.ftl", "cli.ftl");

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

/// The locale's way of writing a number: its thousands separator and
/// decimal mark.
fn separators(locale: Locale) -> (&'static str, char) {
    match locale {
        // A no-break space, so that 12 345 never breaks over two lines.
        Locale::Ru => ("\u{a0}", ','),
        Locale::En => (",", '.'),
    }
}

/// `value` with at most `max_fraction` decimals (trailing zeros dropped),
/// grouped by thousands, in the locale's way: `12 345,5`, `12,345.5`.
pub fn number(locale: Locale, value: f64, max_fraction: usize) -> String {
    let (group, mark) = separators(locale);
    let text = format!("{:.*}", max_fraction, value.abs());
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let frac = frac.trim_end_matches('0');
    let mut grouped = String::new();
    for (i, digit) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push_str(group);
        }
        grouped.push(digit);
    }
    let negative = value < 0.0 && (int.chars().any(|c| c != '0') || !frac.is_empty());
    let sign = if negative { "-" } else { "" };
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}{mark}{frac}")
    }
}

/// How Fluent writes a number in a message: grouped, with the locale's
/// decimal mark, at most the decimals the message asks for (two unless
/// `NUMBER($x, maximumFractionDigits: n)` says otherwise).
fn fluent_number(locale: Locale, value: &FluentValue) -> Option<String> {
    match value {
        FluentValue::Number(n) => {
            let max = n.options.maximum_fraction_digits.unwrap_or(2);
            let min = n.options.minimum_fraction_digits.unwrap_or(0);
            let mut text = number(locale, n.value, max.max(min));
            let (_, mark) = separators(locale);
            if min > 0 {
                let have = text.split_once(mark).map_or(0, |(_, f)| f.len());
                if have == 0 {
                    text.push(mark);
                }
                text.push_str(&"0".repeat(min.saturating_sub(have)));
            }
            Some(text)
        }
        _ => None,
    }
}

fn ru_number<M>(value: &FluentValue, _: &M) -> Option<String> {
    fluent_number(Locale::Ru, value)
}

fn en_number<M>(value: &FluentValue, _: &M) -> Option<String> {
    fluent_number(Locale::En, value)
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
    built_in: &[(&str, &str)],
    override_dir: Option<&Path>,
) -> Result<FluentBundle<FluentResource>, CatalogError> {
    let tag = locale_dir(locale);
    let lang: unic_langid::LanguageIdentifier = tag.parse().unwrap_or_default();
    let mut bundle = FluentBundle::new_concurrent(vec![lang]);
    // Telegram and mail clients show the isolation marks around values as
    // boxes; the texts here are one direction.
    bundle.set_use_isolating(false);
    // NUMBER($x, maximumFractionDigits: 1) and the other built-ins.
    let _ = bundle.add_builtins();
    bundle.set_formatter(Some(match locale {
        Locale::Ru => ru_number,
        Locale::En => en_number,
    }));
    for (file, text) in built_in {
        let name = format!("{tag}/{file}");
        bundle.add_resource_overriding(parse(&name, (*text).to_owned())?);
        if let Some(dir) = override_dir {
            let path = dir.join(&name);
            if path.is_file() {
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| CatalogError::Read(path.clone(), e))?;
                bundle.add_resource_overriding(parse(&path.display().to_string(), text)?);
            }
        }
    }
    Ok(bundle)
}

/// The folder of a locale's templates and messages.
pub fn locale_dir(locale: Locale) -> &'static str {
    match locale {
        Locale::Ru => "ru",
        Locale::En => "en",
    }
}

impl Catalog {
    /// The built-in messages, with an admin's overrides from `override_dir`.
    pub fn new(override_dir: Option<&Path>) -> Result<Self, CatalogError> {
        Ok(Catalog {
            ru: bundle(Locale::Ru, RU, override_dir)?,
            en: bundle(Locale::En, EN, override_dir)?,
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

    /// A share as a percentage with one decimal at most: «38,6 %».
    pub fn percent(&self, locale: Locale, share: f64) -> String {
        self.text(locale, "percent", &[("p", Arg::from(share * 100.0))])
    }

    /// An amount of money in whole units of `currency`: «12 345 ₽».
    pub fn money(&self, locale: Locale, amount: f64, currency: &str) -> String {
        self.text(
            locale,
            "money",
            &[
                ("amount", Arg::Text(number(locale, amount, 2))),
                ("currency", Arg::from(currency)),
            ],
        )
    }

    /// Money rounded to what a head reads at a glance: «4,2 млн ₽», «850
    /// тыс. ₽», «640 ₽»; `RUB 4.2M`.
    pub fn money_short(&self, locale: Locale, amount: f64, currency: &str) -> String {
        let (value, scale) = if amount.abs() >= 1_000_000.0 {
            (amount / 1_000_000.0, "million")
        } else if amount.abs() >= 1_000.0 {
            (amount / 1_000.0, "thousand")
        } else {
            (amount, "unit")
        };
        self.text(
            locale,
            "money-short",
            &[
                ("value", Arg::Text(number(locale, value, 1))),
                ("scale", Arg::from(scale)),
                ("currency", Arg::from(currency)),
            ],
        )
    }

    /// A figure's name as people call it (`figure-<key>`: «Холодные
    /// звонки»); a key the catalog does not know reads as itself.
    pub fn figure(&self, locale: Locale, key: &str) -> String {
        let id = format!("figure-{key}");
        if self.has(locale, &id) {
            self.text(locale, &id, &[])
        } else {
            key.to_owned()
        }
    }

    /// A value of a rule as words of `locale`.
    fn value(&self, locale: Locale, value: &Value) -> Arg {
        match value {
            Value::Count(n) => Arg::from(*n),
            Value::Number(n) => Arg::from(*n),
            Value::Seconds(s) => Arg::Text(self.duration(locale, *s)),
            Value::Share(s) => Arg::Text(self.percent(locale, *s)),
            Value::Money { amount, currency } => Arg::Text(self.money(locale, *amount, currency)),
            Value::Text(t) => Arg::Text(t.clone()),
            Value::Figure(key) => Arg::Text(self.figure(locale, key)),
            Value::Rule(r) => Arg::Text(self.rule(locale, r)),
            Value::Rules(rules) => Arg::Text(
                rules
                    .iter()
                    .map(|r| self.rule(locale, r))
                    .collect::<Vec<_>>()
                    .join(&self.text(locale, "rule-separator", &[])),
            ),
        }
    }

    /// A rule in the words of `locale`: the message `rule-<id>` with the
    /// rule's values put in.
    pub fn rule(&self, locale: Locale, rule: &Rule) -> String {
        let args: Vec<(&str, Arg)> = rule
            .values
            .iter()
            .map(|(name, v)| (*name, self.value(locale, v)))
            .collect();
        self.text(locale, &format!("rule-{}", rule.id), &args)
    }

    /// The ids of the messages of `locale` (built in and overridden).
    pub fn ids(locale: Locale) -> Vec<String> {
        let files = match locale {
            Locale::Ru => RU,
            Locale::En => EN,
        };
        let mut ids = Vec::new();
        for (_, text) in files {
            if let Ok(resource) = FluentResource::try_new((*text).to_owned()) {
                for entry in resource.entries() {
                    if let fluent_syntax::ast::Entry::Message(m) = entry {
                        ids.push(m.id.name.to_owned());
                    }
                }
            }
        }
        ids.sort();
        ids
    }
}

/// The catalog in one locale: what a report for one reader words things
/// with.
#[derive(Clone, Copy)]
pub struct Words<'c> {
    pub catalog: &'c Catalog,
    pub locale: Locale,
}

impl Catalog {
    /// The messages of `locale`.
    pub fn words(&self, locale: Locale) -> Words<'_> {
        Words {
            catalog: self,
            locale,
        }
    }

    /// A figure's short name for tables and plan lines (`short-<key>`:
    /// «Холодные»), its full name where it has no short one.
    pub fn short_figure(&self, locale: Locale, key: &str) -> String {
        let id = format!("short-{key}");
        if self.has(locale, &id) {
            self.text(locale, &id, &[])
        } else {
            self.figure(locale, key)
        }
    }

    /// A month with its year: «декабрь 2026», `December 2026`.
    pub fn month(&self, locale: Locale, day: chrono::NaiveDate) -> String {
        use chrono::Datelike;
        self.text(
            locale,
            "month-label",
            &[
                ("m", Arg::from(i64::from(day.month()))),
                ("y", Arg::Text(day.year().to_string())),
            ],
        )
    }

    /// A value of a rule, or of a table cell, in the words of `locale`.
    pub fn value_text(&self, locale: Locale, value: &Value) -> String {
        match self.value(locale, value) {
            Arg::Number(n) => number(locale, n, 2),
            Arg::Text(t) => t,
        }
    }

    /// A day with its weekday: «вт 17.11», `Tue 17.11`.
    pub fn day(&self, locale: Locale, day: chrono::NaiveDate) -> String {
        use chrono::Datelike;
        self.text(
            locale,
            "day-label",
            &[
                (
                    "weekday",
                    Arg::from(i64::from(day.weekday().number_from_monday())),
                ),
                ("date", Arg::Text(day.format("%d.%m").to_string())),
            ],
        )
    }

    /// Days `first` to `last`: «пн 30.11 – ср 02.12»; one day as [`Catalog::day`].
    pub fn period(
        &self,
        locale: Locale,
        first: chrono::NaiveDate,
        last: chrono::NaiveDate,
    ) -> String {
        if first == last {
            return self.day(locale, first);
        }
        self.text(
            locale,
            "period-label",
            &[
                ("first", Arg::Text(self.day(locale, first))),
                ("last", Arg::Text(self.day(locale, last))),
            ],
        )
    }
}

impl Words<'_> {
    pub fn text(&self, id: &str, args: &[(&str, Arg)]) -> String {
        self.catalog.text(self.locale, id, args)
    }
    pub fn count(&self, message: &str, n: i64) -> String {
        self.catalog.count(self.locale, message, n)
    }
    pub fn duration(&self, seconds: i64) -> String {
        self.catalog.duration(self.locale, seconds)
    }
    pub fn percent(&self, share: f64) -> String {
        self.catalog.percent(self.locale, share)
    }
    pub fn money(&self, amount: f64, currency: &str) -> String {
        self.catalog.money(self.locale, amount, currency)
    }
    pub fn number(&self, value: f64, max_fraction: usize) -> String {
        number(self.locale, value, max_fraction)
    }
    pub fn figure(&self, key: &str) -> String {
        self.catalog.figure(self.locale, key)
    }
    pub fn short_figure(&self, key: &str) -> String {
        self.catalog.short_figure(self.locale, key)
    }
    pub fn rule(&self, rule: &Rule) -> String {
        self.catalog.rule(self.locale, rule)
    }
    pub fn day(&self, day: chrono::NaiveDate) -> String {
        self.catalog.day(self.locale, day)
    }
    pub fn month(&self, day: chrono::NaiveDate) -> String {
        self.catalog.month(self.locale, day)
    }
    pub fn value(&self, value: &Value) -> String {
        self.catalog.value_text(self.locale, value)
    }
    pub fn period(&self, first: chrono::NaiveDate, last: chrono::NaiveDate) -> String {
        self.catalog.period(self.locale, first, last)
    }
}

#[cfg(test)]
mod tests;
