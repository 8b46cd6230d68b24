#![no_main]
//! Any bytes as a CRM deals.jsonl and tasks.csv: no panic, every line counted.

use libfuzzer_sys::fuzz_target;
use salespulse::sources::Mapping;
use salespulse::sources::crm_files::{self, Entity, Format};

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let config = common::config();
    let source = config.source("crm").expect("crm").clone();
    let mapping = Mapping::new(&config, &source);
    for (file, entity, format) in [
        ("deals.jsonl", Entity::Deals, Format::JsonLines),
        ("tasks.csv", Entity::Tasks, Format::Csv),
    ] {
        let mut seen = common::Seen::default();
        crm_files::read(data, file, entity, format, &mapping, &mut |c| seen.take(c))
            .expect("in memory");
        seen.check(data);
    }
});
