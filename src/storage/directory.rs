//! The department's directory as the config names it: teams and employees,
//! written so reports can join on them.

use super::db::Value;
use super::upsert_sql::push_value_rows;
use super::{Result, Store, query_err};
use crate::domain::{Employee, Team};

impl Store {
    /// Writes the config's teams and employees, so reports can join on them.
    pub async fn sync_directory(&self, teams: &[Team], employees: &[Employee]) -> Result<()> {
        let d = self.dialect();
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(query_err("syncing teams"))?;
        if !teams.is_empty() {
            let tz: Vec<&str> = teams.iter().map(|t| t.timezone.name()).collect();
            let values: Vec<Value<'_>> = teams
                .iter()
                .zip(&tz)
                .flat_map(|(t, tz)| [Value::Text(&t.id), Value::Text(&t.name), Value::Text(tz)])
                .collect();
            let mut sql = "INSERT INTO teams (id, name, timezone) VALUES ".to_owned();
            push_value_rows(&mut sql, d, teams.len(), 3);
            sql.push_str(
                " ON CONFLICT (id) DO UPDATE SET name = excluded.name, timezone = excluded.timezone",
            );
            tx.execute(&sql, &values)
                .await
                .map_err(query_err("syncing teams"))?;
        }
        for chunk in employees.chunks(d.max_params() / 5) {
            let values: Vec<Value<'_>> = chunk
                .iter()
                .flat_map(|e| {
                    [
                        Value::Text(&e.id),
                        Value::Text(&e.name),
                        Value::Text(e.role.as_str()),
                        Value::NullText(e.position.as_deref()),
                        Value::Text(&e.team),
                    ]
                })
                .collect();
            let mut sql =
                "INSERT INTO employees (id, name, role, position, team_id) VALUES ".to_owned();
            push_value_rows(&mut sql, d, chunk.len(), 5);
            sql.push_str(
                " ON CONFLICT (id) DO UPDATE SET name = excluded.name, role = excluded.role, \
                 position = excluded.position, team_id = excluded.team_id",
            );
            tx.execute(&sql, &values)
                .await
                .map_err(query_err("syncing employees"))?;
        }
        tx.commit().await.map_err(query_err("syncing employees"))
    }
}
