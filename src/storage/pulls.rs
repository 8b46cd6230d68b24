//! The state of scheduled pulls: each source's cursor, and the files taken
//! from drop folders by content hash.

use chrono::{DateTime, Utc};

use super::Store;
use super::db::Value;
use super::upsert_sql::push_value_rows;
use super::{Result, query_err};

#[derive(sqlx::FromRow)]
struct CursorRow {
    cursor: String,
}

#[derive(sqlx::FromRow)]
struct PathRow {
    path: String,
}

impl Store {
    /// Where a scheduled pull of `source` stopped, as it recorded it.
    pub async fn pull_cursor(&self, source: &str) -> Result<Option<String>> {
        let mut sql = "SELECT cursor FROM pull_cursors WHERE source = ".to_owned();
        self.pool.dialect().placeholder(&mut sql, 1);
        let rows: Vec<CursorRow> = self
            .pool
            .fetch_all(&sql, &[Value::Text(source)])
            .await
            .map_err(query_err("reading a pull's cursor"))?;
        Ok(rows.into_iter().next().map(|r| r.cursor))
    }

    /// Records a pull's cursor; call only once the records it covers are stored.
    pub async fn set_pull_cursor(
        &self,
        source: &str,
        cursor: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut sql = "INSERT INTO pull_cursors (source, cursor, updated_at) VALUES ".to_owned();
        push_value_rows(&mut sql, self.pool.dialect(), 1, 3);
        sql.push_str(
            " ON CONFLICT (source) DO UPDATE SET cursor = excluded.cursor, \
             updated_at = excluded.updated_at",
        );
        self.pool
            .execute(
                &sql,
                &[
                    Value::Text(source),
                    Value::Text(cursor),
                    Value::Int(now.timestamp()),
                ],
            )
            .await
            .map_err(query_err("recording a pull's cursor"))?;
        Ok(())
    }

    /// The path a file of this content hash was read from, when it was.
    pub async fn ingested_file(&self, source: &str, hash: &str) -> Result<Option<String>> {
        let d = self.pool.dialect();
        let mut sql = "SELECT path FROM ingested_files WHERE source = ".to_owned();
        d.placeholder(&mut sql, 1);
        sql.push_str(" AND hash = ");
        d.placeholder(&mut sql, 2);
        let rows: Vec<PathRow> = self
            .pool
            .fetch_all(&sql, &[Value::Text(source), Value::Text(hash)])
            .await
            .map_err(query_err("looking up a dropped file"))?;
        Ok(rows.into_iter().next().map(|r| r.path))
    }

    /// Records a dropped file as read (by content hash).
    pub async fn record_ingested_file(
        &self,
        source: &str,
        hash: &str,
        path: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut sql =
            "INSERT INTO ingested_files (source, hash, path, ingested_at) VALUES ".to_owned();
        push_value_rows(&mut sql, self.pool.dialect(), 1, 4);
        sql.push_str(" ON CONFLICT (source, hash) DO NOTHING");
        self.pool
            .execute(
                &sql,
                &[
                    Value::Text(source),
                    Value::Text(hash),
                    Value::Text(path),
                    Value::Int(now.timestamp()),
                ],
            )
            .await
            .map_err(query_err("recording a dropped file"))?;
        Ok(())
    }

    /// Records that `source` was pulled whole at `at`.
    pub async fn mark_pulled(&self, source: &str, at: DateTime<Utc>) -> Result<()> {
        let d = self.dialect();
        let greatest = match d {
            super::db::Dialect::Sqlite => "MAX",
            super::db::Dialect::Postgres => "GREATEST",
        };
        let sql = d.numbered(&format!(
            "INSERT INTO source_checks (source, pulled_at) VALUES ({{}}, {{}}) \
             ON CONFLICT (source) DO UPDATE SET pulled_at = \
             {greatest}(source_checks.pulled_at, excluded.pulled_at)"
        ));
        self.pool
            .execute(&sql, &[Value::Text(source), Value::Int(at.timestamp())])
            .await
            .map_err(query_err("recording a pull"))?;
        Ok(())
    }

    /// When each source was last pulled whole.
    pub async fn last_pulls(&self) -> Result<Vec<(String, DateTime<Utc>)>> {
        #[derive(sqlx::FromRow)]
        struct Check {
            source: String,
            pulled_at: i64,
        }
        let rows: Vec<Check> = self
            .pool
            .fetch_all("SELECT source, pulled_at FROM source_checks", &[])
            .await
            .map_err(query_err("reading when sources were pulled"))?;
        Ok(rows
            .into_iter()
            .filter_map(|r| DateTime::from_timestamp(r.pulled_at, 0).map(|at| (r.source, at)))
            .collect())
    }
}
