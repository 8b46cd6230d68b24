//! `salespulse serve`: the scheduler driven tick by tick through a week, a
//! DST change and a restart (`ticks`), and the real binary as processes
//! (`processes`): two instances on one Postgres, and one killed with
//! SIGKILL mid-delivery. Shared here: the demo department the reports are
//! of, its config with schedules, and a guard that ends a serve process.

mod alerts;
mod cards;
mod endpoint;
mod processes;
mod retry;
mod rich;
mod ticks;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::cli::{salespulse, text};

/// The team's group chat, and its head's own chat when the head has one.
pub const TEAM_CHAT: i64 = -100777;
pub const HEAD_CHAT: i64 = 5001;
pub const TOKEN_ENV: &str = "TEST_BOT_TOKEN";

/// Generates the demo department (Europe/Moscow, Monday to Friday, data to
/// Friday 2026-11-20) into `dir`, with its SQLite database.
pub async fn demo(dir: &Path) {
    let path = dir.to_owned();
    let out = tokio::task::spawn_blocking(move || {
        salespulse(&path)
            .args([
                "demo",
                "--managers",
                "3",
                "--days",
                "10",
                "--end",
                "2026-11-20",
            ])
            .output()
            .expect("the binary runs")
    })
    .await
    .unwrap();
    assert!(out.status.success(), "{}", text(&out));
}

/// Reads the demo's source files into the database at `url` through
/// `salespulse ingest`.
pub async fn ingest(dir: &Path, url: &str) {
    for (source, path) in [
        ("pbx", "salespulse-demo-data/Master.csv"),
        ("crm", "salespulse-demo-data/crm"),
    ] {
        let (dir, url) = (dir.to_owned(), url.to_owned());
        let out = tokio::task::spawn_blocking(move || {
            salespulse(&dir)
                .env(salespulse::config::DATABASE_URL_ENV, url)
                .args([
                    "--config",
                    "salespulse-demo.toml",
                    "ingest",
                    "--source",
                    source,
                    path,
                ])
                .output()
                .expect("the binary runs")
        })
        .await
        .unwrap();
        assert!(out.status.success(), "{}", text(&out));
    }
}

/// The demo's config without its schedules: the team gets a group chat
/// (and the head a Telegram id, when `head_chat`), then `rest` follows
/// (schedules, `[telegram]`, `[serve]`).
pub fn config_text(dir: &Path, head_chat: bool, rest: &str) -> String {
    let toml = std::fs::read_to_string(dir.join("salespulse-demo.toml")).unwrap();
    let cut = toml
        .find("[[schedules]]")
        .expect("the demo's config has schedules");
    let team = "locale = \"ru\"\n";
    assert!(toml[..cut].contains(team), "{toml}");
    let mut out = toml[..cut].replacen(team, &format!("{team}telegram_chat_id = {TEAM_CHAT}\n"), 1);
    if head_chat {
        let head = "role = \"head\"\n";
        assert!(out.contains(head), "{out}");
        out = out.replacen(head, &format!("{head}telegram_id = {HEAD_CHAT}\n"), 1);
    }
    out + "\n" + rest
}

/// A running `salespulse serve`, killed (SIGKILL) when dropped if it still
/// runs; its output goes to a log file, shown when a test fails.
pub struct Serve {
    pub name: String,
    child: Child,
    log: PathBuf,
}

impl Serve {
    /// Starts `salespulse --config <config> serve <args>` in `dir`.
    pub fn start(
        dir: &Path,
        name: &str,
        config: &str,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Self {
        let log = dir.join(format!("serve-{name}.log"));
        let file = std::fs::File::create(&log).unwrap();
        let mut cmd: Command = salespulse(dir);
        cmd.args(["--config", config, "serve", "--instance", name])
            .args(args)
            .env("RUST_LOG", "info")
            .stdout(Stdio::from(file.try_clone().unwrap()))
            .stderr(Stdio::from(file));
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("serve starts");
        Serve {
            name: name.to_owned(),
            child,
            log,
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Asks it to stop, as systemd does.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "SIGTERM to serve {}", self.name);
    }

    /// SIGKILL, and waits for it to be gone.
    pub fn kill(&mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
    }

    /// Whether it is still running (panics with its log when it ended).
    pub fn assert_running(&mut self) {
        if let Some(status) = self.child.try_wait().unwrap() {
            panic!(
                "serve {} ended early ({status}):\n{}",
                self.name,
                self.log()
            );
        }
    }

    /// Waits for it to exit, up to `limit`.
    pub async fn exited(&mut self, limit: Duration) -> ExitStatus {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                started.elapsed() < limit,
                "serve {} did not stop within {limit:?} of SIGTERM:\n{}",
                self.name,
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Polls `done` until it holds; past `limit`, fails saying `what` and
/// showing the processes' logs.
pub async fn wait_until(
    what: &str,
    limit: Duration,
    serves: &mut [&mut Serve],
    mut done: impl FnMut() -> bool,
) {
    let started = Instant::now();
    while !done() {
        for s in serves.iter_mut() {
            s.assert_running();
        }
        if started.elapsed() > limit {
            let logs: Vec<String> = serves
                .iter()
                .map(|s| format!("--- serve {} ---\n{}", s.name, s.log()))
                .collect();
            panic!("{what}: not within {limit:?}\n{}", logs.join("\n"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A line of the delivery journal.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Sent {
    pub schedule: String,
    pub slot: String,
    pub recipient: String,
    pub instance: String,
}

/// The journal's lines so far (none when it is not there yet).
pub fn journal(path: &Path) -> Vec<Sent> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value =
                serde_json::from_str(l).unwrap_or_else(|e| panic!("journal line {l:?}: {e}"));
            let field = |k: &str| {
                v[k].as_str()
                    .unwrap_or_else(|| panic!("journal line without {k}: {l}"))
                    .to_owned()
            };
            Sent {
                schedule: field("schedule"),
                slot: field("slot"),
                recipient: field("recipient"),
                instance: field("instance"),
            }
        })
        .collect()
}
