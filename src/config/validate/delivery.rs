//! The delivery sections: `[telegram]` (the bot and how updates reach it)
//! `[email]` (the SMTP server and the envelope) and `[serve]` (the
//! long-running process that sends them).

use std::time::Duration;

use lettre::message::Mailbox;

use super::super::raw::{RawEmail, RawServe, RawTelegram};
use super::super::{
    EmailConfig, ServeConfig, SmtpSecurity, TelegramConfig, TelegramFormat, WebhookConfig,
};
use super::{Issues, env_secret};

/// A number within `range`, or the default; out of range is named.
fn bounded(
    issues: &mut Issues,
    key: &str,
    value: Option<i64>,
    range: std::ops::RangeInclusive<i64>,
    default: i64,
) -> i64 {
    match value {
        None => default,
        Some(v) if range.contains(&v) => v,
        Some(v) => {
            issues.add(
                key,
                format!(
                    "{v} is out of range (expected {} to {})",
                    range.start(),
                    range.end()
                ),
            );
            default
        }
    }
}

pub(super) fn address(issues: &mut Issues, key: &str, value: &str) {
    if value.parse::<Mailbox>().is_err() {
        issues.add(
            key,
            format!(
                "{value:?} is not an email address (expected \"Name <user@example.com>\" or \"user@example.com\")"
            ),
        );
    }
}

pub(super) fn email(
    issues: &mut Issues,
    e: RawEmail,
    env: &dyn Fn(&str) -> Option<String>,
) -> EmailConfig {
    let security = match e.security.as_deref() {
        None | Some("starttls") => SmtpSecurity::StartTls,
        Some("tls") => SmtpSecurity::Tls,
        Some("none") => SmtpSecurity::None,
        Some(other) => {
            issues.add(
                "email.security",
                format!(
                    "\"{other}\" is not a connection kind (expected \"starttls\" (port 587), \"tls\" (port 465) or \"none\" (a local relay, port 25))"
                ),
            );
            SmtpSecurity::StartTls
        }
    };
    let port = bounded(
        issues,
        "email.smtp_port",
        e.smtp_port,
        1..=65535,
        security.default_port().into(),
    );
    let from = issues.required("email.from", e.from);
    if !from.is_empty() {
        address(issues, "email.from", &from);
    }
    if let Some(reply_to) = &e.reply_to {
        address(issues, "email.reply_to", reply_to);
    }
    for (i, to) in e.to.iter().enumerate() {
        address(issues, &format!("email.to[{i}]"), to);
    }
    if e.username.is_some() != e.password_env.is_some() {
        issues.add(
            if e.username.is_some() {
                "email.password_env"
            } else {
                "email.username"
            },
            "is missing: AUTH needs both username and password_env (or neither, for a relay without login)",
        );
    }
    if let Some(path) = &e.ca_file
        && !path.is_file()
    {
        issues.add(
            "email.ca_file",
            format!(
                "{} is not a file (expected a PEM file of certificates to trust)",
                path.display()
            ),
        );
    }
    let password = env_secret(issues, "email.password_env", e.password_env.clone(), env);
    EmailConfig {
        smtp_host: issues.required("email.smtp_host", e.smtp_host),
        smtp_port: u16::try_from(port).unwrap_or(security.default_port()),
        security,
        username: e.username,
        password,
        password_env: e.password_env,
        from,
        reply_to: e.reply_to,
        to: e.to,
        ca_file: e.ca_file,
        timeout: Duration::from_secs(bounded(
            issues,
            "email.timeout_secs",
            e.timeout_secs,
            1..=600,
            30,
        ) as u64),
        attempts: bounded(issues, "email.attempts", e.attempts, 1..=10, 4) as u32,
        backoff: Duration::from_millis(bounded(
            issues,
            "email.backoff_ms",
            e.backoff_ms,
            0..=600_000,
            2_000,
        ) as u64),
    }
}

/// The `[telegram]` section.
pub(super) fn telegram(
    issues: &mut Issues,
    t: RawTelegram,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<TelegramConfig> {
    let token_env = t.token_env.or_else(|| {
        issues.add(
            "telegram.token_env",
            "is missing (expected the name of the env var holding the bot token)",
        );
        None
    });
    let token = env_secret(issues, "telegram.token_env", token_env, env);
    let webhook = webhook(
        issues,
        t.webhook_url,
        t.webhook_listen,
        t.webhook_secret_env,
        env,
    );
    let format = match t.format.as_deref().map(str::trim) {
        None | Some("rich") => TelegramFormat::Rich,
        Some("html") => TelegramFormat::Html,
        Some(other) => {
            issues.add(
                "telegram.format",
                format!("\"{other}\" is not a format (expected \"rich\" or \"html\")"),
            );
            TelegramFormat::Rich
        }
    };
    Some(TelegramConfig {
        token: token?,
        admin_chat_id: t.admin_chat_id,
        webhook: webhook?,
        format,
    })
}

/// `Some(None)`: polling; `Some(Some(_))`: a valid webhook; `None`: a
/// problem was reported.
fn webhook(
    issues: &mut Issues,
    url: Option<String>,
    listen: Option<String>,
    secret_env: Option<String>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<Option<WebhookConfig>> {
    let Some(url) = url else {
        for (key, set) in [
            ("telegram.webhook_listen", listen.is_some()),
            ("telegram.webhook_secret_env", secret_env.is_some()),
        ] {
            if set {
                issues.add(
                    key,
                    "is set without telegram.webhook_url (set both, or neither for long polling)",
                );
            }
        }
        return Some(None);
    };
    let parsed = match url::Url::parse(&url) {
        Ok(u)
            if u.scheme() == "https"
                || u.host_str() == Some("127.0.0.1")
                || u.host_str() == Some("localhost") =>
        {
            Some(u)
        }
        Ok(_) => {
            issues.add(
                "telegram.webhook_url",
                format!("{url:?} is not https:// (Telegram posts updates only over HTTPS)"),
            );
            None
        }
        Err(e) => {
            issues.add(
                "telegram.webhook_url",
                format!("{url:?} is not a URL ({e}); expected https://HOST/PATH"),
            );
            None
        }
    };
    let listen_text = listen.unwrap_or_else(|| "0.0.0.0:8443".to_owned());
    let listen = match listen_text.parse::<std::net::SocketAddr>() {
        Ok(a) => Some(a),
        Err(_) => {
            issues.add(
                "telegram.webhook_listen",
                format!("{listen_text:?} is not an address to listen on (expected IP:PORT, e.g. 0.0.0.0:8443)"),
            );
            None
        }
    };
    let secret = match secret_env {
        None => {
            issues.add(
                "telegram.webhook_secret_env",
                "is missing: webhook mode needs a secret token, so that only Telegram can post updates (the name of an env var holding 1-256 characters of A-Z, a-z, 0-9, _ and -)",
            );
            None
        }
        Some(var) => env_secret(issues, "telegram.webhook_secret_env", Some(var.clone()), env).and_then(|s| {
            let ok = (1..=256).contains(&s.expose().len())
                && s.expose().bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            if !ok {
                issues.add(
                    "telegram.webhook_secret_env",
                    format!("the secret in {var} must be 1-256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule)"),
                );
                return None;
            }
            Some(s)
        }),
    };
    Some(Some(WebhookConfig {
        url: parsed?,
        listen: listen?,
        secret: secret?,
    }))
}

/// The `[serve]` section.
pub(super) fn serve(issues: &mut Issues, raw: RawServe) -> ServeConfig {
    let d = ServeConfig::default();
    let secs =
        |issues: &mut Issues, key: &str, v: Option<i64>, range, default: chrono::Duration| {
            chrono::Duration::seconds(bounded(issues, key, v, range, default.num_seconds()))
        };
    let listen = match raw.listen.as_deref() {
        None => d.listen,
        Some("") => None,
        Some(text) => match text.parse::<std::net::SocketAddr>() {
            Ok(a) => Some(a),
            Err(_) => {
                issues.add(
                    "serve.listen",
                    format!("{text:?} is not an address to listen on (expected IP:PORT, e.g. 127.0.0.1:9464, or \"\" for none)"),
                );
                None
            }
        },
    };
    let retry_base = secs(
        issues,
        "serve.retry_base_secs",
        raw.retry_base_secs,
        1..=86_400,
        d.retry_base,
    );
    let retry_cap = secs(
        issues,
        "serve.retry_cap_secs",
        raw.retry_cap_secs,
        1..=7 * 86_400,
        d.retry_cap,
    );
    if retry_cap < retry_base {
        issues.add(
            "serve.retry_cap_secs",
            "is below serve.retry_base_secs (expected the longest wait between tries)",
        );
    }
    ServeConfig {
        listen,
        out_dir: raw.out_dir.unwrap_or(d.out_dir),
        journal: raw.journal,
        tick: secs(issues, "serve.tick_secs", raw.tick_secs, 1..=3600, d.tick),
        workers: bounded(
            issues,
            "serve.workers",
            raw.workers,
            1..=64,
            d.workers as i64,
        ) as usize,
        lease: secs(
            issues,
            "serve.lease_secs",
            raw.lease_secs,
            1..=86_400,
            d.lease,
        ),
        send_timeout: secs(
            issues,
            "serve.send_timeout_secs",
            raw.send_timeout_secs,
            1..=3600,
            d.send_timeout,
        ),
        max_attempts: bounded(
            issues,
            "serve.max_attempts",
            raw.max_attempts,
            1..=100,
            d.max_attempts,
        ),
        retry_base,
        retry_cap,
    }
}
