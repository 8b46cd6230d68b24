//! The one connection a CDR pull reads through: MySQL/MariaDB or Postgres,
//! the table's columns found at start, pages of rows as text.

use std::collections::BTreeSet;
use std::str::FromStr;

use sqlx::{Connection, Row};

use crate::config::AsteriskDbConfig;

use super::sql::{page_sql, undated_sql};
use super::{Dialect, OPTIONAL, Param, REQUIRED, Schema, db_error, quote_ident};

/// A connection to the CDR database: one, not a pool, so that a pull is one
/// session from its first page to its last.
pub enum CdrDb {
    MySql(sqlx::MySqlConnection),
    Postgres(sqlx::PgConnection),
}

/// A query with the key's values bound in order (either backend's query type).
macro_rules! bound {
    ($sql:expr, $params:expr) => {{
        let mut q = sqlx::query($sql);
        for p in $params {
            q = match p {
                Param::Text(s) => q.bind(s.clone()),
                Param::Int(n) => q.bind(*n),
            };
        }
        q
    }};
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

    /// Runs `sql` with `params` bound in order.
    async fn fetch(
        &mut self,
        schema: &Schema,
        sql: &str,
        params: &[Param],
    ) -> Result<Vec<Vec<Option<String>>>, sqlx::Error> {
        let width = schema.columns.len();
        match self {
            CdrDb::MySql(c) => {
                let rows = bound!(sql, params).fetch_all(c).await?;
                rows.iter()
                    .map(|r| (0..width).map(|i| text_mysql(r, i)).collect())
                    .collect()
            }
            CdrDb::Postgres(c) => {
                let rows = bound!(sql, params).fetch_all(c).await?;
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
