//! Progress bars for a person at a terminal: one over a file's bytes, one
//! counting the records a pull has stored. Drawn on stderr, so output piped
//! elsewhere stays clean.

use indicatif::{ProgressBar, ProgressStyle};

/// A progress bar over the file's bytes, drawn only on a terminal.
pub fn progress_bar(len: u64, label: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(len), indicatif::ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(
        "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(label.to_owned());
    bar
}

/// A spinner counting the records stored so far, with their rate.
pub fn records_bar(label: &str) -> ProgressBar {
    let bar = progress_bar(0, label);
    if let Ok(style) = ProgressStyle::with_template("{msg} {pos} records, {per_sec} {spinner}") {
        bar.set_style(style);
    }
    bar
}
