//! Stopping cleanly: the bot, `serve` and its workers finish what is in
//! hand when the process is asked to stop.

/// A signal that turns `true` when the process is asked to stop (Ctrl-C or
/// SIGTERM): what is in hand finishes, nothing new starts.
pub fn stop_signal() -> tokio::sync::watch::Receiver<bool> {
    let (tx, rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            match signal(SignalKind::terminate()) {
                Ok(mut term) => {
                    tokio::select! {
                        _ = ctrl_c => {}
                        _ = term.recv() => {}
                    }
                }
                Err(_) => {
                    let _ = ctrl_c.await;
                }
            }
        }
        #[cfg(not(unix))]
        let _ = ctrl_c.await;
        tracing::info!("asked to stop: finishing what is in hand");
        let _ = tx.send(true);
    });
    rx
}
