//! `salespulse serve`: the scheduler, the delivery workers, the Telegram bot
//! and the `/healthz` + `/metrics` endpoint, under one graceful shutdown
//! (SIGTERM or Ctrl-C: what is in hand finishes, nothing new starts).
//!
//! Several instances may run against one Postgres: a firing is recorded
//! once under its (schedule, slot) key with its outbox rows, rows are
//! claimed with `FOR UPDATE SKIP LOCKED`, and one instance at a time
//! long-polls Telegram, holding a session lock that the server frees when
//! the instance dies.

pub mod alerts;
mod cards;
pub mod firing;
pub mod http;
pub mod worker;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use teloxide::requests::RequesterExt;
use tokio::sync::watch;

use crate::clock::Clock;
use crate::config::Config;
use crate::storage::Store;

/// The session lock of the one instance that long-polls Telegram.
const TELEGRAM_POLLER_LOCK: i64 = 0x5a1e_5b01;

/// How `serve` runs, besides the config.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub clock: Clock,
    /// This process's name in claims, logs and the journal.
    pub instance: String,
}

impl ServeOptions {
    /// A name unique to this process: host and pid.
    pub fn instance_name() -> String {
        let host = std::fs::read_to_string("/etc/hostname")
            .map(|h| h.trim().to_owned())
            .unwrap_or_else(|_| "host".to_owned());
        format!("{host}-{}", std::process::id())
    }
}

/// Runs until `stop` turns true, then lets what is in hand finish.
pub async fn run(
    config: Config,
    store: Arc<Store>,
    options: ServeOptions,
    stop: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let config = Arc::new(config);
    // The message files are read before anything starts: a broken one
    // names its file and line here.
    crate::words::Catalog::new(config.templates_dir.as_deref())?;
    let status = Arc::new(http::Status {
        store: store.clone(),
        instance: options.instance.clone(),
        clock: options.clock,
        bot_leader: AtomicBool::new(false),
        ticks: AtomicU64::new(0),
        tick_failures: AtomicU64::new(0),
        last_tick: AtomicU64::new(0),
    });
    let mut tasks = Vec::new();

    if let Some(address) = config.serve.listen {
        let tcp = tokio::net::TcpListener::bind(address)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {address} ({e}): check serve.listen"))?;
        tracing::info!(%address, "serving /healthz and /metrics");
        let app = http::router(status.clone());
        let mut stop = stop.clone();
        tasks.push(tokio::spawn(async move {
            let shutdown = async move {
                let _ = stop.wait_for(|s| *s).await;
            };
            if let Err(e) = axum::serve(tcp, app).with_graceful_shutdown(shutdown).await {
                tracing::error!(error = %e, "the HTTP endpoint stopped");
            }
        }));
    }

    let telegram = match &config.telegram {
        Some(_) => Some(crate::delivery::telegram::bot(&config)?),
        None => None,
    };
    let channels = Arc::new(worker::Channels {
        telegram: telegram
            .clone()
            .map(|b| b.throttle(crate::delivery::telegram::limits())),
        mailer: match &config.email {
            Some(e) => Some(crate::delivery::email::Mailer::new(e)?),
            None => None,
        },
        admin_chat: crate::delivery::telegram::AdminChat::of(&config)?,
        journal: config.serve.journal.clone(),
    });

    tasks.push(tokio::spawn(scheduler_loop(
        config.clone(),
        store.clone(),
        status.clone(),
        stop.clone(),
    )));
    let policy = worker::RetryPolicy {
        max_attempts: config.serve.max_attempts,
        base: config.serve.retry_base,
        cap: config.serve.retry_cap,
        lease: config.serve.lease,
        send_timeout: config.serve.send_timeout.to_std().unwrap_or_default(),
    };
    for n in 0..config.serve.workers {
        tasks.push(tokio::spawn(worker_loop(
            store.clone(),
            channels.clone(),
            format!("{}#{n}", options.instance),
            options.clock,
            policy,
            stop.clone(),
        )));
    }
    if let Some(bot) = telegram {
        tasks.push(tokio::spawn(bot_loop(
            config.clone(),
            store.clone(),
            bot,
            status.clone(),
            stop.clone(),
        )));
    }
    tracing::info!(
        instance = %options.instance,
        schedules = config.schedules.len(),
        workers = config.serve.workers,
        now = %options.clock.now(),
        "serve started"
    );
    for t in tasks {
        let _ = t.await;
    }
    tracing::info!("serve stopped");
    Ok(())
}

/// Sleeps `d` of real time, or less when asked to stop.
async fn pause(stop: &mut watch::Receiver<bool>, d: std::time::Duration) {
    let _ = tokio::time::timeout(d, stop.wait_for(|s| *s)).await;
}

async fn scheduler_loop(
    config: Arc<Config>,
    store: Arc<Store>,
    status: Arc<http::Status>,
    mut stop: watch::Receiver<bool>,
) {
    let out_dir = config.serve.out_dir.clone();
    let mut guarded_on = None;
    // The admin's edited words were read at startup, so they parse.
    let overridden = crate::words::Catalog::new(config.templates_dir.as_deref()).ok();
    let catalog = overridden
        .as_ref()
        .unwrap_or_else(|| crate::words::Catalog::built_in());
    while !*stop.borrow() {
        let now = status.clock.now();
        // A KPI scheme is recorded when its month arrives (`check-config`
        // and every command do it at start; a service runs across months).
        if guarded_on != Some(now.date_naive()) {
            if let Err(e) = crate::app::kpi::guard(store.as_ref(), &config, now).await {
                tracing::error!(error = %format!("{e:#}"), "KPI schemes");
            }
            guarded_on = Some(now.date_naive());
        }
        match firing::tick(&store, &config, &out_dir, now).await {
            Ok(report) => {
                status.ticks.fetch_add(1, Ordering::Relaxed);
                status
                    .last_tick
                    .store(now.timestamp().max(0) as u64, Ordering::Relaxed);
                for f in &report.failed {
                    tracing::error!(firing = %f, "firing failed");
                }
            }
            Err(e) => {
                status.tick_failures.fetch_add(1, Ordering::Relaxed);
                tracing::error!(error = %format!("{e:#}"), "scheduler tick failed");
            }
        }
        // After the schedules (and the pulls among them): what the alert
        // rules owe on the records as they are now.
        if !config.alerts.is_empty() {
            match alerts::tick(store.as_ref(), &config, catalog, now).await {
                Ok(keys) => {
                    for key in keys {
                        tracing::info!(alert = %key, "alert recorded");
                    }
                }
                Err(e) => tracing::error!(error = %format!("{e:#}"), "alert tick failed"),
            }
        }
        pause(&mut stop, status.clock.real_time(config.serve.tick)).await;
    }
}

async fn worker_loop(
    store: Arc<Store>,
    channels: Arc<worker::Channels>,
    name: String,
    clock: Clock,
    policy: worker::RetryPolicy,
    mut stop: watch::Receiver<bool>,
) {
    // An idle worker looks again after a second of real time (at most).
    let idle = clock.real_time(chrono::Duration::seconds(2)).clamp(
        std::time::Duration::from_millis(50),
        std::time::Duration::from_secs(1),
    );
    while !*stop.borrow() {
        match worker::work_once(&store, &channels, &name, &clock, &policy).await {
            Ok(0) => pause(&mut stop, idle).await,
            Ok(_) => {}
            Err(e) => {
                tracing::error!(worker = %name, error = %format!("{e:#}"), "delivery worker failed");
                pause(&mut stop, std::time::Duration::from_secs(2)).await;
            }
        }
    }
}

/// Runs the Telegram bot: in webhook mode on every instance; in polling
/// mode on the one instance holding the poller lock, the others standing
/// by to take over when it dies.
async fn bot_loop(
    config: Arc<Config>,
    store: Arc<Store>,
    bot: teloxide::Bot,
    status: Arc<http::Status>,
    mut stop: watch::Receiver<bool>,
) {
    let listen = crate::bot::telegram::Listen::from_config(&config);
    let state =
        match crate::bot::telegram::State::new(store.clone(), (*config).clone(), status.clock) {
            Ok(state) => Arc::new(state),
            Err(e) => {
                tracing::error!(error = %e, "the bot cannot start");
                return;
            }
        };
    let standby = std::time::Duration::from_secs(3);
    while !*stop.borrow() {
        let lock = match listen {
            crate::bot::telegram::Listen::Webhook { .. } => None,
            crate::bot::telegram::Listen::Polling => {
                match store.try_session_lock(TELEGRAM_POLLER_LOCK).await {
                    Ok(Some(lock)) => Some(lock),
                    Ok(None) => {
                        pause(&mut stop, standby).await;
                        continue;
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "cannot ask for the poller lock");
                        pause(&mut stop, standby).await;
                        continue;
                    }
                }
            }
        };
        status.bot_leader.store(true, Ordering::Relaxed);
        tracing::info!("this instance answers Telegram");
        let (bot_stop, bot_stopped) = watch::channel(false);
        let mut running = tokio::spawn(crate::bot::telegram::run_with(
            bot.clone(),
            state.clone(),
            listen.clone(),
            bot_stopped,
        ));
        let mut lock = lock;
        let finished = loop {
            tokio::select! {
                done = &mut running => break Some(done),
                _ = async { let _ = stop.wait_for(|s| *s).await; } => break None,
                _ = tokio::time::sleep(standby) => {
                    if let Some(l) = lock.as_mut() && !l.alive().await {
                        tracing::warn!("lost the poller lock's session: standing by");
                        break None;
                    }
                }
            }
        };
        let _ = bot_stop.send(true);
        let result = match finished {
            Some(done) => done,
            None => running.await,
        };
        match result {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %format!("{e:#}"), "the bot stopped"),
            Err(e) => tracing::error!(error = %e, "the bot task failed"),
        }
        status.bot_leader.store(false, Ordering::Relaxed);
        drop(lock);
        pause(&mut stop, standby).await;
    }
}
