//! The commands of buttons too long for Telegram's 64 bytes of callback
//! data, kept under a short key until they expire (`bot/buttons.rs`).

use chrono::{DateTime, Utc};

use super::db::{Dialect, Value};
use super::upsert_sql::push_value_rows;
use super::{Result, Store, query_err};

#[derive(sqlx::FromRow)]
struct ButtonRow {
    command: String,
    expires_at: i64,
}

/// What a pressed button's key stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeptButton {
    Command(String),
    /// It was kept, but its time ran out.
    Expired,
    /// Never kept here (or cleared).
    Unknown,
}

impl Store {
    /// Keeps `(key, command)` pairs until `expires_at` (a key kept before
    /// keeps the later expiry).
    pub async fn keep_buttons(
        &self,
        buttons: &[(String, String)],
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        if buttons.is_empty() {
            return Ok(());
        }
        let d = self.dialect();
        let greatest = match d {
            Dialect::Sqlite => "MAX",
            Dialect::Postgres => "GREATEST",
        };
        for chunk in buttons.chunks(500) {
            let mut sql =
                "INSERT INTO buttons (button_key, command, expires_at) VALUES ".to_owned();
            push_value_rows(&mut sql, d, chunk.len(), 3);
            sql.push_str(&format!(
                " ON CONFLICT (button_key) DO UPDATE SET expires_at = \
                 {greatest}(buttons.expires_at, excluded.expires_at)"
            ));
            let values: Vec<Value<'_>> = chunk
                .iter()
                .flat_map(|(key, command)| {
                    [
                        Value::Text(key),
                        Value::Text(command),
                        Value::Int(expires_at.timestamp()),
                    ]
                })
                .collect();
            self.pool
                .execute(&sql, &values)
                .await
                .map_err(query_err("keeping button commands"))?;
        }
        Ok(())
    }

    /// The command kept under `key`, as of `now`.
    pub async fn kept_button(&self, key: &str, now: DateTime<Utc>) -> Result<KeptButton> {
        let sql = self
            .dialect()
            .numbered("SELECT command, expires_at FROM buttons WHERE button_key = {}");
        let rows: Vec<ButtonRow> = self
            .pool
            .fetch_all(&sql, &[Value::Text(key)])
            .await
            .map_err(query_err("reading a button's command"))?;
        Ok(match rows.into_iter().next() {
            None => KeptButton::Unknown,
            Some(r) if r.expires_at < now.timestamp() => KeptButton::Expired,
            Some(r) => KeptButton::Command(r.command),
        })
    }
}
