//! Postgres, for larger departments and several instances of the service.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use super::db::Pool;
use super::{Result, StorageError};
use crate::config::redact_url;

pub(super) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

pub(super) async fn connect(url: &str) -> Result<Pool> {
    let connect_err = |source| StorageError::Connect {
        url: redact_url(url),
        source,
    };
    // JIT compiling a plan takes longer than any of these queries runs
    // (0.28 s of a 0.3 s stuck-deals read on 500 managers): off.
    let options = PgConnectOptions::from_str(url)
        .map_err(connect_err)?
        .options([("jit", "off")]);
    let pool = PgPoolOptions::new()
        .max_connections(8)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
        .map_err(connect_err)?;
    Ok(Pool::Postgres(pool))
}
