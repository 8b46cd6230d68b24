//! Databases for tests: a fresh SQLite file, and a fresh Postgres schema on
//! the server `SALESPULSE_TEST_POSTGRES` names. Without that variable the
//! Postgres half of a test says it was skipped and why.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use salespulse::config::Config;
use salespulse::storage::{self, Store};

pub const POSTGRES_ENV: &str = "SALESPULSE_TEST_POSTGRES";

pub struct TestDb {
    pub store: Arc<Store>,
    pub name: &'static str,
    /// Where it is, to open a second handle (a restart).
    pub url: String,
    postgres_schema: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    /// Drops what the test made (the Postgres schema; the SQLite file goes
    /// with its temporary folder).
    pub async fn finish(self) {
        self.store.close().await;
        if let Some((admin_url, schema)) = self.postgres_schema {
            let store = sqlx::PgPool::connect(&admin_url).await;
            if let Ok(pool) = store {
                let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                    .execute(&pool)
                    .await;
                pool.close().await;
            }
        }
    }
}

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

pub fn config() -> Config {
    Config::load(&fixture("salespulse.toml")).expect("the test config is valid")
}

pub async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    let store = storage::open(&url).await.expect("open sqlite");
    TestDb {
        store,
        name: "sqlite",
        url,
        postgres_schema: None,
        _dir: Some(dir),
    }
}

static SCHEMA_COUNTER: AtomicU32 = AtomicU32::new(0);

pub async fn postgres() -> Option<TestDb> {
    let Ok(base) = std::env::var(POSTGRES_ENV) else {
        eprintln!(
            "SKIPPED the Postgres half of this test: {POSTGRES_ENV} is not set \
             (e.g. postgres://postgres@127.0.0.1:5432/test; .ci/run sets it)"
        );
        return None;
    };
    let schema = format!(
        "sp_test_{}_{}",
        std::process::id(),
        SCHEMA_COUNTER.fetch_add(1, Ordering::SeqCst)
    );
    let pool = sqlx::PgPool::connect(&base)
        .await
        .unwrap_or_else(|e| panic!("{POSTGRES_ENV}={base} is set but unreachable: {e}"));
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&pool)
        .await
        .expect("create schema");
    pool.close().await;
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
    let store = storage::open(&url).await.expect("open postgres");
    Some(TestDb {
        store,
        name: "postgres",
        url,
        postgres_schema: Some((base, schema)),
        _dir: None,
    })
}

/// SQLite always, Postgres when configured.
pub async fn backends() -> Vec<TestDb> {
    let mut dbs = vec![sqlite().await];
    dbs.extend(postgres().await);
    dbs
}

/// An answered outbound call of `who` to +7 916 123-45-41.
pub fn answered_call(
    who: &str,
    key: &str,
    start: chrono::DateTime<chrono::Utc>,
    talk: i64,
) -> salespulse::domain::Call {
    use salespulse::domain::{Call, CallFields, Direction, Disposition};
    Call::new(CallFields {
        source: "pbx".into(),
        external_id: key.into(),
        employee_id: Some(who.into()),
        agent: None,
        direction: Direction::Outbound,
        number: "79161234541".into(),
        started_at: start,
        answered_at: Some(start),
        ended_at: start + chrono::Duration::seconds(talk + 5),
        talk_seconds: talk,
        disposition: Disposition::Answered,
        deal_ext: None,
        kind: None,
        leg_key: key.into(),
    })
    .expect("a valid call")
}
