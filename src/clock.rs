//! The time `serve` goes by: the real clock, or one injected for demos and
//! tests that starts at a given instant and may run faster than real time.

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, Copy)]
pub struct Clock {
    origin: DateTime<Utc>,
    started: std::time::Instant,
    speed: f64,
}

impl Clock {
    pub fn real() -> Self {
        Self::starting_at(Utc::now(), 1.0)
    }

    /// A clock that reads `origin` now and runs `speed` times real time.
    pub fn starting_at(origin: DateTime<Utc>, speed: f64) -> Self {
        Self {
            origin,
            started: std::time::Instant::now(),
            speed: if speed.is_finite() && speed > 0.0 {
                speed
            } else {
                1.0
            },
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        let elapsed = self.started.elapsed().as_secs_f64() * self.speed;
        self.origin + chrono::Duration::milliseconds((elapsed * 1000.0) as i64)
    }

    /// The real time `d` of this clock's time takes.
    pub fn real_time(&self, d: chrono::Duration) -> std::time::Duration {
        let secs = d.num_milliseconds().max(0) as f64 / 1000.0 / self.speed;
        std::time::Duration::from_secs_f64(secs)
    }

    /// This clock's time that passes in the real time `d`.
    pub fn clock_time(&self, d: std::time::Duration) -> chrono::Duration {
        // At most a century: instants a lease away stay representable.
        const CENTURY_MS: f64 = 100.0 * 365.25 * 86_400_000.0;
        let millis = d.as_secs_f64() * 1000.0 * self.speed;
        chrono::Duration::milliseconds(millis.min(CENTURY_MS) as i64)
    }
}
