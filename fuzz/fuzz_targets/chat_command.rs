#![no_main]
//! Any text as a chat command: an answer or a refusal, never a panic.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 2).expect("a date");
    let _ = salespulse::bot::parse::parse(&text, today);
});
