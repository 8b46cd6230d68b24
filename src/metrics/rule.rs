//! A figure's explanation as data: the id of its rule and the values the
//! rule names. No words here: `words` turns a rule into the reader's
//! language (`rule-<id>` in `report-templates/<locale>/rules.ftl`), so the
//! same rule reads «результативные контакты = …» in a Russian team and
//! `successful contacts = …` in an English one.

use serde::Serialize;
use serde::ser::SerializeMap;

/// A rule: its id and its named values, in the order the rule names them.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub id: &'static str,
    pub values: Vec<(&'static str, Value)>,
}

/// A value a rule names, with what it is, so each reads as people write it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Value {
    /// A whole number of things; it also picks the plural form.
    Count(i64),
    /// A number with a fraction (a pace, a threshold, a rate).
    Number(f64),
    /// A duration in seconds: «8 мин 55 с».
    Seconds(i64),
    /// A share: 0.25 reads «25 %».
    Share(f64),
    /// An amount of money in whole units of `currency` (a code: RUB).
    Money { amount: f64, currency: String },
    /// Text that reads the same in every language: a time «10:05», a
    /// name, a deal's title.
    Text(String),
    /// A figure's key, worded by the figure's name (`figure-<key>`).
    Figure(String),
    /// Another rule, worded in place.
    Rule(Box<Rule>),
    /// Several rules, worded one after another.
    Rules(Vec<Rule>),
}

impl Rule {
    pub fn new(id: &'static str) -> Self {
        Rule {
            id,
            values: Vec::new(),
        }
    }

    /// The rule with one more named value.
    pub fn with(mut self, name: &'static str, value: impl Into<Value>) -> Self {
        self.values.push((name, value.into()));
        self
    }

    /// The value named `name`, if the rule has one.
    pub fn value(&self, name: &str) -> Option<&Value> {
        self.values.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Value::Count(n)
    }
}

impl From<usize> for Value {
    fn from(n: usize) -> Self {
        Value::Count(n as i64)
    }
}

impl From<f64> for Value {
    fn from(n: f64) -> Self {
        Value::Number(n)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Text(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Text(s)
    }
}

impl From<Vec<Rule>> for Value {
    fn from(rules: Vec<Rule>) -> Self {
        Value::Rules(rules)
    }
}

impl From<Rule> for Value {
    fn from(r: Rule) -> Self {
        Value::Rule(Box::new(r))
    }
}

/// `{"id": "successful_contacts", "values": {"n": {"count": 15}, …}}`.
impl Serialize for Rule {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        struct Values<'a>(&'a [(&'static str, Value)]);
        impl Serialize for Values<'_> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut map = serializer.serialize_map(Some(self.0.len()))?;
                for (name, value) in self.0 {
                    map.serialize_entry(name, value)?;
                }
                map.end()
            }
        }
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("id", self.id)?;
        map.serialize_entry("values", &Values(&self.values))?;
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Locale;
    use crate::words::Catalog;

    /// Every `Rule::new("<id>")` in `text`.
    fn ids_in(text: &str) -> Vec<String> {
        let mut ids = Vec::new();
        let mut rest = text;
        while let Some(at) = rest.find("Rule::new(\"") {
            rest = &rest[at + "Rule::new(\"".len()..];
            if let Some(end) = rest.find('"') {
                ids.push(rest[..end].to_owned());
            }
        }
        ids
    }

    fn sources(dir: &std::path::Path, out: &mut Vec<(String, String)>) {
        let entries = std::fs::read_dir(dir).expect("src/ is readable");
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("a source file reads");
                out.push((path.display().to_string(), text));
            }
        }
    }

    #[test]
    fn every_rule_made_in_the_code_has_words_in_both_locales() {
        let mut files = Vec::new();
        sources(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut files,
        );
        let catalog = Catalog::built_in();
        let mut seen = 0;
        let mut missing = Vec::new();
        for (file, text) in &files {
            // This file's own examples are not rules the product makes.
            if file.ends_with("metrics/rule.rs") {
                continue;
            }
            for id in ids_in(text) {
                seen += 1;
                for locale in [Locale::Ru, Locale::En] {
                    if !catalog.has(locale, &format!("rule-{id}")) {
                        missing.push(format!("{file}: rule-{id} ({locale:?})"));
                    }
                }
            }
        }
        assert!(seen > 60, "only {seen} rules found: is the scan broken?");
        assert!(missing.is_empty(), "{missing:#?}");
    }

    #[test]
    fn the_rules_files_of_both_locales_name_the_same_rules() {
        let rules = |locale| {
            Catalog::ids(locale)
                .into_iter()
                .filter(|id| id.starts_with("rule-") || id.starts_with("cli-"))
                .collect::<Vec<_>>()
        };
        assert_eq!(rules(Locale::Ru), rules(Locale::En));
        // The transitional prose rule is gone.
        assert!(!rules(Locale::Ru).contains(&"rule-text".to_owned()));
    }

    #[test]
    fn one_rule_reads_in_russian_and_in_english() {
        let c = Catalog::built_in();
        let contacts = Rule::new("successful_contacts")
            .with("n", 15usize)
            .with("of", 25usize)
            .with("min_secs", Value::Seconds(40));
        assert_eq!(
            c.rule(Locale::Ru, &contacts),
            "результативные контакты = соединения с разговором от 40 с = 15 из 25"
        );
        assert_eq!(
            c.rule(Locale::En, &contacts),
            "successful contacts = connected calls with talk >= 40 s = 15 of 25"
        );
        let plan = Rule::new("plan_line")
            .with("completion", Value::Share(0.5))
            .with("figure", Value::Figure("cold_calls".into()))
            .with("actual", 20.0)
            .with("target", 40.0)
            .with("days", 2usize);
        assert_eq!(
            c.rule(Locale::Ru, &plan),
            "Холодные звонки: 20 из 40 за 2 рабочих дня = 50 %"
        );
        let calls = |n: usize| Rule::new("calls_out").with("n", 1usize).with("of", n);
        assert_eq!(
            c.rule(Locale::Ru, &calls(21)),
            "исходящие = 1 из 21 звонка (без внутренних)"
        );
        assert_eq!(
            c.rule(Locale::Ru, &calls(23)),
            "исходящие = 1 из 23 звонков (без внутренних)"
        );
        assert_eq!(
            c.rule(Locale::En, &calls(1)),
            "outbound calls = 1 of 1 call (internal left out)"
        );
        let gaps = Rule::new("idle_gaps")
            .with("min", Value::Seconds(900))
            .with("from", "09:00")
            .with("to", "18:00")
            .with("n", 2usize)
            .with("total", Value::Seconds(3000))
            .with(
                "gaps",
                vec![
                    Rule::new("idle_gap")
                        .with("from", "10:05")
                        .with("to", "10:40")
                        .with("length", Value::Seconds(2100)),
                    Rule::new("idle_gap")
                        .with("from", "14:00")
                        .with("to", "14:15")
                        .with("length", Value::Seconds(900)),
                ],
            );
        assert_eq!(
            c.rule(Locale::Ru, &gaps),
            "простои = паузы дольше 15 мин в рабочие часы 09:00–18:00: 2, всего 50 мин: 10:05–10:40 (35 мин); 14:00–14:15 (15 мин)"
        );
        let none = Rule::new("idle_gaps")
            .with("min", Value::Seconds(900))
            .with("from", "09:00")
            .with("to", "18:00")
            .with("n", 0usize)
            .with("total", Value::Seconds(0))
            .with("gaps", Vec::<Rule>::new());
        assert_eq!(
            c.rule(Locale::En, &none),
            "idle gaps = pauses over 15 min inside 09:00–18:00: 0 totalling 0 s"
        );
    }

    #[test]
    fn a_rule_serializes_as_its_id_and_values() {
        let r = Rule::new("deals_won").with("n", 3usize);
        let json = serde_json::to_value(&r).expect("serializes");
        assert_eq!(
            json,
            serde_json::json!({"id": "deals_won", "values": {"n": {"count": 3}}})
        );
    }
}
