//! Talking to a CRM's REST API: one request at a time at the pace the CRM
//! allows, rate-limit answers and server errors waited out, and every other
//! failure turned into an error that says what to check.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use tokio::time::Instant;

use crate::config::CrmApiConfig;

/// Why a CRM request failed, with what to check.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    #[error(
        "{crm} refused the credentials (HTTP 401{detail}) on {method}: check the {what} in the env var {env}; it may be mistyped, revoked or expired"
    )]
    Unauthorized {
        crm: &'static str,
        method: String,
        what: &'static str,
        env: String,
        detail: String,
    },
    #[error("{crm} denied {method} (HTTP 403{detail}): the {who} lacks a permission; {fix}")]
    Forbidden {
        crm: &'static str,
        method: String,
        who: &'static str,
        fix: &'static str,
        detail: String,
    },
    #[error(
        "{crm} does not know the method {method} (HTTP 404{detail}): check the address ({host}) and that the module it belongs to is enabled"
    )]
    UnknownMethod {
        crm: &'static str,
        method: String,
        host: String,
        detail: String,
    },
    #[error(
        "cannot reach {crm} at {host} ({reason}): check the address in the config, DNS and the network"
    )]
    Unreachable {
        crm: &'static str,
        host: String,
        reason: String,
    },
    #[error(
        "{crm} kept answering {last} to {method} after {tries} tries; nothing after the last stored page was lost: run the pull again later"
    )]
    GaveUp {
        crm: &'static str,
        method: String,
        tries: u32,
        last: String,
    },
    #[error("{crm} answered {method} with HTTP {status}{detail}")]
    Refused {
        crm: &'static str,
        method: String,
        status: u16,
        detail: String,
    },
    #[error("{crm} answered {method} with something unexpected: {reason}")]
    BadAnswer {
        crm: &'static str,
        method: String,
        reason: String,
    },
}

/// What an answer means, as the CRM at hand tells it.
pub enum Verdict {
    /// A page of data (`None`: HTTP 204, an empty page).
    Data(Option<Value>),
    /// Too many requests: wait (as long as the CRM asked, when it did).
    RateLimited(Option<Duration>),
    /// A server error: worth another try.
    Transient,
    Unauthorized(String),
    Forbidden(String),
    UnknownMethod(String),
    Other(String),
}

/// A CRM's own words about a refusal, after a colon; nothing when it said none.
fn detail(d: String) -> String {
    if d.is_empty() {
        String::new()
    } else {
        format!(": {d}")
    }
}

/// A CRM's HTTP client: paced, retried, counting its requests.
pub struct Client {
    http: reqwest::Client,
    crm: &'static str,
    host: String,
    secret_env: String,
    min_gap: Duration,
    next_slot: Option<Instant>,
    retries: u32,
    retry_base: Duration,
    /// Requests sent, retries included.
    pub requests: u64,
    /// Waits caused by rate-limit answers.
    pub rate_limited: u64,
}

impl Client {
    pub fn new(crm: &'static str, api: &CrmApiConfig) -> Result<Self, RemoteError> {
        let host = url::Url::parse(api.base_url.expose())
            .ok()
            .and_then(|u| {
                u.host_str().map(|h| {
                    format!(
                        "{h}{}",
                        u.port().map(|p| format!(":{p}")).unwrap_or_default()
                    )
                })
            })
            .unwrap_or_default();
        let http = reqwest::Client::builder()
            .timeout(api.timeout)
            .connect_timeout(api.timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("salespulse/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| RemoteError::Unreachable {
                crm,
                host: host.clone(),
                reason: format!("cannot set up HTTP: {e}"),
            })?;
        Ok(Self {
            http,
            crm,
            host,
            secret_env: api.secret_env.clone(),
            min_gap: Duration::from_secs_f64(1.0 / api.requests_per_second),
            next_slot: None,
            retries: api.retries,
            retry_base: api.retry_base,
            requests: 0,
            rate_limited: 0,
        })
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Waits for the next request slot of the CRM's pace.
    async fn pace(&mut self) {
        if let Some(slot) = self.next_slot {
            tokio::time::sleep_until(slot).await;
        }
        self.next_slot = Some(Instant::now() + self.min_gap);
    }

    /// Sends a request (built anew for each try) and reads its answer with
    /// `judge`, retrying what is worth retrying.
    pub async fn send(
        &mut self,
        method: &str,
        build: &(dyn Fn(&reqwest::Client) -> reqwest::RequestBuilder + Sync),
        judge: fn(StatusCode, Option<Duration>, &str) -> Verdict,
    ) -> Result<Option<Value>, RemoteError> {
        let mut tries = 0u32;
        loop {
            tries += 1;
            self.pace().await;
            self.requests += 1;
            let Some((verdict, last)) = self.attempt(method, tries, build, judge).await? else {
                continue;
            };
            match verdict {
                Verdict::Data(v) => return Ok(v),
                Verdict::RateLimited(wait) => {
                    self.rate_limited += 1;
                    self.retry_or_fail(method, tries, format!("{last} (too many requests)"), wait)
                        .await?
                }
                Verdict::Transient => self.retry_or_fail(method, tries, last, None).await?,
                Verdict::Unauthorized(d) => return Err(self.unauthorized(method, d)),
                Verdict::Forbidden(d) => return Err(self.forbidden(method, d)),
                Verdict::UnknownMethod(d) => {
                    return Err(RemoteError::UnknownMethod {
                        crm: self.crm,
                        method: method.to_owned(),
                        host: self.host.clone(),
                        detail: detail(d),
                    });
                }
                Verdict::Other(d) => {
                    let status = last
                        .strip_prefix("HTTP ")
                        .and_then(|s| s.parse().ok())
                        .unwrap_or(0);
                    return Err(RemoteError::Refused {
                        crm: self.crm,
                        method: method.to_owned(),
                        status,
                        detail: detail(d),
                    });
                }
            }
        }
    }

    /// One try of a request: its answer judged and what to call it (`HTTP
    /// 503`, `no answer in time`), or `None` when its body broke and the
    /// wait before the next try is over.
    async fn attempt(
        &mut self,
        method: &str,
        tries: u32,
        build: &(dyn Fn(&reqwest::Client) -> reqwest::RequestBuilder + Sync),
        judge: fn(StatusCode, Option<Duration>, &str) -> Verdict,
    ) -> Result<Option<(Verdict, String)>, RemoteError> {
        match build(&self.http).send().await {
            Ok(response) => {
                let status = response.status();
                let retry_after = response
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(Duration::from_secs);
                let body = match response.text().await {
                    Ok(body) => body,
                    Err(e) => {
                        self.retry_or_fail(method, tries, format!("a broken body ({e})"), None)
                            .await?;
                        return Ok(None);
                    }
                };
                Ok(Some((
                    judge(status, retry_after, &body),
                    format!("HTTP {}", status.as_u16()),
                )))
            }
            // A host that cannot be reached is not worth many tries.
            Err(e) if e.is_connect() && tries > 2.min(self.retries) => {
                Err(RemoteError::Unreachable {
                    crm: self.crm,
                    host: self.host.clone(),
                    reason: connect_reason(&e),
                })
            }
            Err(e) => {
                let last = if e.is_timeout() {
                    "no answer in time".to_owned()
                } else {
                    connect_reason(&e)
                };
                Ok(Some((Verdict::Transient, last)))
            }
        }
    }

    /// The CRM did not accept the secret.
    fn unauthorized(&self, method: &str, d: String) -> RemoteError {
        RemoteError::Unauthorized {
            crm: self.crm,
            method: method.to_owned(),
            what: if self.crm == "Bitrix24" {
                "webhook URL (its /rest/USER_ID/SECRET/ part)"
            } else {
                "long-lived token"
            },
            env: self.secret_env.clone(),
            detail: detail(d),
        }
    }

    /// The CRM knows the secret but does not let it do this.
    fn forbidden(&self, method: &str, d: String) -> RemoteError {
        let (who, fix) = if self.crm == "Bitrix24" {
            (
                "webhook",
                "edit the inbound webhook in Bitrix24 and tick the scopes crm, telephony and user (and check the webhook's user may see CRM data)",
            )
        } else {
            (
                "integration or account",
                "check that the token's integration has access to leads, events and notes, that the account is paid, and that it is not blocked by IP",
            )
        };
        RemoteError::Forbidden {
            crm: self.crm,
            method: method.to_owned(),
            who,
            fix,
            detail: detail(d),
        }
    }

    /// A rate limit answered inside a request that itself succeeded (one
    /// command of a Bitrix24 `batch`): waits like any rate limit before the
    /// `tries`-th try again, or says the tries are spent.
    pub async fn wait_out_limit(
        &mut self,
        method: &str,
        tries: u32,
        last: String,
    ) -> Result<(), RemoteError> {
        self.rate_limited += 1;
        self.retry_or_fail(method, tries, last, None).await
    }

    /// Sleeps before another try, or gives up when the tries are spent.
    async fn retry_or_fail(
        &mut self,
        method: &str,
        tries: u32,
        last: String,
        wait: Option<Duration>,
    ) -> Result<(), RemoteError> {
        if tries > self.retries {
            return Err(RemoteError::GaveUp {
                crm: self.crm,
                method: method.to_owned(),
                tries,
                last,
            });
        }
        let backoff = self.retry_base * 2u32.saturating_pow(tries.saturating_sub(1).min(10));
        let wait = wait.unwrap_or(backoff).min(Duration::from_secs(120));
        tracing::info!(crm = self.crm, method, %last, ?wait, "waiting before another try");
        tokio::time::sleep(wait).await;
        Ok(())
    }

    pub fn bad_answer(&self, method: &str, reason: impl Into<String>) -> RemoteError {
        RemoteError::BadAnswer {
            crm: self.crm,
            method: method.to_owned(),
            reason: reason.into(),
        }
    }
}

/// A connection failure in words, without the URL (it may hold a secret).
fn connect_reason(e: &reqwest::Error) -> String {
    use std::error::Error;
    let mut reason = String::new();
    let mut source = e.source();
    while let Some(s) = source {
        reason = s.to_string();
        source = s.source();
    }
    if reason.is_empty() {
        if e.is_timeout() {
            "timed out".to_owned()
        } else {
            "connection failed".to_owned()
        }
    } else {
        reason
    }
}

/// Parses an answer body as JSON, or says why it is not.
pub fn json_body(body: &str) -> Result<Value, String> {
    serde_json::from_str(body).map_err(|e| {
        let start: String = body.chars().take(120).collect();
        format!("not JSON ({e}): {start:?}")
    })
}
