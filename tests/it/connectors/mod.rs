//! The Bitrix24 and amoCRM connectors against local servers that answer
//! like the real APIs: paging, empty pages, rate limits, a failure mid-pull
//! and the resume, unknown stages, unmapped users, and the errors a person
//! must be able to act on. And the figures: a pull and the same data fed
//! through files give the same `report figures`.

mod amocrm;
mod bench;
mod bitrix24;
mod documented;
mod equivalence;
mod fake_amo;
mod fake_bitrix;
mod model;
mod server;

use std::path::Path;
use std::sync::Arc;

use chrono::Utc;
use salespulse::app::pull::{self, PullError, PullOptions, PullReport};
use salespulse::config::Config;
use salespulse::storage::Store;

pub const B24_ENV: &str = "SALESPULSE_TEST_B24_WEBHOOK";
pub const AMO_ENV: &str = "SALESPULSE_TEST_AMO_TOKEN";

/// The department of these tests, its CRM sources pointed at the fakes.
/// (The webhook URL comes from the env var `B24_ENV`.)
pub fn config_text(amo_base: &str, extra: &str) -> String {
    format!(
        r#"database_url = "sqlite://unused.db"

[[teams]]
id = "moscow"
name = "Москва"
timezone = "Europe/Moscow"

[[employees]]
id = "petrova"
name = "Петрова Анна"
role = "head"
team = "moscow"

[[employees]]
id = "ivanov"
name = "Иванов Иван"
team = "moscow"
ids = {{ b24 = "1", amo = "5001", crm = "1", cloud = "1" }}

[[employees]]
id = "sidorov"
name = "Сидоров Пётр"
team = "moscow"
ids = {{ b24 = "2", amo = "5002", crm = "2", cloud = "2" }}

[[stages]]
id = "new"
crm_ids = ["NEW", 1001]

[[stages]]
id = "meeting"
crm_ids = ["PREPARATION", 1002]

[[stages]]
id = "won"
kind = "won"
crm_ids = ["WON"]

[[stages]]
id = "lost"
kind = "lost"
crm_ids = ["LOSE"]

[[sources]]
name = "b24"
kind = "bitrix24"
timezone = "Europe/Moscow"
webhook_url_env = "{B24_ENV}"
requests_per_second = 500
retry_base_ms = 5
retries = 3
channels = {{ WEB = "Сайт" }}
temperature_field = "UF_CRM_TEMP"
temperature_values = {{ hot = ["45"], warm = ["46"], cold = ["47"] }}
{extra}
[[sources]]
name = "amo"
kind = "amocrm"
timezone = "Europe/Moscow"
base_url = "{amo_base}"
token_env = "{AMO_ENV}"
requests_per_second = 500
retry_base_ms = 5
retries = 3
channel_field = "Источник"
channels = {{ WEB = "Сайт" }}
temperature_field = "9001"
temperature_values = {{ hot = [45], warm = [46], cold = [47] }}

[[sources]]
name = "crm"
kind = "crm_files"
timezone = "Europe/Moscow"

[[sources]]
name = "cloud"
kind = "calls_csv"
timezone = "Europe/Moscow"
delimiter = ";"
columns = {{ id = "ID", started_at = "Дата", direction = "Тип", agent = "Сотрудник", number = "Клиент", talk = "Разговор", duration = "Длительность", status = "Статус", deal = "Сделка" }}
missed_values = ["missed"]
"#
    )
}

pub fn config(b24_url: &str, amo_base: &str) -> Config {
    config_with(b24_url, amo_base, "", fake_amo::TOKEN)
}

pub fn config_with(b24_url: &str, amo_base: &str, extra: &str, token: &str) -> Config {
    let text = config_text(amo_base, extra);
    let (b24, token) = (b24_url.to_owned(), token.to_owned());
    Config::parse(
        &text,
        Path::new("connectors.toml"),
        &move |name| match name {
            B24_ENV => Some(b24.clone()),
            AMO_ENV => Some(token.clone()),
            _ => None,
        },
    )
    .expect("the connectors' test config is valid")
}

pub async fn pull_now(
    store: &Arc<Store>,
    config: &Config,
    source: &str,
) -> Result<PullReport, PullError> {
    let options = PullOptions {
        since: None,
        progress: false,
        now: Utc::now(),
    };
    pull::pull(
        store.clone(),
        config,
        config.source(source).unwrap(),
        &options,
    )
    .await
}

/// Rows of a table.
pub async fn count(store: &Arc<Store>, table: &str) -> i64 {
    store
        .table_counts()
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.table == table)
        .map(|c| c.rows)
        .unwrap_or(-1)
}

pub fn inserted(report: &PullReport, kind: &str) -> u64 {
    report.records.get(kind).map(|u| u.inserted).unwrap_or(0)
}
