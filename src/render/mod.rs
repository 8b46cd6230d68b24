//! Rendering report models into text: minijinja templates from
//! `report-templates/` (an admin's override folder first, the built-in copies
//! embedded in the binary as the fallback), and Telegram's message limits.

pub mod charts;
pub mod email;
pub mod rich;
pub mod spreadsheet;
pub mod swimlane;
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
/// a `[label, command]` pair, as outbox rows have always held it (with
/// `true` third when pressing it edits the message it is under).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(from = "ButtonRepr", into = "ButtonRepr")]
pub struct Button {
    pub label: String,
    pub command: String,
    /// Pressing it replaces the message it is under with the answer (a
    /// card's day before and after), instead of sending a new one.
    pub edit: bool,
}

#[derive(Serialize, serde::Deserialize)]
#[serde(untagged)]
enum ButtonRepr {
    Asks(String, String),
    Edits(String, String, bool),
}

impl From<ButtonRepr> for Button {
    fn from(r: ButtonRepr) -> Self {
        match r {
            ButtonRepr::Asks(label, command) => Button::asks(label, command),
            ButtonRepr::Edits(label, command, edit) => Button {
                label,
                command,
                edit,
            },
        }
    }
}

impl From<Button> for ButtonRepr {
    fn from(b: Button) -> Self {
        match b.edit {
            false => ButtonRepr::Asks(b.label, b.command),
            true => ButtonRepr::Edits(b.label, b.command, true),
        }
    }
}

impl From<(String, String)> for Button {
    fn from((label, command): (String, String)) -> Self {
        Button::asks(label, command)
    }
}

/// Telegram's limit on a button's callback data, in bytes.
pub const CALLBACK_BYTES: usize = 64;
/// Callback data that stands for a command kept server-side.
const KEPT: &str = "k:";
/// Callback data of a button that edits its message.
const EDITS: &str = "e:";

impl Button {
    /// A button that asks `command` (answered in a new message).
    pub fn asks(label: impl Into<String>, command: impl Into<String>) -> Self {
        Button {
            label: label.into(),
            command: command.into(),
            edit: false,
        }
    }

    /// A button whose answer replaces the message it is under.
    pub fn edits(label: impl Into<String>, command: impl Into<String>) -> Self {
        Button {
            edit: true,
            ..Button::asks(label, command)
        }
    }

    /// What Telegram carries back when it is pressed, within
    /// [`CALLBACK_BYTES`]: the command itself when short enough, else a
    /// key of it (kept server-side, see [`Button::kept`]); `e:` first when
    /// it edits.
    pub fn callback_data(&self) -> String {
        let edit = if self.edit { EDITS } else { "" };
        let plain = format!("{edit}{}", self.command);
        match plain.len() <= CALLBACK_BYTES {
            true => plain,
            false => format!("{edit}{KEPT}{}", key_of(&self.command)),
        }
    }

    /// `(key, command)` when its callback data is a key.
    pub fn kept(&self) -> Option<(String, String)> {
        let data = self.callback_data();
        let data = data.strip_prefix(EDITS).unwrap_or(&data);
        data.strip_prefix(KEPT)
            .map(|key| (key.to_owned(), self.command.clone()))
    }
}

/// A pressed button's callback data read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pressed {
    /// The command, or (`kept`) the key it is kept under.
    pub data: String,
    pub kept: bool,
    pub edit: bool,
}

impl Pressed {
    pub fn parse(data: &str) -> Self {
        let (edit, rest) = match data.strip_prefix(EDITS) {
            Some(rest) => (true, rest),
            None => (false, data),
        };
        match rest.strip_prefix(KEPT) {
            Some(key) => Pressed {
                data: key.to_owned(),
                kept: true,
                edit,
            },
            None => Pressed {
                data: rest.to_owned(),
                kept: false,
                edit,
            },
        }
    }
}

/// A stable short key of a command: FNV-1a, 64 bits, in hex (16 bytes).
fn key_of(command: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in command.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
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
    "ru/digest.rich.html",
    "ru/digest.txt",
    "ru/manager.telegram.html",
    "ru/manager.txt",
    "en/digest.telegram.html",
    "en/digest.rich.html",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_buttons_callback_data_fits_telegram_whatever_the_name() {
        let short = Button::asks("Пульс", "/pulse ivanov");
        assert_eq!(short.callback_data(), "/pulse ivanov");
        assert_eq!(short.kept(), None);
        for n in [1, 10, 40, 200] {
            let name = "Константинопольский-Щедрин ".repeat(n);
            for b in [
                Button::asks("Почему?", format!("/why trace {name} 04.12.2026")),
                Button::edits("◀", format!("/pulse {name} 03.12.2026")),
            ] {
                let data = b.callback_data();
                assert!(data.len() <= CALLBACK_BYTES, "{} bytes", data.len());
                let press = Pressed::parse(&data);
                assert_eq!(press.edit, b.edit);
                match b.kept() {
                    Some((key, command)) => {
                        assert!(press.kept);
                        assert_eq!(press.data, key);
                        assert_eq!(command, b.command);
                    }
                    None => assert_eq!(press.data, b.command),
                }
            }
        }
        // The same command, the same key (digests of several instances agree).
        let a = Button::asks("a", "/why trace ".to_owned() + &"Щ".repeat(40));
        let b = Button::asks("b", a.command.clone());
        assert_eq!(a.kept(), b.kept());
    }

    #[test]
    fn buttons_read_from_old_outbox_rows_and_back() {
        let old: Button = serde_json::from_str(r#"["Пульс","/pulse x"]"#).unwrap();
        assert_eq!(old, Button::asks("Пульс", "/pulse x"));
        assert_eq!(
            serde_json::to_string(&old).unwrap(),
            r#"["Пульс","/pulse x"]"#
        );
        let edits = Button::edits("◀", "/me 03.12.2026");
        let json = serde_json::to_string(&edits).unwrap();
        assert_eq!(serde_json::from_str::<Button>(&json).unwrap(), edits);
    }
}
