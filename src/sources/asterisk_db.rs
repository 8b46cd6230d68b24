//! Asterisk's CDR table in a database, as FreePBX, Issabel and VitalPBX keep
//! it: MySQL/MariaDB (`cdr_mysql`, `cdr_adaptive_odbc`) or Postgres
//! (`cdr_pgsql`). The table's columns are found at start (versions differ:
//! older ones lack `linkedid`, `sequence`, `recordingfile`...); rows are read
//! in pages ordered by `(calldate, uniqueid, sequence)`, every value as text,
//! and each row goes through the same parsing and leg merging as a line of
//! `Master.csv`.

use std::collections::BTreeSet;
use std::str::FromStr;

use sqlx::{Connection, Row};

use crate::config::{AsteriskDbConfig, redact_url};

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

/// A connection to the CDR database: one, not a pool, so that a pull is one
/// session from its first page to its last.
pub enum CdrDb {
    MySql(sqlx::MySqlConnection),
    Postgres(sqlx::PgConnection),
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

impl CdrDb {
    /// Connects with the source's URL; errors never show its password.
    pub async fn connect(db: &AsteriskDbConfig) -> Result<CdrDb, String> {
        let url = db.url.expose();
        let fail =
            |e: &dyn std::fmt::Display| db_error(url, "cannot connect to the CDR database", e);
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = sqlx::postgres::PgConnectOptions::from_str(url).map_err(|e| fail(&e))?;
            let conn = sqlx::PgConnection::connect_with(&options)
                .await
                .map_err(|e| fail(&e))?;
            Ok(CdrDb::Postgres(conn))
        } else {
            let url = url
                .strip_prefix("mariadb://")
                .map(|rest| format!("mysql://{rest}"))
                .unwrap_or_else(|| url.to_owned());
            let options = sqlx::mysql::MySqlConnectOptions::from_str(&url).map_err(|e| fail(&e))?;
            let mut conn = sqlx::MySqlConnection::connect_with(&options)
                .await
                .map_err(|e| fail(&e))?;
            // Zero dates and odd values come back as text, never as an error.
            sqlx::query("SET SESSION sql_mode = REPLACE(REPLACE(@@sql_mode, 'NO_ZERO_DATE', ''), 'NO_ZERO_IN_DATE', '')")
                .execute(&mut conn)
                .await
                .map_err(|e| fail(&e))?;
            Ok(CdrDb::MySql(conn))
        }
    }

    pub fn dialect(&self) -> Dialect {
        match self {
            CdrDb::MySql(_) => Dialect::MySql,
            CdrDb::Postgres(_) => Dialect::Postgres,
        }
    }

    /// The server's id of this session (`CONNECTION_ID()`, `pg_backend_pid()`).
    pub async fn session_id(&mut self) -> Result<i64, sqlx::Error> {
        match self {
            CdrDb::MySql(c) => {
                sqlx::query_scalar::<_, i64>("SELECT CAST(CONNECTION_ID() AS SIGNED)")
                    .fetch_one(c)
                    .await
            }
            CdrDb::Postgres(c) => sqlx::query_scalar::<_, i32>("SELECT pg_backend_pid()")
                .fetch_one(c)
                .await
                .map(i64::from),
        }
    }

    /// Finds the table's columns. A missing table or required column is an
    /// error naming it.
    pub async fn schema(&mut self, table: &str) -> Result<Schema, String> {
        let dialect = self.dialect();
        let (schema_name, table_name) = match table.split_once('.') {
            Some((s, t)) => (Some(s.to_owned()), t.to_owned()),
            None => (None, table.to_owned()),
        };
        let rows: Vec<(String, String)> = match self {
            CdrDb::MySql(c) => {
                let sql = "SELECT CAST(column_name AS CHAR) AS name, CAST(data_type AS CHAR) AS type \
                           FROM information_schema.columns \
                           WHERE table_schema = COALESCE(?, DATABASE()) AND table_name = ?";
                sqlx::query_as(sql)
                    .bind(schema_name.clone())
                    .bind(table_name.clone())
                    .fetch_all(c)
                    .await
            }
            CdrDb::Postgres(c) => {
                let sql = "SELECT CAST(column_name AS TEXT) AS name, CAST(data_type AS TEXT) AS type \
                           FROM information_schema.columns \
                           WHERE table_schema = COALESCE($1, current_schema()) AND table_name = $2";
                sqlx::query_as(sql)
                    .bind(schema_name.clone())
                    .bind(table_name.clone())
                    .fetch_all(c)
                    .await
            }
        }
        .map_err(|e| format!("cannot read the columns of the table {table}: {e}"))?;
        if rows.is_empty() {
            return Err(format!(
                "the CDR database has no table {table} (set `table` to the CDR table, e.g. \"cdr\")"
            ));
        }
        let found: BTreeSet<String> = rows.iter().map(|(n, _)| n.to_lowercase()).collect();
        let lacking: Vec<&str> = REQUIRED
            .iter()
            .copied()
            .filter(|c| !found.contains(*c))
            .collect();
        if !lacking.is_empty() {
            return Err(format!(
                "the table {table} lacks the column(s) {} that every CDR row needs (is it Asterisk's CDR table?)",
                lacking.join(", ")
            ));
        }
        let calldate_has_zone = rows.iter().any(|(n, t)| {
            n.eq_ignore_ascii_case("calldate") && t.to_lowercase().contains("with time zone")
        });
        let columns: Vec<String> = REQUIRED
            .iter()
            .chain(OPTIONAL)
            .filter(|c| found.contains(**c))
            .map(|c| (*c).to_owned())
            .collect();
        let missing = OPTIONAL
            .iter()
            .filter(|c| !found.contains(**c))
            .map(|c| (*c).to_owned())
            .collect();
        let table_sql = match &schema_name {
            Some(s) => format!(
                "{}.{}",
                quote_ident(dialect, s),
                quote_ident(dialect, &table_name)
            ),
            None => quote_ident(dialect, &table_name),
        };
        Ok(Schema {
            dialect,
            table_sql,
            columns,
            missing,
            calldate_has_zone,
        })
    }

    /// One page of rows, every value as text (NULL as None), in the
    /// keyset order: from `from` (a local `calldate`), after `after` (the
    /// key of the last row of the page before).
    pub async fn page(
        &mut self,
        schema: &Schema,
        timezone: chrono_tz::Tz,
        from: Option<&str>,
        after: Option<&[Param]>,
        limit: u32,
    ) -> Result<Vec<Vec<Option<String>>>, sqlx::Error> {
        let (sql, params) = page_sql(schema, timezone, from, after, limit);
        self.fetch(schema, &sql, &params).await
    }

    /// The rows without a `calldate`, to set aside: up to `limit`.
    pub async fn undated(
        &mut self,
        schema: &Schema,
        timezone: chrono_tz::Tz,
        limit: u32,
    ) -> Result<Vec<Vec<Option<String>>>, sqlx::Error> {
        let sql = undated_sql(schema, timezone, limit);
        self.fetch(schema, &sql, &[]).await
    }

    async fn fetch(
        &mut self,
        schema: &Schema,
        sql: &str,
        params: &[Param],
    ) -> Result<Vec<Vec<Option<String>>>, sqlx::Error> {
        let width = schema.columns.len();
        match self {
            CdrDb::MySql(c) => {
                let mut q = sqlx::query(sql);
                for p in params {
                    q = match p {
                        Param::Text(s) => q.bind(s.clone()),
                        Param::Int(n) => q.bind(*n),
                    };
                }
                let rows = q.fetch_all(c).await?;
                rows.iter()
                    .map(|r| (0..width).map(|i| text_mysql(r, i)).collect())
                    .collect()
            }
            CdrDb::Postgres(c) => {
                let mut q = sqlx::query(sql);
                for p in params {
                    q = match p {
                        Param::Text(s) => q.bind(s.clone()),
                        Param::Int(n) => q.bind(*n),
                    };
                }
                let rows = q.fetch_all(c).await?;
                rows.iter()
                    .map(|r| {
                        (0..width)
                            .map(|i| r.try_get::<Option<String>, _>(i))
                            .collect()
                    })
                    .collect()
            }
        }
    }

    pub async fn close(self) {
        let _ = match self {
            CdrDb::MySql(c) => c.close().await,
            CdrDb::Postgres(c) => c.close().await,
        };
    }
}

/// A MySQL value as text: a `CAST(... AS CHAR)` of a binary column comes
/// back as bytes.
fn text_mysql(row: &sqlx::mysql::MySqlRow, i: usize) -> Result<Option<String>, sqlx::Error> {
    match row.try_get::<Option<String>, _>(i) {
        Ok(v) => Ok(v),
        Err(_) => Ok(row
            .try_get::<Option<Vec<u8>>, _>(i)?
            .map(|b| String::from_utf8_lossy(&b).into_owned())),
    }
}

/// The key expression of a column: NULLs ordered as empty (or 0).
fn key_expr(dialect: Dialect, column: &str) -> String {
    let q = quote_ident(dialect, column);
    match column {
        "calldate" => q,
        "sequence" => format!("COALESCE({q}, 0)"),
        _ => format!("COALESCE({q}, '')"),
    }
}

/// A local `calldate` as the query compares it.
fn calldate_param(schema: &Schema, timezone: chrono_tz::Tz, n: usize) -> String {
    match schema.dialect {
        Dialect::MySql => "?".to_owned(),
        Dialect::Postgres if schema.calldate_has_zone => format!(
            "(CAST(${n} AS timestamp) AT TIME ZONE '{}')",
            timezone.name().replace('\'', "")
        ),
        Dialect::Postgres => format!("CAST(${n} AS timestamp)"),
    }
}

/// The SQL of one page and its values.
/// `SELECT <every column as text> FROM <table>`.
fn select_sql(schema: &Schema, timezone: chrono_tz::Tz) -> String {
    let d = schema.dialect;
    let select: Vec<String> = schema
        .columns
        .iter()
        .map(|c| {
            let q = quote_ident(d, c);
            match (d, c.as_str()) {
                (Dialect::MySql, _) => format!("CAST({q} AS CHAR)"),
                (Dialect::Postgres, "calldate") if schema.calldate_has_zone => format!(
                    "to_char({q} AT TIME ZONE '{}', 'YYYY-MM-DD HH24:MI:SS.US')",
                    timezone.name().replace('\'', "")
                ),
                (Dialect::Postgres, "calldate") => {
                    format!("to_char({q}, 'YYYY-MM-DD HH24:MI:SS.US')")
                }
                (Dialect::Postgres, _) => format!("CAST({q} AS TEXT)"),
            }
        })
        .collect();
    format!("SELECT {} FROM {}", select.join(", "), schema.table_sql)
}

/// The rows without a `calldate` (no page can reach them): up to `limit`.
pub fn undated_sql(schema: &Schema, timezone: chrono_tz::Tz, limit: u32) -> String {
    let q = quote_ident(schema.dialect, "calldate");
    let condition = match schema.dialect {
        // MySQL's `IS NULL` also finds the zero date of a NOT NULL
        // column, which the pages read (and set aside) already.
        Dialect::MySql => format!("{q} IS NULL AND CAST({q} AS CHAR) IS NULL"),
        Dialect::Postgres => format!("{q} IS NULL"),
    };
    format!(
        "{} WHERE {condition} LIMIT {limit}",
        select_sql(schema, timezone)
    )
}

pub fn page_sql(
    schema: &Schema,
    timezone: chrono_tz::Tz,
    from: Option<&str>,
    after: Option<&[Param]>,
    limit: u32,
) -> (String, Vec<Param>) {
    let d = schema.dialect;
    let keys = schema.key_columns();
    let key_list: Vec<String> = keys.iter().map(|k| key_expr(d, k)).collect();
    let mut sql = select_sql(schema, timezone);
    let mut params = Vec::new();
    let mut conditions = vec![format!("{} IS NOT NULL", quote_ident(d, "calldate"))];
    let placeholder = |n: usize| match d {
        Dialect::MySql => "?".to_owned(),
        Dialect::Postgres => format!("${n}"),
    };
    if let Some(from) = from {
        params.push(Param::Text(from.to_owned()));
        conditions.push(format!(
            "{} >= {}",
            quote_ident(d, "calldate"),
            calldate_param(schema, timezone, params.len())
        ));
    }
    if let Some(after) = after {
        let mut marks = Vec::new();
        for (i, p) in after.iter().enumerate() {
            params.push(p.clone());
            let n = params.len();
            marks.push(if i == 0 {
                calldate_param(schema, timezone, n)
            } else {
                placeholder(n)
            });
        }
        conditions.push(format!(
            "({}) > ({})",
            key_list.join(", "),
            marks.join(", ")
        ));
    }
    sql.push_str(" WHERE ");
    sql.push_str(&conditions.join(" AND "));
    sql.push_str(&format!(" ORDER BY {} LIMIT {limit}", key_list.join(", ")));
    (sql, params)
}

/// A page's row, read through the table's columns.
pub struct CdrRow<'a> {
    pub schema: &'a Schema,
    pub values: &'a [Option<String>],
}

impl CdrRow<'_> {
    /// A column's value, empty when NULL or absent.
    pub fn get(&self, column: &str) -> &str {
        self.schema
            .index(column)
            .and_then(|i| self.values.get(i))
            .and_then(|v| v.as_deref())
            .unwrap_or_default()
    }

    /// The keyset values of this row, to ask for the rows after it.
    pub fn key(&self) -> Vec<Param> {
        self.schema
            .key_columns()
            .iter()
            .map(|k| match *k {
                "sequence" => Param::Int(self.get(k).trim().parse().unwrap_or(0)),
                _ => Param::Text(self.get(k).to_owned()),
            })
            .collect()
    }

    /// Names the row in a reject and in the cursor: `uniqueid/sequence`,
    /// or without a sequence `uniqueid/channel/dstchannel`.
    pub fn id(&self) -> String {
        if self.schema.has("sequence") {
            format!("{}/{}", self.get("uniqueid"), self.get("sequence"))
        } else {
            format!(
                "{}/{}/{}",
                self.get("uniqueid"),
                self.get("channel"),
                self.get("dstchannel")
            )
        }
    }

    /// The row as the 21 columns of a Master.csv line: answer and end
    /// worked out from calldate, duration and billsec (the table has
    /// neither). Fields that do not parse are passed on as they are, for
    /// the line's parser to reject with its reason.
    pub fn as_master_csv(&self) -> csv::ByteRecord {
        let mut fields: Vec<String> = vec![String::new(); 21];
        for (column, at) in CSV_POSITIONS {
            fields[*at] = self.get(column).to_owned();
        }
        fields[9] = whole_seconds(self.get("calldate")).to_owned();
        let start = crate::sources::fields::iso_local(&fields[9]);
        let duration = self.get("duration").trim().parse::<i64>().ok();
        let billsec = self.get("billsec").trim().parse::<i64>().ok();
        if let (Some(start), Some(duration), Some(billsec)) = (start, duration, billsec)
            && (0..=crate::domain::MAX_CALL_SECONDS).contains(&duration)
            && (0..=duration).contains(&billsec)
        {
            let fmt = |t: chrono::NaiveDateTime| t.format("%Y-%m-%d %H:%M:%S").to_string();
            if billsec > 0 {
                fields[10] = fmt(start + chrono::Duration::seconds(duration - billsec));
            }
            fields[11] = fmt(start + chrono::Duration::seconds(duration));
        } else {
            // The parser names what is wrong (start, duration or billsec).
            fields[11] = fields[9].clone();
        }
        let mut record = csv::ByteRecord::new();
        for f in &fields {
            record.push_field(f.as_bytes());
        }
        record
    }

    /// The raw row for a reject: `column=value` pairs.
    pub fn raw(&self) -> String {
        self.schema
            .columns
            .iter()
            .zip(self.values)
            .map(|(c, v)| format!("{c}={}", v.as_deref().unwrap_or("NULL")))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The link to the row's recording: the template filled from
    /// `recordingfile` and the call's local day.
    pub fn recording_url(&self, template: Option<&str>) -> Option<String> {
        let template = template?;
        let file = self.get("recordingfile").trim();
        if file.is_empty() {
            return None;
        }
        let day = crate::sources::fields::iso_local(whole_seconds(self.get("calldate")))?;
        Some(fill_recording_url(template, day.date(), file))
    }
}

/// A `calldate` without its fraction of a second (`datetime(6)`, and the
/// microseconds Postgres is asked for so that pages stay exact).
pub fn whole_seconds(calldate: &str) -> &str {
    let t = calldate.trim();
    match t.as_bytes().get(19) {
        Some(b'.') => &t[..19],
        _ => t,
    }
}

/// `{yyyy}`, `{mm}`, `{dd}` and `{file}` of a `recording_url` filled in;
/// the file name is percent-encoded, its folders kept.
pub fn fill_recording_url(template: &str, day: chrono::NaiveDate, file: &str) -> String {
    let encoded: String = file
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    template
        .replace("{yyyy}", &day.format("%Y").to_string())
        .replace("{mm}", &day.format("%m").to_string())
        .replace("{dd}", &day.format("%d").to_string())
        .replace("{file}", encoded.trim_start_matches('/'))
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
