//! The embedded default: one SQLite file in WAL mode.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use super::db::Pool;
use super::{Result, StorageError};
use crate::config::redact_url;

/// How long a writer waits for another process's write to finish: longer
/// than the slowest single write (an index rebuilt after a bulk load).
const BUSY_TIMEOUT_SECS: u64 = 120;

/// Connects, waiting while another process holds the file's lock: two
/// processes starting on a new file both switch it to WAL, and SQLite
/// answers the second "busy" at once rather than calling its busy handler.
async fn with_busy_retry<F, Fut>(connect: F) -> std::result::Result<sqlx::SqlitePool, sqlx::Error>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = std::result::Result<sqlx::SqlitePool, sqlx::Error>>,
{
    let deadline = std::time::Instant::now() + Duration::from_secs(BUSY_TIMEOUT_SECS);
    loop {
        match connect().await {
            Err(sqlx::Error::Database(e))
                if e.code().as_deref() == Some("5") && std::time::Instant::now() < deadline =>
            {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            other => return other,
        }
    }
}

pub(super) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

pub(super) async fn connect(url: &str) -> Result<Pool> {
    let connect_err = |source| StorageError::Connect {
        url: redact_url(url),
        source,
    };
    let options = SqliteConnectOptions::from_str(url)
        .map_err(connect_err)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // WAL with NORMAL keeps the database consistent on power loss and
        // makes commits cheap; a busy writer is waited for, not an error.
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(BUSY_TIMEOUT_SECS))
        .pragma("cache_size", "-16384");
    let writer = with_busy_retry(|| {
        SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
    })
    .await
    .map_err(connect_err)?;
    let readers = SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(
            options
                .create_if_missing(false)
                .pragma("cache_size", "-8192"),
        )
        .await
        .map_err(connect_err)?;
    Ok(Pool::Sqlite { writer, readers })
}
