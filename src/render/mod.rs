//! Rendering report models into text: minijinja templates from
//! `report-templates/` (an admin's override folder first, the built-in copies
//! embedded in the binary as the fallback), and Telegram's message limits.

pub mod charts;
pub mod email;
pub mod spreadsheet;
pub mod telegram;

use std::path::PathBuf;

use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde::Serialize;

use crate::config::Locale;
use crate::words::{Arg, Catalog};

/// A drawn chart as it goes out: its file name and PNG bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chart {
    pub name: String,
    pub png: Vec<u8>,
}

/// A button under a message: its label and the command it asks. Stored as
/// a `[label, command]` pair, as outbox rows have always held it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(from = "(String, String)", into = "(String, String)")]
pub struct Button {
    pub label: String,
    pub command: String,
}

impl From<(String, String)> for Button {
    fn from((label, command): (String, String)) -> Self {
        Button { label, command }
    }
}

impl From<Button> for (String, String) {
    fn from(b: Button) -> Self {
        (b.label, b.command)
    }
}

/// Embeds templates from `report-templates/` under their relative names.
macro_rules! built_in {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../report-templates/", $name)))),*]
    };
}

/// The built-in templates, by name: `<locale>/<report>.<form>`.
const BUILT_IN: &[(&str, &str)] = built_in![
    "ru/digest.telegram.html",
    "ru/digest.txt",
    "ru/manager.telegram.html",
    "ru/manager.txt",
    "en/digest.telegram.html",
    "en/digest.txt",
    "en/manager.telegram.html",
    "en/manager.txt",
    "ru/weekly.html",
    "ru/weekly.txt",
    "ru/weekly.subject.txt",
    "en/weekly.html",
    "en/weekly.txt",
    "en/weekly.subject.txt",
];

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("template {name}: {source:#}")]
    Template {
        name: String,
        source: minijinja::Error,
    },
    #[error("message catalog: {0}")]
    Catalog(#[from] crate::words::CatalogError),
}

/// The locale a template is written in, from its folder (`ru/digest.txt`).
fn template_locale(state: &minijinja::State) -> Locale {
    match state.name().split('/').next() {
        Some("en") => Locale::En,
        _ => Locale::Ru,
    }
}

pub use crate::words::locale_dir;

/// The template set: strict about undefined variables, escaping HTML forms,
/// with the message catalog its templates word things through.
pub struct Templates {
    env: Environment<'static>,
    catalog: std::sync::Arc<Catalog>,
}

impl Templates {
    /// `override_dir` holds an admin's edited copies; a template (or a
    /// message) missing there comes from the built-in set. Templates count
    /// and measure through the catalog of their locale:
    /// `{{ n | count("calls") }}` reads «21 звонок», `{{ secs | duration }}`
    /// «8 мин 55 с», `{{ x | number }}` «12 345,5», `{{ share | percent }}`
    /// «38,6 %», `{{ t("message-id", n=3) }}` any message of the catalog.
    pub fn new(override_dir: Option<PathBuf>) -> Result<Self, RenderError> {
        let catalog = std::sync::Arc::new(Catalog::new(override_dir.as_deref())?);
        let mut env = Environment::new();
        let messages = catalog.clone();
        env.add_filter(
            "count",
            move |state: &minijinja::State, n: i64, message: String| {
                messages.count(template_locale(state), &message, n)
            },
        );
        let messages = catalog.clone();
        env.add_filter("duration", move |state: &minijinja::State, seconds: i64| {
            messages.duration(template_locale(state), seconds)
        });
        let messages = catalog.clone();
        env.add_filter("percent", move |state: &minijinja::State, share: f64| {
            messages.percent(template_locale(state), share)
        });
        env.add_filter("number", |state: &minijinja::State, n: f64| {
            crate::words::number(template_locale(state), n, 1)
        });
        let messages = catalog.clone();
        env.add_function(
            "t",
            move |state: &minijinja::State, id: String, args: minijinja::value::Kwargs| {
                let mut values = Vec::new();
                for name in args.args() {
                    let v: minijinja::Value = args.get(name)?;
                    let arg = match v.as_i64() {
                        Some(n) => Arg::from(n),
                        None => match f64::try_from(v.clone()) {
                            Ok(n) if v.kind() == minijinja::value::ValueKind::Number => {
                                Arg::from(n)
                            }
                            _ => Arg::Text(v.to_string()),
                        },
                    };
                    values.push((name, arg));
                }
                Ok::<_, minijinja::Error>(messages.text(template_locale(state), &id, &values))
            },
        );
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") {
                AutoEscape::Html
            } else {
                AutoEscape::None
            }
        });
        env.add_filter("pad", |value: minijinja::Value, width: usize| {
            let text = value.to_string();
            let n = text.chars().count();
            format!("{text}{}", " ".repeat(width.saturating_sub(n)))
        });
        env.add_filter("lpad", |value: minijinja::Value, width: usize| {
            let text = value.to_string();
            let n = text.chars().count();
            format!("{}{text}", " ".repeat(width.saturating_sub(n)))
        });
        env.add_filter("status_icon", |status: String| {
            match status.as_str() {
                "met" => "✅",
                "missed" => "⚠️",
                "info" => "ℹ️",
                _ => "—",
            }
            .to_owned()
        });
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        env.set_loader(move |name| {
            if let Some(dir) = &override_dir {
                let path = dir.join(name);
                if path.is_file() {
                    return std::fs::read_to_string(&path).map(Some).map_err(|e| {
                        minijinja::Error::new(
                            minijinja::ErrorKind::InvalidOperation,
                            format!("cannot read {}: {e}", path.display()),
                        )
                    });
                }
            }
            Ok(BUILT_IN
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, text)| (*text).to_owned()))
        });
        Ok(Self { env, catalog })
    }

    /// The catalog the templates word things through (with the admin's
    /// overrides).
    pub fn catalog(&self) -> &std::sync::Arc<Catalog> {
        &self.catalog
    }

    /// Renders `name` (e.g. `ru/digest.txt`) with `context`.
    pub fn render<S: Serialize>(&self, name: &str, context: S) -> Result<String, RenderError> {
        let err = |source| RenderError::Template {
            name: name.to_owned(),
            source,
        };
        let template = self.env.get_template(name).map_err(err)?;
        template.render(context).map_err(err)
    }
}
