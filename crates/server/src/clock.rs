//! [`Clock`]: wall-clock time that never goes backwards and strictly increases between
//! calls, so `LastModifiedDateTime` never decreases and every change gets a new one
//! (CT-VERSION, PH-VERSION).

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use std::sync::Mutex;

/// A monotonic, strictly increasing clock at microsecond resolution.
#[derive(Debug, Default)]
pub struct Clock {
    last: Mutex<Option<DateTime<Utc>>>,
}

impl Clock {
    /// A new clock.
    pub fn new() -> Clock {
        Clock::default()
    }

    /// A clock that starts where this one is: its results are later than every
    /// result this one has given so far.
    pub fn fork(&self) -> Clock {
        Clock {
            last: Mutex::new(*self.last.lock().unwrap_or_else(|e| e.into_inner())),
        }
    }

    /// The current time, truncated to microseconds, later than every earlier result.
    pub fn now(&self) -> DateTime<Utc> {
        let wall = Utc::now();
        let wall = wall - Duration::nanoseconds(i64::from(wall.timestamp_subsec_nanos() % 1000));
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        let next = match *last {
            Some(prev) if wall <= prev => prev + Duration::microseconds(1),
            _ => wall,
        };
        *last = Some(next);
        next
    }
}

/// Formats a DateTimeOffset the way the server writes them: UTC, `Z`, microseconds.
pub fn format_instant(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strictly_increasing() {
        let c = Clock::new();
        let mut prev = c.now();
        for _ in 0..1000 {
            let t = c.now();
            assert!(t > prev);
            prev = t;
        }
        assert!(format_instant(prev).ends_with('Z'));
    }
}
