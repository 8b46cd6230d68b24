//! Asterisk's CDR table in a database, as FreePBX, Issabel and VitalPBX keep
//! it: MySQL/MariaDB (`cdr_mysql`, `cdr_adaptive_odbc`) or Postgres
//! (`cdr_pgsql`). The table's columns are found at start (versions differ:
//! older ones lack `linkedid`, `sequence`, `recordingfile`...); rows are read
//! in pages ordered by `(calldate, uniqueid, sequence)`, every value as text,
//! and each row goes through the same parsing and leg merging as a line of
//! `Master.csv`. The connection, the SQL of a page and the reading of a row
//! are each their own file.

mod connection;
mod row;
mod sql;

use crate::config::redact_url;

pub use connection::CdrDb;
pub use row::{CdrRow, fill_recording_url, whole_seconds};
pub use sql::{page_sql, undated_sql};

/// Columns a CDR row cannot do without.
pub const REQUIRED: &[&str] = &[
    "calldate",
    "src",
    "dst",
    "dcontext",
    "channel",
    "dstchannel",
    "duration",
    "billsec",
    "disposition",
    "uniqueid",
];

/// Columns read when the table has them.
pub const OPTIONAL: &[&str] = &[
    "clid",
    "accountcode",
    "lastapp",
    "lastdata",
    "amaflags",
    "userfield",
    "peeraccount",
    "linkedid",
    "sequence",
    "recordingfile",
    "did",
    "cnum",
    "cnam",
];

/// The Master.csv position of each column a row is mapped to (21 columns;
/// answer and end are worked out from calldate, duration and billsec).
const CSV_POSITIONS: &[(&str, usize)] = &[
    ("accountcode", 0),
    ("src", 1),
    ("dst", 2),
    ("dcontext", 3),
    ("clid", 4),
    ("channel", 5),
    ("dstchannel", 6),
    ("lastapp", 7),
    ("lastdata", 8),
    ("calldate", 9),
    ("duration", 12),
    ("billsec", 13),
    ("disposition", 14),
    ("amaflags", 15),
    ("uniqueid", 16),
    ("userfield", 17),
    ("peeraccount", 18),
    ("linkedid", 19),
    ("sequence", 20),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    MySql,
    Postgres,
}

/// What the table holds, as found in `information_schema`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schema {
    pub dialect: Dialect,
    /// The table as SQL names it, quoted.
    pub table_sql: String,
    /// The known columns the table has, lower case, in `SELECT` order.
    pub columns: Vec<String>,
    /// Known optional columns the table lacks.
    pub missing: Vec<String>,
    /// `calldate` is a `timestamp with time zone` (Postgres).
    pub calldate_has_zone: bool,
}

impl Schema {
    pub fn has(&self, column: &str) -> bool {
        self.columns.iter().any(|c| c == column)
    }

    /// The position of a column in a page's rows.
    pub fn index(&self, column: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == column)
    }

    /// The columns of the keyset order, after calldate: `(uniqueid,
    /// sequence)`, or where there is no sequence `(uniqueid, channel,
    /// dstchannel)`.
    pub fn key_columns(&self) -> Vec<&'static str> {
        if self.has("sequence") {
            vec!["calldate", "uniqueid", "sequence"]
        } else {
            vec!["calldate", "uniqueid", "channel", "dstchannel"]
        }
    }

    /// One line for `check-config`: what was found and what it means.
    pub fn describe(&self) -> String {
        let mut out = format!("{} of the known columns", self.columns.len());
        if self.missing.is_empty() {
            out.push_str(", none missing");
        } else {
            out.push_str(&format!("; lacks {}", self.missing.join(", ")));
            if !self.has("linkedid") {
                out.push_str(" (legs are merged by uniqueid)");
            }
            if !self.has("recordingfile") {
                out.push_str(" (no recording links)");
            }
        }
        out
    }
}

/// A value bound to a page's query.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Text(String),
    Int(i64),
}

/// An error of the CDR database, with the URL's password taken out.
pub fn db_error(url: &str, doing: &str, e: &dyn std::fmt::Display) -> String {
    let mut text = e.to_string();
    if let Ok(u) = url::Url::parse(url)
        && let Some(password) = u.password()
        && !password.is_empty()
    {
        text = text.replace(password, "***");
        if let Ok(decoded) = urlencoding_decode(password) {
            text = text.replace(&decoded, "***");
        }
    }
    text = text.replace(url, &redact_url(url));
    format!("{doing} {}: {text}", redact_url(url))
}

/// `%XX` escapes of a URL's password, undone (the server may echo it so).
fn urlencoding_decode(s: &str) -> Result<String, ()> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).map_err(|_| ())?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| ())?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| ())
}

fn quote_ident(dialect: Dialect, name: &str) -> String {
    match dialect {
        Dialect::MySql => format!("`{}`", name.replace('`', "``")),
        Dialect::Postgres => format!("\"{}\"", name.replace('"', "\"\"")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recording_links_are_filled_and_encoded() {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 6).unwrap_or_default();
        assert_eq!(
            fill_recording_url(
                "https://pbx.example.com/rec/{yyyy}/{mm}/{dd}/{file}",
                day,
                "out-79161234541-101 #1.wav"
            ),
            "https://pbx.example.com/rec/2026/11/06/out-79161234541-101%20%231.wav"
        );
    }

    #[test]
    fn fractions_of_a_second_are_left_to_the_key() {
        assert_eq!(
            whole_seconds(" 2026-11-16 10:00:00.250000"),
            "2026-11-16 10:00:00"
        );
        assert_eq!(whole_seconds("2026-11-16 10:00:00"), "2026-11-16 10:00:00");
        assert_eq!(whole_seconds("0000-00-00 00:00:00"), "0000-00-00 00:00:00");
        let s = schema(Dialect::Postgres, &["calldate", "uniqueid"]);
        let values = vec![
            Some("2026-11-16 10:00:00.250000".to_owned()),
            Some("1.1".into()),
        ];
        let row = CdrRow {
            schema: &s,
            values: &values,
        };
        assert_eq!(
            row.as_master_csv().get(9),
            Some(&b"2026-11-16 10:00:00"[..])
        );
        assert_eq!(
            row.key()[0],
            Param::Text("2026-11-16 10:00:00.250000".into())
        );
    }

    #[test]
    fn passwords_stay_out_of_errors() {
        let url = "mysql://cdr:s3cr%40t@pbx:3306/asteriskcdrdb";
        let text = db_error(
            url,
            "cannot connect",
            &"access denied for cdr:s3cr@t (s3cr%40t)",
        );
        assert!(!text.contains("s3cr"), "{text}");
        assert!(
            text.contains("mysql://cdr:***@pbx:3306/asteriskcdrdb"),
            "{text}"
        );
    }

    fn schema(dialect: Dialect, columns: &[&str]) -> Schema {
        Schema {
            dialect,
            table_sql: "cdr".into(),
            columns: columns.iter().map(|c| (*c).to_owned()).collect(),
            missing: Vec::new(),
            calldate_has_zone: false,
        }
    }

    #[test]
    fn pages_follow_the_key() {
        let s = schema(Dialect::Postgres, &["calldate", "uniqueid", "sequence"]);
        let (sql, params) = page_sql(
            &s,
            chrono_tz::UTC,
            Some("2026-11-16 09:00:00"),
            Some(&[
                Param::Text("2026-11-16 10:00:00".into()),
                Param::Text("1.2".into()),
                Param::Int(7),
            ]),
            500,
        );
        assert!(
            sql.contains("\"calldate\" >= CAST($1 AS timestamp)"),
            "{sql}"
        );
        assert!(
            sql.contains(
                "(\"calldate\", COALESCE(\"uniqueid\", ''), COALESCE(\"sequence\", 0)) > (CAST($2 AS timestamp), $3, $4)"
            ),
            "{sql}"
        );
        assert!(sql.ends_with("LIMIT 500"), "{sql}");
        assert_eq!(params.len(), 4);
        let s = schema(
            Dialect::MySql,
            &["calldate", "uniqueid", "channel", "dstchannel"],
        );
        let (sql, _) = page_sql(&s, chrono_tz::UTC, None, None, 10);
        assert!(
            sql.contains("ORDER BY `calldate`, COALESCE(`uniqueid`, ''), COALESCE(`channel`, ''), COALESCE(`dstchannel`, '')"),
            "{sql}"
        );
    }
}
