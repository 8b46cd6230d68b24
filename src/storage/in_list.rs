//! Queries over a long list of ids (`... IN (?, ?, ...)`), a chunk at a
//! time under the backend's parameter limit.

use super::db::{Dialect, Pool, Value};
use super::{Result, query_err};

/// Builds `... IN (?, ?, ...)` queries over a long list, a chunk at a time.
pub(super) struct InList<'a> {
    pub(super) pool: &'a Pool,
    pub(super) dialect: Dialect,
}

impl InList<'_> {
    /// Runs `head` + `column IN (...)` + `tail` over `items` in chunks;
    /// `fixed` values are bound before each chunk's list.
    pub(super) async fn fetch<T: super::db::AnyRow>(
        &self,
        head: &str,
        column: &str,
        items: &[&str],
        fixed: &[Value<'_>],
        tail: &str,
        doing: &'static str,
    ) -> Result<Vec<T>> {
        let statements = items
            .chunks(self.room(fixed))
            .map(|chunk| self.statement(head, column, chunk, fixed, tail));
        self.fetch_statements(statements, doing).await
    }

    /// Runs `WITH <with> AS (VALUES (?), (?), ...) ` + `query` over `items`
    /// in chunks, each item a row of the list `with` names (e.g.
    /// `n(number)`); `fixed` values are bound at the `{}` marks of `query`.
    /// For a lookup per item that stops early (`ORDER BY ... LIMIT 1`),
    /// which `IN (...)` with `GROUP BY` cannot do.
    pub(super) async fn fetch_each<T: super::db::AnyRow>(
        &self,
        with: &str,
        query: &str,
        items: &[&str],
        fixed: &[Value<'_>],
        doing: &'static str,
    ) -> Result<Vec<T>> {
        let statements = items.chunks(self.room(fixed)).map(|chunk| {
            let mut sql = format!("WITH {with} AS (VALUES ");
            let mut n = 0;
            for i in 0..chunk.len() {
                sql.push_str(if i > 0 { ", (" } else { "(" });
                n += 1;
                self.dialect.placeholder(&mut sql, n);
                sql.push(')');
            }
            sql.push_str(") ");
            self.push_marked(&mut sql, query, &mut n);
            let mut values: Vec<Value<'_>> = chunk.iter().map(|s| Value::Text(s)).collect();
            values.extend_from_slice(fixed);
            (sql, values)
        });
        self.fetch_statements(statements, doing).await
    }

    /// Runs each statement and gathers their rows.
    async fn fetch_statements<'v, T: super::db::AnyRow>(
        &self,
        statements: impl Iterator<Item = (String, Vec<Value<'v>>)>,
        doing: &'static str,
    ) -> Result<Vec<T>> {
        let started = std::time::Instant::now();
        let mut out = Vec::new();
        for (sql, values) in statements {
            out.extend(
                self.pool
                    .fetch_all::<T>(&sql, &values)
                    .await
                    .map_err(query_err(doing))?,
            );
        }
        tracing::debug!(
            rows = out.len(),
            seconds = started.elapsed().as_secs_f64(),
            "{doing}"
        );
        Ok(out)
    }

    /// Runs a writing `head` + `column IN (...)` + `tail` over `items` in
    /// chunks; returns the rows it changed.
    pub(super) async fn execute(
        &self,
        head: &str,
        column: &str,
        items: &[&str],
        fixed: &[Value<'_>],
        tail: &str,
        doing: &'static str,
    ) -> Result<u64> {
        let mut changed = 0;
        for chunk in items.chunks(self.room(fixed)) {
            let (sql, values) = self.statement(head, column, chunk, fixed, tail);
            changed += self
                .pool
                .execute(&sql, &values)
                .await
                .map_err(query_err(doing))?;
        }
        Ok(changed)
    }

    fn room(&self, fixed: &[Value<'_>]) -> usize {
        self.dialect.max_params().saturating_sub(fixed.len()).max(1)
    }

    /// One chunk's statement and its values.
    fn statement<'v>(
        &self,
        head: &str,
        column: &str,
        chunk: &[&'v str],
        fixed: &[Value<'v>],
        tail: &str,
    ) -> (String, Vec<Value<'v>>) {
        let mut sql = String::with_capacity(head.len() + chunk.len() * 4 + 64);
        let mut n = 0;
        // Placeholders of fixed values are written by the caller as `{}`.
        self.push_marked(&mut sql, head, &mut n);
        sql.push_str(column);
        sql.push_str(" IN (");
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push_str(", ");
            }
            n += 1;
            self.dialect.placeholder(&mut sql, n);
        }
        sql.push(')');
        sql.push_str(tail);
        let mut values: Vec<Value<'v>> = fixed.to_vec();
        values.extend(chunk.iter().map(|s| Value::Text(s)));
        (sql, values)
    }

    /// `text` onto `sql`, each `{}` mark as the next placeholder after `n`.
    fn push_marked(&self, sql: &mut String, text: &str, n: &mut usize) {
        for (i, part) in text.split("{}").enumerate() {
            if i > 0 {
                *n += 1;
                self.dialect.placeholder(sql, *n);
            }
            sql.push_str(part);
        }
    }
}
