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

/// ` ON CONFLICT (source, external_id) DO UPDATE SET ... WHERE changed
/// RETURNING updated_run`: the returned value is NULL for an inserted row and
/// the run for an updated one; an unchanged row returns nothing.
pub(super) fn conflict_clause<R: Record>() -> String {
    let table = R::TABLE;
    let mut sql = String::from(" ON CONFLICT (source, external_id) DO UPDATE SET ");
    for c in R::COLUMNS {
        sql.push_str(c);
        sql.push_str(" = excluded.");
        sql.push_str(c);
        sql.push_str(", ");
    }
    sql.push_str("row_hash = excluded.row_hash, updated_run = excluded.created_run WHERE ");
    sql.push_str(&format!("{table}.row_hash <> excluded.row_hash"));
    if let Some(wins) = R::WINS {
        sql.push_str(" AND ");
        sql.push_str(wins);
    }
    sql.push_str(" RETURNING updated_run");
    sql
}

/// `INSERT INTO t (...) VALUES (...), ... ON CONFLICT ...` for `rows` rows.
pub(super) fn upsert_sql<R: Record>(dialect: Dialect, rows: usize) -> String {
    let mut sql = format!("INSERT INTO {} ({}) VALUES ", R::TABLE, column_list::<R>());
    push_value_rows(&mut sql, dialect, rows, R::COLUMNS.len() + 4);
    sql.push_str(&conflict_clause::<R>());
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
