//! The test department's config, and the accounting every target asserts.

use salespulse::config::Config;
use salespulse::sources::Chunk;

pub fn config() -> Config {
    Config::parse(
        include_str!("../../tests/fixtures/salespulse.toml"),
        std::path::Path::new("salespulse.toml"),
        &|_| None,
    )
    .expect("the test config is valid")
}

/// Physical lines of the input: what the parser must count as read.
pub fn lines(data: &[u8]) -> u64 {
    if data.is_empty() {
        return 0;
    }
    data.iter().filter(|b| **b == b'\n').count() as u64 + u64::from(data.last() != Some(&b'\n'))
}

#[derive(Default)]
pub struct Seen {
    pub rows_read: u64,
    pub rejects: Vec<i64>,
}

impl Seen {
    pub fn take(&mut self, chunk: Chunk) -> bool {
        self.rows_read += chunk.rows_read;
        self.rejects.extend(chunk.rejects.iter().map(|r| r.line));
        true
    }

    pub fn check(&self, data: &[u8]) {
        let n = lines(data);
        assert_eq!(self.rows_read, n, "every line counted as read");
        assert!(
            self.rejects.iter().all(|l| *l >= 1 && *l as u64 <= n),
            "rejects inside the file"
        );
    }
}
