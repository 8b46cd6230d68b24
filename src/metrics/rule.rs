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

/// Text that is already words (kept while the last prose rules move to ids).
impl From<String> for Rule {
    fn from(text: String) -> Self {
        Rule::new("text").with("text", Value::Text(text))
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
