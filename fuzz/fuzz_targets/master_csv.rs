#![no_main]
//! Any bytes as a Master.csv: no panic, every line counted.

use libfuzzer_sys::fuzz_target;
use salespulse::config::SourceKind;
use salespulse::sources::{Mapping, asterisk};

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let config = common::config();
    let source = config.source("pbx").expect("pbx").clone();
    let SourceKind::Asterisk(rules) = &source.kind else {
        return;
    };
    let mapping = Mapping::new(&config, &source);
    let mut seen = common::Seen::default();
    asterisk::read(data, "Master.csv", &mapping, rules, &mut |c| seen.take(c)).expect("in memory");
    seen.check(data);
});
