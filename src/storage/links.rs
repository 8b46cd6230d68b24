//! Invite codes and the Telegram accounts they link, chats that refuse the
//! bot, and the self-reports people send it.

use chrono::{DateTime, NaiveDate, Utc};

use super::Store;
use super::db::Value;
use super::{Redeemed, Result, query_err};

#[derive(sqlx::FromRow)]
struct InviteRow {
    expires_at: i64,
    used_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct ReasonRow {
    reason: String,
}

#[derive(sqlx::FromRow)]
struct FiguresRow {
    figures: String,
}

#[derive(sqlx::FromRow)]
struct EmployeeRow {
    employee_id: String,
}

impl Store {
    /// Stores a one-time invite code for `employee_id`.
    pub async fn create_invite(
        &self,
        code: &str,
        employee_id: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        let d = self.pool.dialect();
        let mut sql =
            "INSERT INTO invites (code, employee_id, created_at, expires_at) VALUES (".to_owned();
        for n in 1..=4 {
            if n > 1 {
                sql.push_str(", ");
            }
            d.placeholder(&mut sql, n);
        }
        sql.push(')');
        self.pool
            .execute(
                &sql,
                &[
                    Value::Text(code),
                    Value::Text(employee_id),
                    Value::Int(now.timestamp()),
                    Value::Int(expires_at.timestamp()),
                ],
            )
            .await
            .map_err(query_err("storing an invite code"))?;
        Ok(())
    }

    /// Uses an invite code once, linking `telegram_id` to its employee.
    pub async fn redeem_invite(
        &self,
        code: &str,
        telegram_id: i64,
        now: DateTime<Utc>,
    ) -> Result<Redeemed> {
        let d = self.pool.dialect();
        let err = || query_err("redeeming an invite code");
        let mut tx = self.pool.begin().await.map_err(err())?;
        // Taking the code and linking happen together, or not at all; the
        // condition makes a code good for one use even when two try at once.
        let mut take = "UPDATE invites SET used_at = ".to_owned();
        d.placeholder(&mut take, 1);
        take.push_str(", used_by = ");
        d.placeholder(&mut take, 2);
        take.push_str(" WHERE code = ");
        d.placeholder(&mut take, 3);
        take.push_str(" AND used_at IS NULL AND expires_at > ");
        d.placeholder(&mut take, 4);
        take.push_str(" RETURNING expires_at");
        let taken = tx
            .fetch_opt_ints(
                &take,
                &[
                    Value::Int(now.timestamp()),
                    Value::Int(telegram_id),
                    Value::Text(code),
                    Value::Int(now.timestamp()),
                ],
            )
            .await
            .map_err(err())?;
        if taken.is_empty() {
            drop(tx);
            let mut find = "SELECT expires_at, used_at FROM invites WHERE code = ".to_owned();
            d.placeholder(&mut find, 1);
            let rows: Vec<InviteRow> = self
                .pool
                .fetch_all(&find, &[Value::Text(code)])
                .await
                .map_err(err())?;
            return Ok(match rows.first() {
                None => Redeemed::Unknown,
                Some(r) if r.used_at.is_some() => Redeemed::Used,
                Some(r) if r.expires_at <= now.timestamp() => Redeemed::Expired,
                Some(_) => Redeemed::Used,
            });
        }
        let mut link = "INSERT INTO telegram_links (telegram_id, employee_id, linked_at) \
                        SELECT "
            .to_owned();
        d.placeholder(&mut link, 1);
        link.push_str(", employee_id, ");
        d.placeholder(&mut link, 2);
        link.push_str(" FROM invites WHERE code = ");
        d.placeholder(&mut link, 3);
        link.push_str(
            " ON CONFLICT (telegram_id) DO UPDATE SET employee_id = excluded.employee_id, \
             linked_at = excluded.linked_at",
        );
        tx.execute(
            &link,
            &[
                Value::Int(telegram_id),
                Value::Int(now.timestamp()),
                Value::Text(code),
            ],
        )
        .await
        .map_err(err())?;
        tx.commit().await.map_err(err())?;
        Ok(self
            .telegram_link(telegram_id)
            .await?
            .map(Redeemed::Linked)
            .unwrap_or(Redeemed::Unknown))
    }

    /// The Telegram accounts linked to each of `employees` by an invite.
    pub async fn telegram_ids_of(&self, employees: &[&str]) -> Result<Vec<(String, i64)>> {
        #[derive(sqlx::FromRow)]
        struct Linked {
            employee_id: String,
            telegram_id: i64,
        }
        let rows: Vec<Linked> = super::in_list::InList {
            pool: &self.pool,
            dialect: self.dialect(),
        }
        .fetch(
            "SELECT employee_id, telegram_id FROM telegram_links WHERE ",
            "employee_id",
            employees,
            &[],
            " ORDER BY employee_id, telegram_id",
            "reading the Telegram links of employees",
        )
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| (r.employee_id, r.telegram_id))
            .collect())
    }

    /// The format a chat was found to need (`html`: its server has no
    /// rich messages), if one was noted.
    pub async fn chat_format(&self, chat_id: i64) -> Result<Option<String>> {
        #[derive(sqlx::FromRow)]
        struct Format {
            format: String,
        }
        let sql = self
            .dialect()
            .numbered("SELECT format FROM chat_formats WHERE chat_id = {}");
        let rows: Vec<Format> = self
            .pool
            .fetch_all(&sql, &[Value::Int(chat_id)])
            .await
            .map_err(query_err("reading a chat's format"))?;
        Ok(rows.into_iter().next().map(|r| r.format))
    }

    /// Notes the format a chat needs.
    pub async fn set_chat_format(
        &self,
        chat_id: i64,
        format: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let sql = self.dialect().numbered(
            "INSERT INTO chat_formats (chat_id, format, noted_at) VALUES ({}, {}, {}) \
             ON CONFLICT (chat_id) DO UPDATE SET format = excluded.format, noted_at = excluded.noted_at",
        );
        self.pool
            .execute(
                &sql,
                &[
                    Value::Int(chat_id),
                    Value::Text(format),
                    Value::Int(now.timestamp()),
                ],
            )
            .await
            .map_err(query_err("noting a chat's format"))?;
        Ok(())
    }

    /// The employee a Telegram account was linked to.
    pub async fn telegram_link(&self, telegram_id: i64) -> Result<Option<String>> {
        let mut sql = "SELECT employee_id FROM telegram_links WHERE telegram_id = ".to_owned();
        self.pool.dialect().placeholder(&mut sql, 1);
        let rows: Vec<EmployeeRow> = self
            .pool
            .fetch_all(&sql, &[Value::Int(telegram_id)])
            .await
            .map_err(query_err("reading a Telegram link"))?;
        Ok(rows.into_iter().next().map(|r| r.employee_id))
    }

    /// Marks a chat that refused the bot (`None` clears the mark).
    pub async fn set_chat_disabled(
        &self,
        chat_id: i64,
        reason: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let d = self.pool.dialect();
        let err = query_err("marking a Telegram chat");
        match reason {
            Some(reason) => {
                let mut sql =
                    "INSERT INTO telegram_disabled (chat_id, reason, disabled_at) VALUES ("
                        .to_owned();
                d.placeholder(&mut sql, 1);
                sql.push_str(", ");
                d.placeholder(&mut sql, 2);
                sql.push_str(", ");
                d.placeholder(&mut sql, 3);
                sql.push_str(
                    ") ON CONFLICT (chat_id) DO UPDATE SET reason = excluded.reason, \
                     disabled_at = excluded.disabled_at",
                );
                self.pool
                    .execute(
                        &sql,
                        &[
                            Value::Int(chat_id),
                            Value::Text(reason),
                            Value::Int(now.timestamp()),
                        ],
                    )
                    .await
                    .map_err(err)?;
            }
            None => {
                let mut sql = "DELETE FROM telegram_disabled WHERE chat_id = ".to_owned();
                d.placeholder(&mut sql, 1);
                self.pool
                    .execute(&sql, &[Value::Int(chat_id)])
                    .await
                    .map_err(err)?;
            }
        }
        Ok(())
    }

    /// Why a chat is not sent to, when it is not.
    pub async fn chat_disabled(&self, chat_id: i64) -> Result<Option<String>> {
        let mut sql = "SELECT reason FROM telegram_disabled WHERE chat_id = ".to_owned();
        self.pool.dialect().placeholder(&mut sql, 1);
        let rows: Vec<ReasonRow> = self
            .pool
            .fetch_all(&sql, &[Value::Int(chat_id)])
            .await
            .map_err(query_err("reading a Telegram chat's mark"))?;
        Ok(rows.into_iter().next().map(|r| r.reason))
    }

    /// Stores a day's self-report (figures as JSON); a later one replaces it.
    pub async fn store_self_report(
        &self,
        employee_id: &str,
        day: NaiveDate,
        figures: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let d = self.pool.dialect();
        let mut sql =
            "INSERT INTO self_reports (employee_id, day, figures, reported_at) VALUES (".to_owned();
        for n in 1..=4 {
            if n > 1 {
                sql.push_str(", ");
            }
            d.placeholder(&mut sql, n);
        }
        sql.push_str(
            ") ON CONFLICT (employee_id, day) DO UPDATE SET figures = excluded.figures, \
             reported_at = excluded.reported_at",
        );
        let day = day.to_string();
        self.pool
            .execute(
                &sql,
                &[
                    Value::Text(employee_id),
                    Value::Text(&day),
                    Value::Text(figures),
                    Value::Int(now.timestamp()),
                ],
            )
            .await
            .map_err(query_err("storing a self-report"))?;
        Ok(())
    }

    /// The self-report of a day, as stored.
    pub async fn self_report(&self, employee_id: &str, day: NaiveDate) -> Result<Option<String>> {
        let d = self.pool.dialect();
        let mut sql = "SELECT figures FROM self_reports WHERE employee_id = ".to_owned();
        d.placeholder(&mut sql, 1);
        sql.push_str(" AND day = ");
        d.placeholder(&mut sql, 2);
        let day = day.to_string();
        let rows: Vec<FiguresRow> = self
            .pool
            .fetch_all(&sql, &[Value::Text(employee_id), Value::Text(&day)])
            .await
            .map_err(query_err("reading a self-report"))?;
        Ok(rows.into_iter().next().map(|r| r.figures))
    }
}
