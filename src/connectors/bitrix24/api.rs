//! Bitrix24's REST API through an inbound webhook: a method is a POST of
//! JSON to `https://PORTAL/rest/USER_ID/SECRET/METHOD`; errors come as
//! `{"error": CODE, "error_description": TEXT}`; `batch` runs up to 50
//! methods in one request.

use std::collections::HashMap;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Map, Value, json};

use crate::config::CrmApiConfig;
use crate::connectors::http::{Client, RemoteError, Verdict, json_body};

/// Rows a list method returns per page.
pub const PAGE: usize = 50;
/// Commands `batch` takes at most.
pub const BATCH: usize = 50;

pub struct Bitrix {
    pub client: Client,
    base: String,
}

/// Reads a Bitrix24 answer: its error code decides, then the HTTP status.
fn judge(status: StatusCode, retry_after: Option<Duration>, body: &str) -> Verdict {
    let parsed = json_body(body);
    let (code, description) = match &parsed {
        Ok(v) => (
            v.get("error").and_then(Value::as_str).unwrap_or_default(),
            v.get("error_description")
                .and_then(Value::as_str)
                .unwrap_or_default(),
        ),
        Err(_) => ("", ""),
    };
    let detail = if code.is_empty() {
        String::new()
    } else if description.is_empty() {
        code.to_owned()
    } else {
        format!("{code}, {description}")
    };
    match code.to_ascii_uppercase().as_str() {
        "QUERY_LIMIT_EXCEEDED" | "OPERATION_TIME_LIMIT" => {
            return Verdict::RateLimited(retry_after);
        }
        "NO_AUTH_FOUND"
        | "INVALID_CREDENTIALS"
        | "INVALID_TOKEN"
        | "EXPIRED_TOKEN"
        | "WRONG_AUTH_TYPE" => return Verdict::Unauthorized(detail),
        "ACCESS_DENIED" | "INSUFFICIENT_SCOPE" | "USER_ACCESS_ERROR" => {
            return Verdict::Forbidden(detail);
        }
        "ERROR_METHOD_NOT_FOUND" | "METHOD_NOT_FOUND" => return Verdict::UnknownMethod(detail),
        "INTERNAL_SERVER_ERROR" | "ERROR_UNEXPECTED_ANSWER" => return Verdict::Transient,
        _ => {}
    }
    match status.as_u16() {
        401 => Verdict::Unauthorized(detail),
        403 => Verdict::Forbidden(detail),
        404 => Verdict::UnknownMethod(detail),
        429 => Verdict::RateLimited(retry_after),
        500..=599 => Verdict::Transient,
        _ if !code.is_empty() => Verdict::Other(detail),
        200..=299 => match parsed {
            Ok(v) => Verdict::Data(Some(v)),
            Err(e) => Verdict::Other(e),
        },
        _ => Verdict::Other(detail),
    }
}

impl Bitrix {
    pub fn new(api: &CrmApiConfig) -> Result<Self, RemoteError> {
        Ok(Self {
            client: Client::new("Bitrix24", api)?,
            base: api.base_url.expose().to_owned(),
        })
    }

    /// Calls one method; the whole answer (`result`, `next`, `total`, ...).
    pub async fn call(&mut self, method: &str, params: &Value) -> Result<Value, RemoteError> {
        let url = format!("{}{method}", self.base);
        let build = |http: &reqwest::Client| http.post(&url).json(params);
        let answer = self.client.send(method, &build, judge).await?;
        answer.ok_or_else(|| self.client.bad_answer(method, "an empty answer"))
    }

    /// Runs up to 50 list commands (`METHOD?query`) in one request; each
    /// command's rows and its `next`, or why it failed, by the key given.
    ///
    /// `batch` answers HTTP 200 even when a command inside failed: the
    /// failure is under `result.result_error` by the command's key
    /// (`settings/how-to-call-rest-api/batch.md`). A command refused for a
    /// rate limit (`QUERY_LIMIT_EXCEEDED`, `OPERATION_TIME_LIMIT`,
    /// `limits.md`) is waited out and sent again alone with the others that
    /// were; any other failure is handed back for the caller to set aside,
    /// and the other commands' rows are kept.
    pub async fn batch(
        &mut self,
        commands: &[(String, String)],
    ) -> Result<Vec<(String, Command)>, RemoteError> {
        let mut done: HashMap<String, Command> = HashMap::new();
        let mut todo: Vec<(String, String)> = commands.to_vec();
        let mut tries = 0u32;
        while !todo.is_empty() {
            let cmd: Map<String, Value> = todo
                .iter()
                .map(|(k, c)| (k.clone(), Value::String(c.clone())))
                .collect();
            let answer = self
                .call("batch", &json!({ "halt": 0, "cmd": cmd }))
                .await?;
            let result = answer.get("result").cloned().unwrap_or(Value::Null);
            let errors = result.get("result_error").and_then(Value::as_object);
            let rows = result.get("result");
            let nexts = result.get("result_next");
            let mut limited = Vec::new();
            let mut last = String::new();
            for (key, command) in todo.drain(..) {
                if let Some(err) = errors.and_then(|e| e.get(&key)) {
                    let failure = CommandError::of(err);
                    if failure.is_rate_limit() {
                        last = failure.to_string();
                        limited.push((key, command));
                    } else {
                        done.insert(key, Err(failure));
                    }
                    continue;
                }
                let items = match rows.and_then(|r| r.get(&key)) {
                    Some(Value::Array(items)) => items.clone(),
                    Some(Value::Object(o)) => o
                        .get("items")
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default(),
                    _ => Vec::new(),
                };
                let next = nexts.and_then(|n| n.get(&key)).and_then(Value::as_i64);
                done.insert(key, Ok((items, next)));
            }
            if limited.is_empty() {
                break;
            }
            tries += 1;
            let method = limited
                .first()
                .map(|(_, c)| c.split('?').next().unwrap_or(c).to_owned())
                .unwrap_or_else(|| "batch".to_owned());
            if let Err(gave_up) = self.client.wait_out_limit(&method, tries, last).await {
                for (key, _) in limited {
                    done.insert(
                        key,
                        Err(CommandError {
                            code: "OPERATION_TIME_LIMIT".to_owned(),
                            description: gave_up.to_string(),
                        }),
                    );
                }
                break;
            }
            todo = limited;
        }
        Ok(commands
            .iter()
            .map(|(key, _)| {
                let outcome = done.remove(key).unwrap_or_else(|| Ok((Vec::new(), None)));
                (key.clone(), outcome)
            })
            .collect())
    }
}

/// One command of a `batch`: its rows and `next`, or why it failed.
pub type Command = Result<(Vec<Value>, Option<i64>), CommandError>;

/// Why one command of a `batch` failed, as `result_error` gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct CommandError {
    pub code: String,
    pub description: String,
}

impl CommandError {
    fn of(err: &Value) -> Self {
        let text = |k: &str| err.get(k).and_then(Value::as_str).unwrap_or_default();
        Self {
            code: text("error").to_owned(),
            description: text("error_description").to_owned(),
        }
    }

    fn is_rate_limit(&self) -> bool {
        matches!(
            self.code.to_ascii_uppercase().as_str(),
            "QUERY_LIMIT_EXCEEDED" | "OPERATION_TIME_LIMIT"
        )
    }
}

impl std::fmt::Display for CommandError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.code.is_empty(), self.description.is_empty()) {
            (false, false) => write!(f, "{}: {}", self.code, self.description),
            (false, true) => f.write_str(&self.code),
            (true, false) => f.write_str(&self.description),
            (true, true) => f.write_str("an error without a code"),
        }
    }
}

/// The rows of a list answer: `result` itself, or `result.items`
/// (`crm.stagehistory.list`), or `result.categories`.
pub fn rows(answer: &Value) -> Vec<Value> {
    match answer.get("result") {
        Some(Value::Array(items)) => items.clone(),
        Some(Value::Object(o)) => ["items", "categories"]
            .iter()
            .find_map(|k| o.get(*k).and_then(Value::as_array).cloned())
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// A list command for `batch`: `METHOD?key=value&...`, URL-encoded.
pub fn command(method: &str, params: &[(&str, String)]) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        query.append_pair(k, v);
    }
    format!("{method}?{}", query.finish())
}
