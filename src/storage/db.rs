//! The two backends behind one small surface: run a statement with bound
//! values, fetch rows. SQL is written once (`sql.rs`); only connecting,
//! placeholders and binding differ between SQLite and Postgres.

use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{FromRow, PgPool, Postgres, Sqlite, SqlitePool, Transaction};

/// A value bound into a statement.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    Int(i64),
    NullInt(Option<i64>),
    Text(&'a str),
    NullText(Option<&'a str>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// How many values one statement may carry.
    pub fn max_params(self) -> usize {
        match self {
            Dialect::Sqlite => 32_000,
            Dialect::Postgres => 65_000,
        }
    }

    /// `sql` with each `{}` mark replaced by the next parameter's
    /// placeholder (`?` or `$1`, `$2`, ...).
    pub fn numbered(self, sql: &str) -> String {
        let mut out = String::with_capacity(sql.len() + 16);
        for (i, part) in sql.split("{}").enumerate() {
            if i > 0 {
                self.placeholder(&mut out, i);
            }
            out.push_str(part);
        }
        out
    }

    /// Writes the placeholder of the `n`-th (1-based) parameter.
    pub fn placeholder(self, out: &mut String, n: usize) {
        use std::fmt::Write;
        match self {
            Dialect::Sqlite => out.push('?'),
            Dialect::Postgres => {
                let _ = write!(out, "${n}");
            }
        }
    }
}

#[derive(Clone)]
pub enum Pool {
    /// SQLite allows one writer at a time: writes go through one connection
    /// (which also keeps one warm page cache), reads through a pool beside it.
    Sqlite {
        writer: SqlitePool,
        readers: SqlitePool,
    },
    Postgres(PgPool),
}

/// A lock held for as long as this lives (see [`Pool::try_session_lock`]).
pub struct SessionLock(Option<sqlx::PgConnection>);

impl SessionLock {
    /// Whether the session holding the lock is still there.
    pub async fn alive(&mut self) -> bool {
        use sqlx::Connection;
        match &mut self.0 {
            None => true,
            Some(conn) => conn.ping().await.is_ok(),
        }
    }
}

pub enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// Statements with more values than this are kept prepared only when full
/// (a batch's full chunks repeat one shape): a long `IN (...)` list or a
/// batch's last rows take a new shape nearly every time, and each kept one
/// holds megabytes of the connection's memory.
const KEPT_PREPARED_VALUES: usize = 1_024;

/// Whether a statement with `values` values is worth keeping prepared.
fn kept(dialect: Dialect, values: usize) -> bool {
    values <= KEPT_PREPARED_VALUES || values + 64 > dialect.max_params()
}

/// Binds values in order into arguments sized for them up front (a
/// batch's tens of thousands of values are not grown into), then makes the
/// query with `$with`; the same for every query type of both backends.
macro_rules! bind_values {
    ($with:expr, $args:ty, $sql:expr, $values:expr, $dialect:expr) => {{
        let mut args = <$args>::default();
        sqlx::Arguments::reserve(&mut args, $values.len(), 0);
        for v in $values {
            match *v {
                Value::Int(i) => sqlx::Arguments::add(&mut args, i),
                Value::NullInt(i) => sqlx::Arguments::add(&mut args, i),
                Value::Text(s) => sqlx::Arguments::add(&mut args, s),
                Value::NullText(s) => sqlx::Arguments::add(&mut args, s),
            }
            .map_err(sqlx::Error::Encode)?;
        }
        $with($sql, args).persistent(kept($dialect, $values.len()))
    }};
}

/// Rows that both backends can decode.
pub trait AnyRow:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}
impl<T> AnyRow for T where
    T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}

impl Pool {
    pub fn dialect(&self) -> Dialect {
        match self {
            Pool::Sqlite { .. } => Dialect::Sqlite,
            Pool::Postgres(_) => Dialect::Postgres,
        }
    }

    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            // IMMEDIATE takes the write lock at BEGIN, where busy_timeout
            // waits for another writer; a deferred transaction that reads
            // first fails at once (SQLITE_BUSY_SNAPSHOT) when it upgrades.
            Pool::Sqlite { writer, .. } => Tx::Sqlite(writer.begin_with("BEGIN IMMEDIATE").await?),
            Pool::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    pub async fn execute(&self, sql: &str, values: &[Value<'_>]) -> Result<u64, sqlx::Error> {
        Ok(match self {
            Pool::Sqlite { writer: p, .. } => bind_values!(
                sqlx::query_with::<Sqlite, _>,
                sqlx::sqlite::SqliteArguments<'_>,
                sql,
                values,
                Dialect::Sqlite
            )
            .execute(p)
            .await?
            .rows_affected(),
            Pool::Postgres(p) => bind_values!(
                sqlx::query_with::<Postgres, _>,
                sqlx::postgres::PgArguments,
                sql,
                values,
                Dialect::Postgres
            )
            .execute(p)
            .await?
            .rows_affected(),
        })
    }

    pub async fn fetch_all<T: AnyRow>(
        &self,
        sql: &str,
        values: &[Value<'_>],
    ) -> Result<Vec<T>, sqlx::Error> {
        self.fetch_through(false, sql, values).await
    }

    /// Runs a writing statement that returns rows (`UPDATE ... RETURNING`),
    /// on SQLite through the writer.
    pub async fn fetch_written<T: AnyRow>(
        &self,
        sql: &str,
        values: &[Value<'_>],
    ) -> Result<Vec<T>, sqlx::Error> {
        self.fetch_through(true, sql, values).await
    }

    async fn fetch_through<T: AnyRow>(
        &self,
        writes: bool,
        sql: &str,
        values: &[Value<'_>],
    ) -> Result<Vec<T>, sqlx::Error> {
        match self {
            Pool::Sqlite { writer, readers } => {
                let p = if writes { writer } else { readers };
                bind_values!(
                    sqlx::query_as_with::<Sqlite, T, _>,
                    sqlx::sqlite::SqliteArguments<'_>,
                    sql,
                    values,
                    Dialect::Sqlite
                )
                .fetch_all(p)
                .await
            }
            Pool::Postgres(p) => {
                bind_values!(
                    sqlx::query_as_with::<Postgres, T, _>,
                    sqlx::postgres::PgArguments,
                    sql,
                    values,
                    Dialect::Postgres
                )
                .fetch_all(p)
                .await
            }
        }
    }

    /// Takes a Postgres session lock on a connection of its own, held until
    /// the returned hold is dropped or the process dies (the server then
    /// frees it). SQLite serves one process: the hold is always granted.
    pub async fn try_session_lock(&self, key: i64) -> Result<Option<SessionLock>, sqlx::Error> {
        use sqlx::{Connection, Row};
        match self {
            Pool::Sqlite { .. } => Ok(Some(SessionLock(None))),
            Pool::Postgres(p) => {
                // Detached: dropping it closes the session, and the lock with it.
                let mut conn = p.acquire().await?.detach();
                let got: bool = sqlx::query("SELECT pg_try_advisory_lock($1)")
                    .bind(key)
                    .fetch_one(&mut conn)
                    .await?
                    .try_get(0)?;
                if got {
                    Ok(Some(SessionLock(Some(conn))))
                } else {
                    let _ = conn.close().await;
                    Ok(None)
                }
            }
        }
    }

    pub async fn close(&self) {
        match self {
            Pool::Sqlite { writer, readers } => {
                writer.close().await;
                readers.close().await;
            }
            Pool::Postgres(p) => p.close().await,
        }
    }
}

impl Tx {
    /// The SQLite connection of the transaction (none on Postgres).
    pub fn sqlite(&mut self) -> Option<&mut sqlx::SqliteConnection> {
        match self {
            Tx::Sqlite(t) => Some(&mut **t),
            Tx::Postgres(_) => None,
        }
    }

    pub async fn execute(&mut self, sql: &str, values: &[Value<'_>]) -> Result<u64, sqlx::Error> {
        Ok(match self {
            Tx::Sqlite(t) => bind_values!(
                sqlx::query_with::<Sqlite, _>,
                sqlx::sqlite::SqliteArguments<'_>,
                sql,
                values,
                Dialect::Sqlite
            )
            .execute(&mut **t)
            .await?
            .rows_affected(),
            Tx::Postgres(t) => bind_values!(
                sqlx::query_with::<Postgres, _>,
                sqlx::postgres::PgArguments,
                sql,
                values,
                Dialect::Postgres
            )
            .execute(&mut **t)
            .await?
            .rows_affected(),
        })
    }

    /// Runs a statement whose rows carry one nullable integer column.
    pub async fn fetch_opt_ints(
        &mut self,
        sql: &str,
        values: &[Value<'_>],
    ) -> Result<Vec<Option<i64>>, sqlx::Error> {
        use sqlx::Row;
        Ok(match self {
            Tx::Sqlite(t) => bind_values!(
                sqlx::query_with::<Sqlite, _>,
                sqlx::sqlite::SqliteArguments<'_>,
                sql,
                values,
                Dialect::Sqlite
            )
            .fetch_all(&mut **t)
            .await?
            .iter()
            .map(|r| r.try_get::<Option<i64>, _>(0))
            .collect::<Result<_, _>>()?,
            Tx::Postgres(t) => bind_values!(
                sqlx::query_with::<Postgres, _>,
                sqlx::postgres::PgArguments,
                sql,
                values,
                Dialect::Postgres
            )
            .fetch_all(&mut **t)
            .await?
            .iter()
            .map(|r| r.try_get::<Option<i64>, _>(0))
            .collect::<Result<_, _>>()?,
        })
    }

    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(t) => t.commit().await,
            Tx::Postgres(t) => t.commit().await,
        }
    }
}
