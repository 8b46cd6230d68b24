//! Bulk loads into SQLite drop the secondary indexes of `calls` and build
//! them once at the end. Only the process doing the load may build them
//! back: it holds an exclusive lock on a file beside the database for as long
//! as the indexes are down. Any other process that finds them missing builds
//! them only when it can take that lock (the load that dropped them died);
//! while the load runs, others leave the schema alone and never write at
//! start.

use std::fs::{File, OpenOptions};
use std::hash::BuildHasher;
use std::path::PathBuf;

use super::db::Dialect;
use super::{Result, SQLITE_BULK_INDEXES, Store, query_err};

#[derive(sqlx::FromRow)]
struct DatabaseFile {
    file: String,
}

#[derive(sqlx::FromRow)]
struct IndexName {
    name: String,
}

/// The lock file's hold: the lock goes when this is dropped (or the process dies).
#[derive(Default)]
pub(super) struct Hold(std::sync::Mutex<Option<File>>);

/// The keys (hashed) of the calls a bulk load into an empty table has
/// written, as a bit per hash: a call whose bit is clear is not stored, and
/// is inserted without looking for its earlier legs; one whose bit is set
/// is looked up (a few are set by other keys: they are looked up for
/// nothing). Its size is fixed by the load's expected rows, 32 bits a row.
/// `None` when no such load runs.
#[derive(Default)]
pub(super) struct FreshKeys(std::sync::Mutex<Option<Vec<u64>>>);

impl FreshKeys {
    fn start(&self, expected_rows: u64) {
        let bits = (expected_rows.max(1) * 32).next_power_of_two();
        if let Ok(mut keys) = self.0.lock() {
            *keys = Some(vec![0; (bits / 64) as usize]);
        }
    }

    fn stop(&self) {
        if let Ok(mut keys) = self.0.lock() {
            *keys = None;
        }
    }

    /// The hash of a record's key.
    pub(super) fn hash(source: &str, external_id: &str) -> u64 {
        // Fixed seed: the bits of one load are set and read by one process.
        foldhash::fast::FixedState::default().hash_one((source, external_id))
    }

    /// The word and bit of a hash in `words`.
    fn place(words: &[u64], hash: u64) -> (usize, u64) {
        let bit = hash % (words.len() as u64 * 64);
        ((bit / 64) as usize, 1 << (bit % 64))
    }

    /// Whether each record of these key hashes may be stored already
    /// (all, unless a load into an empty table runs); `None` when no such
    /// load runs.
    pub(super) fn may_hold(&self, hashes: &[u64]) -> Option<Vec<bool>> {
        let keys = self.0.lock().ok()?;
        let words = keys.as_ref()?;
        Some(
            hashes
                .iter()
                .map(|&h| {
                    let (w, b) = Self::place(words, h);
                    words[w] & b != 0
                })
                .collect(),
        )
    }

    /// Whether a load into an empty table runs.
    pub(super) fn tracking(&self) -> bool {
        self.0.lock().map(|k| k.is_some()).unwrap_or(false)
    }

    /// Notes the key hashes of records written.
    pub(super) fn add(&self, hashes: &[u64]) {
        if let Ok(mut keys) = self.0.lock()
            && let Some(words) = keys.as_mut()
        {
            for &h in hashes {
                let (w, b) = Self::place(words, h);
                words[w] |= b;
            }
        }
    }
}

#[derive(sqlx::FromRow)]
struct Count {
    n: i64,
}

impl Store {
    /// Prepares a table for a load of about `expected_rows` rows. When the
    /// load is large next to what the table holds, SQLite drops the table's
    /// secondary indexes, to build them once, sorted, in `end_bulk_load`
    /// (much faster than a million scattered inserts). Returns whether it did.
    pub async fn begin_bulk_load(&self, table: &str, expected_rows: u64) -> Result<bool> {
        if self.dialect() != Dialect::Sqlite {
            return Ok(false);
        }
        if !SQLITE_BULK_INDEXES.iter().any(|(_, t, _)| *t == table) || expected_rows < 200_000 {
            return Ok(false);
        }
        let held: Vec<Count> = self
            .pool
            .fetch_all(&format!("SELECT COUNT(*) AS n FROM {table}"), &[])
            .await
            .map_err(query_err("sizing a bulk load"))?;
        let held = held.first().map(|c| c.n).unwrap_or(0).max(0) as u64;
        if expected_rows < held {
            return Ok(false);
        }
        let dropped = self.drop_bulk_indexes(table).await?;
        if dropped && held == 0 && table == "calls" {
            self.fresh_calls.start(expected_rows);
        }
        Ok(dropped)
    }

    /// Rebuilds any secondary index that is missing.
    pub async fn end_bulk_load(&self) -> Result<()> {
        self.restore_bulk_indexes().await
    }

    /// `<database>.bulk-lock`, or `None` for an in-memory database.
    async fn bulk_lock_path(&self) -> Result<Option<PathBuf>> {
        self.lock_path("bulk-lock").await
    }

    /// Brings the schema up to date while holding `<database>.migrate-lock`,
    /// so two processes starting on a new file do not both create it.
    pub(super) async fn migrate_sqlite(&self, writer: &sqlx::SqlitePool) -> Result<()> {
        let hold = match self.lock_path("migrate-lock").await? {
            None => None,
            Some(path) => {
                let file = open_lock_file(&path)?;
                let locked = tokio::task::spawn_blocking(move || file.lock().map(|()| file))
                    .await
                    .map_err(|e| super::StorageError::Io(format!("{}: {e}", path.display())))?
                    .map_err(|e| super::StorageError::Io(format!("{}: {e}", path.display())))?;
                Some(locked)
            }
        };
        super::sqlite::MIGRATOR.run(writer).await?;
        drop(hold);
        Ok(())
    }

    /// `<database>.<suffix>`, or `None` for an in-memory database.
    async fn lock_path(&self, suffix: &str) -> Result<Option<PathBuf>> {
        let rows: Vec<DatabaseFile> = self
            .pool
            .fetch_all(
                "SELECT file FROM pragma_database_list WHERE name = 'main'",
                &[],
            )
            .await
            .map_err(query_err("finding the database file"))?;
        Ok(rows
            .into_iter()
            .next()
            .filter(|r| !r.file.is_empty())
            .map(|r| PathBuf::from(format!("{}.{suffix}", r.file))))
    }

    /// Takes the bulk-load lock without waiting: `Ok(None)` when another
    /// process holds it; `Ok(Some(None))` for an in-memory database.
    async fn try_bulk_lock(&self) -> Result<Option<Option<File>>> {
        let Some(path) = self.bulk_lock_path().await? else {
            return Ok(Some(None));
        };
        let file = open_lock_file(&path)?;
        match file.try_lock() {
            Ok(()) => Ok(Some(Some(file))),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(e)) => {
                Err(super::StorageError::Io(format!("{}: {e}", path.display())))
            }
        }
    }

    /// Indexes of bulk-loaded tables that are not there now.
    async fn missing_bulk_indexes(
        &self,
    ) -> Result<Vec<(&'static str, &'static str, &'static str)>> {
        let present: Vec<IndexName> = self
            .pool
            .fetch_all("SELECT name FROM sqlite_master WHERE type = 'index'", &[])
            .await
            .map_err(query_err("listing indexes"))?;
        Ok(SQLITE_BULK_INDEXES
            .iter()
            .filter(|(name, _, _)| !present.iter().any(|p| p.name == *name))
            .copied()
            .collect())
    }

    /// Drops the table's bulk indexes when this process can hold the lock;
    /// false when the load should go row by row (another load holds it).
    pub(super) async fn drop_bulk_indexes(&self, table: &str) -> Result<bool> {
        let Some(file) = self.try_bulk_lock().await? else {
            return Ok(false);
        };
        for (name, _, _) in SQLITE_BULK_INDEXES.iter().filter(|(_, t, _)| *t == table) {
            self.pool
                .execute(&format!("DROP INDEX IF EXISTS {name}"), &[])
                .await
                .map_err(query_err("preparing a bulk load"))?;
        }
        if let Ok(mut hold) = self.bulk_hold.0.lock() {
            *hold = file;
        }
        Ok(true)
    }

    /// Builds the missing bulk indexes, if this process dropped them or no
    /// load holds the lock; then lets the lock go.
    pub(super) async fn restore_bulk_indexes(&self) -> Result<()> {
        if self.dialect() != Dialect::Sqlite {
            return Ok(());
        }
        let held = self
            .bulk_hold
            .0
            .lock()
            .map(|h| h.is_some())
            .unwrap_or(false);
        let missing = self.missing_bulk_indexes().await?;
        if !missing.is_empty() {
            // Taken here only when no load of another process is running.
            let _hold = if held {
                None
            } else {
                match self.try_bulk_lock().await? {
                    Some(file) => Some(file),
                    None => return Ok(()),
                }
            };
            // The sorts of an index build may use the machine's cores.
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
            self.pool
                .execute(&format!("PRAGMA threads = {cores}"), &[])
                .await
                .map_err(query_err("building indexes after a bulk load"))?;
            for (name, table, columns) in missing {
                self.pool
                    .execute(
                        &format!("CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})"),
                        &[],
                    )
                    .await
                    .map_err(query_err("building indexes after a bulk load"))?;
            }
        }
        self.release_bulk_lock();
        Ok(())
    }

    pub(super) fn release_bulk_lock(&self) {
        self.fresh_calls.stop();
        if let Ok(mut hold) = self.bulk_hold.0.lock() {
            *hold = None;
        }
    }
}

fn open_lock_file(path: &std::path::Path) -> Result<File> {
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| super::StorageError::Io(format!("{}: {e}", path.display())))
}
