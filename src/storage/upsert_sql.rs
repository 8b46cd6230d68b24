//! The SQL of upserts, written once for both backends: only placeholders
//! differ between SQLite (`?`) and Postgres (`$1`).

use super::db::Dialect;
use super::records::Record;

/// `source, external_id, <columns>, row_hash, created_run`
pub(super) fn column_list<R: Record>() -> String {
    let mut cols = String::from("source, external_id");
    for c in R::COLUMNS {
        cols.push_str(", ");
        cols.push_str(c);
    }
    cols.push_str(", row_hash, created_run");
    cols
}

/// The statement that takes a batch's rows: into the stage table on SQLite,
/// straight into the table (as an upsert) on Postgres.
pub(super) fn batch_sql<R: Record>(dialect: Dialect, rows: usize, stage: &str) -> String {
    match dialect {
        Dialect::Sqlite => {
            let mut sql = format!("INSERT INTO temp.{stage} ({}) VALUES ", column_list::<R>());
            push_value_rows(&mut sql, dialect, rows, R::COLUMNS.len() + 4);
            sql
        }
        Dialect::Postgres => upsert_sql::<R>(dialect, rows),
    }
}

/// SQLite: `UPDATE` of the stored rows whose record in the stage table
/// `stage` changed (and wins), the same as the upsert's update on Postgres.
pub(super) fn stage_update_sql<R: Record>(stage: &str) -> String {
    let table = R::TABLE;
    let mut sql = format!("UPDATE main.{table} SET ");
    push_updates::<R>(&mut sql);
    sql.push_str(&format!(
        " FROM temp.{stage} AS excluded WHERE {table}.source = excluded.source \
         AND {table}.external_id = excluded.external_id AND "
    ));
    push_changed::<R>(&mut sql);
    sql
}

/// `col = excluded.col, ..., row_hash = ..., updated_run = ...`
fn push_updates<R: Record>(sql: &mut String) {
    for c in R::COLUMNS {
        sql.push_str(c);
        sql.push_str(" = excluded.");
        sql.push_str(c);
        sql.push_str(", ");
    }
    sql.push_str("row_hash = excluded.row_hash, updated_run = excluded.created_run");
}

/// When a record replaces the stored one: changed content, and `WINS`.
fn push_changed<R: Record>(sql: &mut String) {
    sql.push_str(&format!("{}.row_hash <> excluded.row_hash", R::TABLE));
    if let Some(wins) = R::WINS {
        sql.push_str(" AND ");
        sql.push_str(wins);
    }
}

/// ` ON CONFLICT (source, external_id) DO UPDATE SET ... WHERE changed
/// RETURNING updated_run`: the returned value is NULL for an inserted row and
/// the run for an updated one; an unchanged row returns nothing.
fn conflict_clause<R: Record>(returning: bool) -> String {
    let mut sql = String::from(" ON CONFLICT (source, external_id) DO UPDATE SET ");
    push_updates::<R>(&mut sql);
    sql.push_str(" WHERE ");
    push_changed::<R>(&mut sql);
    if returning {
        sql.push_str(" RETURNING updated_run");
    }
    sql
}

/// `INSERT INTO t (...) VALUES (...), ... ON CONFLICT ... RETURNING` for
/// `rows` rows.
pub(super) fn upsert_sql<R: Record>(dialect: Dialect, rows: usize) -> String {
    upsert_sql_returning::<R>(dialect, rows, true)
}

/// The same, handing back nothing (rows written are counted instead).
pub(super) fn upsert_sql_returning<R: Record>(
    dialect: Dialect,
    rows: usize,
    returning: bool,
) -> String {
    let mut sql = format!("INSERT INTO {} ({}) VALUES ", R::TABLE, column_list::<R>());
    push_value_rows(&mut sql, dialect, rows, R::COLUMNS.len() + 4);
    sql.push_str(&conflict_clause::<R>(returning));
    sql
}

/// `(?, ?, ?), (?, ?, ?)` for `rows` rows of `width` values.
pub(super) fn push_value_rows(sql: &mut String, dialect: Dialect, rows: usize, width: usize) {
    sql.reserve(rows * width * 4);
    let mut n = 0;
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..width {
            if c > 0 {
                sql.push_str(", ");
            }
            n += 1;
            dialect.placeholder(sql, n);
        }
        sql.push(')');
    }
}
