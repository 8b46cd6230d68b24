//! SQLite: many rows through one prepared one-row statement, stepped on the
//! writer connection's own handle. A multi-row statement through the
//! driver copies every value twice on its way to SQLite's thread (once into
//! owned arguments, once into SQLite) and keeps both threads waiting for
//! each other; binding each row's values where they lie and stepping the
//! statement costs a fraction of that, which is what a load of a million
//! calls spends most of its time on.
//!
//! The statement runs inside the caller's transaction: the driver's thread
//! is parked while the handle is held, so nothing else touches it.

use std::ffi::{CStr, c_int};
use std::ptr::NonNull;

use libsqlite3_sys as ffi;
use sqlx::SqliteConnection;

use super::db::Value;
use super::{Result, StorageError};

/// A prepared statement on a borrowed handle, finalized when dropped.
struct Statement {
    db: *mut ffi::sqlite3,
    stmt: NonNull<ffi::sqlite3_stmt>,
}

impl Statement {
    /// # Safety
    /// `db` is an open connection that no other thread uses while the
    /// statement lives.
    unsafe fn prepare(db: *mut ffi::sqlite3, sql: &str, doing: &'static str) -> Result<Self> {
        let len = c_int::try_from(sql.len()).map_err(|_| StorageError::Sqlite {
            doing,
            code: ffi::SQLITE_TOOBIG,
            message: "statement too long".to_owned(),
        })?;
        let mut stmt = std::ptr::null_mut();
        // SAFETY: `sql` is valid for `len` bytes; SQLite copies what it
        // keeps; `stmt` is written before it is read.
        let rc = unsafe {
            ffi::sqlite3_prepare_v2(
                db,
                sql.as_ptr().cast(),
                len,
                &mut stmt,
                std::ptr::null_mut(),
            )
        };
        match NonNull::new(stmt) {
            Some(stmt) if rc == ffi::SQLITE_OK => Ok(Statement { db, stmt }),
            _ => Err(unsafe { error(db, rc, doing) }),
        }
    }

    /// Binds `values` to the statement's parameters 1, 2, …
    ///
    /// # Safety
    /// The text of `values` stays where it is until the statement is
    /// stepped, bound again or dropped (it is bound without a copy).
    unsafe fn bind(&mut self, values: &[Value<'_>], doing: &'static str) -> Result<()> {
        let stmt = self.stmt.as_ptr();
        for (i, v) in values.iter().enumerate() {
            let at = c_int::try_from(i + 1).unwrap_or(c_int::MAX);
            // SAFETY: `stmt` is a live statement of `self.db`; a text
            // pointer is valid for its length (see above).
            let rc = unsafe {
                match *v {
                    Value::Int(n) | Value::NullInt(Some(n)) => ffi::sqlite3_bind_int64(stmt, at, n),
                    Value::Text(s) | Value::NullText(Some(s)) => ffi::sqlite3_bind_text64(
                        stmt,
                        at,
                        s.as_ptr().cast(),
                        s.len() as u64,
                        ffi::SQLITE_STATIC(),
                        ffi::SQLITE_UTF8 as u8,
                    ),
                    Value::NullInt(None) | Value::NullText(None) => {
                        ffi::sqlite3_bind_null(stmt, at)
                    }
                }
            };
            if rc != ffi::SQLITE_OK {
                return Err(unsafe { error(self.db, rc, doing) });
            }
        }
        Ok(())
    }

    /// Runs the statement once to its end; the rows it changed.
    fn run(&mut self, doing: &'static str) -> Result<u64> {
        let stmt = self.stmt.as_ptr();
        // SAFETY: a live statement with every parameter bound to live data.
        let rc = unsafe { ffi::sqlite3_step(stmt) };
        // SAFETY: as above; reset keeps the bindings, which are replaced
        // before the next step.
        let changed = unsafe {
            let changed = ffi::sqlite3_changes(self.db);
            ffi::sqlite3_reset(stmt);
            changed
        };
        match rc {
            ffi::SQLITE_DONE => Ok(u64::try_from(changed).unwrap_or(0)),
            // SAFETY: `self.db` is the live connection of the statement.
            _ => Err(unsafe { error(self.db, rc, doing) }),
        }
    }
}

impl Drop for Statement {
    fn drop(&mut self) {
        // SAFETY: the statement is live and dropped once; its bindings are
        // cleared before the text they point at can go.
        unsafe {
            ffi::sqlite3_clear_bindings(self.stmt.as_ptr());
            ffi::sqlite3_finalize(self.stmt.as_ptr());
        }
    }
}

/// The connection's error for the result code `rc`.
///
/// # Safety
/// `db` is a live connection used by this thread only.
unsafe fn error(db: *mut ffi::sqlite3, rc: c_int, doing: &'static str) -> StorageError {
    // SAFETY: SQLite's message is a NUL-terminated string owned by `db`,
    // copied at once.
    let message = unsafe {
        let text = ffi::sqlite3_errmsg(db);
        if text.is_null() {
            String::new()
        } else {
            CStr::from_ptr(text).to_string_lossy().into_owned()
        }
    };
    StorageError::Sqlite {
        doing,
        code: rc,
        message,
    }
}

/// Runs `sql`, whose parameters are one row's values, once for each of
/// `rows` with the values `push` gives for it; the rows it changed in all.
/// Runs in the caller's transaction on `conn`.
pub(super) async fn each_row<'a, T>(
    conn: &mut SqliteConnection,
    sql: &str,
    rows: &[&'a T],
    push: impl Fn(&'a T, &mut Vec<Value<'a>>),
    doing: &'static str,
) -> Result<u64> {
    if rows.is_empty() {
        return Ok(0);
    }
    let mut handle = conn
        .lock_handle()
        .await
        .map_err(|source| StorageError::Query { doing, source })?;
    let db = handle.as_raw_handle().as_ptr();
    let work = || -> Result<u64> {
        // SAFETY: the handle is locked for this function: the driver's
        // thread makes no call on it until `handle` is dropped, after the
        // statement.
        let mut stmt = unsafe { Statement::prepare(db, sql, doing)? };
        let mut values = Vec::new();
        let mut changed = 0;
        for row in rows {
            values.clear();
            push(row, &mut values);
            // SAFETY: the values borrow `rows`, which outlive the statement.
            unsafe { stmt.bind(&values, doing)? };
            changed += stmt.run(doing)?;
        }
        Ok(changed)
    };
    // Many thousand rows keep this thread busy: on a runtime with several
    // threads, the others take its tasks meanwhile.
    let changed = match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(work),
        _ => work(),
    };
    drop(handle);
    changed
}
