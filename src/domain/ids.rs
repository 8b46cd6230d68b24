//! The ids of the domain: a record's id in its source, and a client's phone
//! number reduced to one form.

use serde::{Deserialize, Serialize};
use std::fmt;

use super::DomainError;

/// The id a source gives a record (`uniqueid`, a CRM deal id): never empty.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ExternalId(String);

impl ExternalId {
    pub fn parse(raw: &str, what: &'static str) -> Result<Self, DomainError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(DomainError::Empty(what));
        }
        Ok(Self(trimmed.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ExternalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A phone number reduced to its digits, with the Russian trunk prefix `8`
/// of an 11-digit number rewritten to `7`, so that `8 (916) 123-45-67`,
/// `+7 916 1234567` and `79161234567` are one client.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Phone(String);

impl Phone {
    pub fn normalize(raw: &str) -> Self {
        let mut digits: String = raw.chars().filter(char::is_ascii_digit).collect();
        if digits.len() == 11 && digits.starts_with('8') {
            digits.replace_range(0..1, "7");
        }
        Self(digits)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
