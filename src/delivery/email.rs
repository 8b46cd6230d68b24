//! The email channel: SMTP with STARTTLS, implicit TLS or none (a local
//! relay), AUTH, timeouts, and retries of temporary failures. Each recipient
//! gets their own envelope, so an unknown mailbox fails for that recipient
//! only.

use std::time::Duration;

use lettre::address::Envelope;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::{EmailConfig, SmtpSecurity};

/// The longest wait between two tries.
const MAX_BACKOFF: Duration = Duration::from_secs(300);

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("email.ca_file: cannot read {path}: {source}")]
    CaFile {
        path: String,
        source: std::io::Error,
    },
    #[error("email.ca_file: {path} holds no usable PEM certificate ({reason})")]
    CaPem { path: String, reason: String },
    #[error("email: TLS for {host} cannot be set up: {reason}")]
    Tls { host: String, reason: String },
    #[error("{what} {value:?} is not an email address")]
    Address { what: &'static str, value: String },
}

/// Why a recipient did not get the message.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error(
        "the SMTP server {server} refused the login of {username:?} ({reason}): check email.username and the password in the env var {password_env}"
    )]
    Login {
        server: String,
        username: String,
        password_env: String,
        reason: String,
    },
    #[error(
        "TLS with {server} failed ({reason}): check email.security (\"starttls\" for port 587, \"tls\" for 465) and, for a certificate of your own CA, email.ca_file"
    )]
    Tls { server: String, reason: String },
    #[error("{server} refused the message for {to} ({reason}); not retried")]
    Refused {
        server: String,
        to: String,
        reason: String,
    },
    #[error(
        "could not deliver to {to} through {server} after {attempts} tries ({reason}): check email.smtp_host, email.smtp_port and that the server is up"
    )]
    GaveUp {
        server: String,
        to: String,
        attempts: u32,
        reason: String,
    },
    #[error("the email for {to} could not be sent: {reason}")]
    Other { to: String, reason: String },
}

/// What happened to one recipient.
#[derive(Debug)]
pub struct Delivery {
    pub to: String,
    pub attempts: u32,
    /// The server's answer to the message, or why it was not taken.
    pub result: Result<String, SendError>,
}

/// How a failed try is handled.
enum Failure {
    /// Worth another try: 4xx, refused or dropped connections, timeouts.
    Temporary(String),
    Final(SendError),
}

/// An SMTP sender built from `[email]`.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    config: EmailConfig,
}

fn tls_parameters(config: &EmailConfig) -> Result<TlsParameters, SetupError> {
    let mut builder = TlsParameters::builder(config.smtp_host.clone());
    if let Some(path) = &config.ca_file {
        let shown = path.display().to_string();
        let pem = std::fs::read(path).map_err(|source| SetupError::CaFile {
            path: shown.clone(),
            source,
        })?;
        let certificate = Certificate::from_pem(&pem).map_err(|e| SetupError::CaPem {
            path: shown,
            reason: e.to_string(),
        })?;
        builder = builder.add_root_certificate(certificate);
    }
    builder.build_rustls().map_err(|e| SetupError::Tls {
        host: config.smtp_host.clone(),
        reason: e.to_string(),
    })
}

impl Mailer {
    pub fn new(config: &EmailConfig) -> Result<Self, SetupError> {
        let tls = match config.security {
            SmtpSecurity::StartTls => Tls::Required(tls_parameters(config)?),
            SmtpSecurity::Tls => Tls::Wrapper(tls_parameters(config)?),
            SmtpSecurity::None => Tls::None,
        };
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(config.smtp_host.clone())
                .port(config.smtp_port)
                .tls(tls)
                .timeout(Some(config.timeout));
        if let (Some(username), Some(password)) = (&config.username, &config.password) {
            if config.security == SmtpSecurity::None {
                tracing::warn!(
                    host = %config.smtp_host,
                    "email.security is \"none\": the SMTP login travels unencrypted"
                );
            }
            builder = builder.credentials(Credentials::new(
                username.clone(),
                password.expose().to_owned(),
            ));
        }
        Ok(Mailer {
            transport: builder.build(),
            config: config.clone(),
        })
    }

    fn server(&self) -> String {
        format!("{}:{}", self.config.smtp_host, self.config.smtp_port)
    }

    /// Sends `message` to each recipient in an envelope of their own, with
    /// retries; one recipient's failure does not stop the others.
    pub async fn send(&self, message: &Message, recipients: &[String]) -> Vec<Delivery> {
        let raw = message.formatted();
        let from = message.envelope().from().cloned();
        let mut out = Vec::with_capacity(recipients.len());
        for to in recipients {
            out.push(self.send_one(&raw, from.clone(), to).await);
        }
        out
    }

    /// Sends an already formatted message (`from` is the envelope sender)
    /// to one recipient, with retries.
    pub async fn send_formatted(&self, raw: &[u8], from: Option<&str>, to: &str) -> Delivery {
        let from = from.and_then(|f| f.parse::<lettre::Address>().ok());
        self.send_one(raw, from, to).await
    }

    async fn send_one(&self, raw: &[u8], from: Option<lettre::Address>, to: &str) -> Delivery {
        let fail = |attempts, error| Delivery {
            to: to.to_owned(),
            attempts,
            result: Err(error),
        };
        let envelope = match to
            .parse::<Mailbox>()
            .map_err(|e| e.to_string())
            .and_then(|m| Envelope::new(from, vec![m.email]).map_err(|e| e.to_string()))
        {
            Ok(envelope) => envelope,
            Err(reason) => {
                return fail(
                    0,
                    SendError::Other {
                        to: to.to_owned(),
                        reason,
                    },
                );
            }
        };
        let mut wait = self.config.backoff;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let reason = match self.transport.send_raw(&envelope, raw).await {
                Ok(response) => {
                    let answer = response.message().collect::<Vec<_>>().join(" ");
                    tracing::info!(to, attempt, code = %response.code(), "email sent");
                    return Delivery {
                        to: to.to_owned(),
                        attempts: attempt,
                        result: Ok(format!("{} {answer}", response.code())),
                    };
                }
                Err(e) => match self.classify(&e, to) {
                    Failure::Final(error) => return fail(attempt, error),
                    Failure::Temporary(reason) => reason,
                },
            };
            if attempt >= self.config.attempts {
                return fail(
                    attempt,
                    SendError::GaveUp {
                        server: self.server(),
                        to: to.to_owned(),
                        attempts: attempt,
                        reason,
                    },
                );
            }
            tracing::warn!(to, attempt, wait_ms = wait.as_millis() as u64, %reason, "email not taken, will retry");
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(MAX_BACKOFF);
        }
    }

    fn classify(&self, e: &lettre::transport::smtp::Error, to: &str) -> Failure {
        let reason = error_chain(e);
        let code = e.status().map(|c| c.to_string()).unwrap_or_default();
        if e.is_permanent() {
            // 530/534/535/538: authentication required, too weak or refused.
            if let (Some(username), true) = (&self.config.username, code.starts_with("53")) {
                return Failure::Final(SendError::Login {
                    server: self.server(),
                    username: username.clone(),
                    password_env: self.config.password_env.clone().unwrap_or_default(),
                    reason,
                });
            }
            return Failure::Final(SendError::Refused {
                server: self.server(),
                to: to.to_owned(),
                reason,
            });
        }
        if e.is_tls() || is_certificate_problem(e) {
            return Failure::Final(SendError::Tls {
                server: self.server(),
                reason,
            });
        }
        if e.is_client() {
            // lettre's own refusals: no STARTTLS offered, no AUTH mechanism in
            // common; another try would meet the same.
            return Failure::Final(SendError::Other {
                to: to.to_owned(),
                reason: format!("{reason} (check email.security and the server's settings)"),
            });
        }
        if e.is_timeout() {
            return Failure::Temporary(format!(
                "no answer within {} s: {reason}",
                self.config.timeout.as_secs()
            ));
        }
        Failure::Temporary(reason)
    }
}

/// A TLS failure under a connection error (an untrusted or mismatched
/// certificate, a failed handshake): another try would meet the same.
fn is_certificate_problem(e: &dyn std::error::Error) -> bool {
    let mut source = e.source();
    while let Some(s) = source {
        if s.downcast_ref::<rustls::Error>().is_some() {
            return true;
        }
        if let Some(io) = s.downcast_ref::<std::io::Error>()
            && io
                .get_ref()
                .is_some_and(|inner| inner.is::<rustls::Error>())
        {
            return true;
        }
        source = s.source();
    }
    false
}

/// An error with its causes, as one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}
