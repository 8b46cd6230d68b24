//! amoCRM (Kommo) API v4: GETs under `/api/v4/` with a bearer token, HAL
//! answers (`_embedded`, `_links.next`), HTTP 204 for an empty page, errors
//! as HTTP statuses with a problem JSON (`title`, `detail`).

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use crate::config::CrmApiConfig;
use crate::connectors::http::{Client, RemoteError, Verdict, json_body};

pub struct Amo {
    pub client: Client,
    base: String,
    token: String,
}

/// One page of a list: its rows, and the next page's URL if there is one.
pub struct Page {
    pub rows: Vec<Value>,
    pub next: Option<String>,
}

fn judge(status: StatusCode, retry_after: Option<Duration>, body: &str) -> Verdict {
    if status == StatusCode::NO_CONTENT {
        return Verdict::Data(None);
    }
    let parsed = json_body(body);
    let detail = match &parsed {
        Ok(v) => ["title", "detail", "hint"]
            .iter()
            .filter_map(|k| v.get(*k).and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(", "),
        Err(_) => String::new(),
    };
    match status.as_u16() {
        200..=299 => match parsed {
            Ok(v) => Verdict::Data(Some(v)),
            Err(e) => Verdict::Other(e),
        },
        401 => Verdict::Unauthorized(detail),
        402 => Verdict::Other(format!(
            "{detail} (Payment Required: the account's subscription has run out)"
        )),
        403 => Verdict::Forbidden(detail),
        404 => Verdict::UnknownMethod(detail),
        429 => Verdict::RateLimited(retry_after),
        500..=599 => Verdict::Transient,
        _ => Verdict::Other(detail),
    }
}

impl Amo {
    pub fn new(api: &CrmApiConfig) -> Result<Self, RemoteError> {
        Ok(Self {
            client: Client::new("amoCRM", api)?,
            base: api.base_url.expose().trim_end_matches('/').to_owned(),
            token: api
                .token
                .as_ref()
                .map(|t| t.expose().to_owned())
                .unwrap_or_default(),
        })
    }

    /// The URL of a list endpoint (`leads`, `leads/notes`) with its query.
    pub fn url(&self, path: &str, query: &[(&str, String)]) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in query {
            q.append_pair(k, v);
        }
        format!("{}/api/v4/{path}?{}", self.base, q.finish())
    }

    /// GETs one page; `key` names the rows under `_embedded`.
    pub async fn page(&mut self, url: &str, key: &str) -> Result<Page, RemoteError> {
        let endpoint = url
            .split('?')
            .next()
            .and_then(|p| p.split("/api/v4/").nth(1))
            .unwrap_or(key)
            .to_owned();
        let token = self.token.clone();
        let build = |http: &reqwest::Client| http.get(url).bearer_auth(&token);
        let Some(answer) = self.client.send(&endpoint, &build, judge).await? else {
            return Ok(Page {
                rows: Vec::new(),
                next: None,
            });
        };
        let rows = answer
            .get("_embedded")
            .and_then(|e| e.get(key))
            .and_then(Value::as_array)
            .cloned();
        let Some(rows) = rows else {
            return Err(self
                .client
                .bad_answer(&endpoint, format!("no _embedded.{key} in the answer")));
        };
        Ok(Page {
            rows,
            next: answer
                .get("_links")
                .and_then(|l| l.get("next"))
                .and_then(|n| n.get("href"))
                .and_then(Value::as_str)
                .map(str::to_owned),
        })
    }
}
