//! Waiting for a cloud resource to reach a state: poll at an interval until the check
//! says done, fails, or the deadline passes; a progress line is logged every so often so
//! a long wait never looks hung.

use anyhow::{bail, Result};
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

/// How to wait.
#[derive(Debug, Clone, Copy)]
pub struct Waiter {
    pub timeout: Duration,
    pub interval: Duration,
    /// A `Still waiting for ...` line at most this often (never when zero).
    pub progress_every: Duration,
}

impl Default for Waiter {
    fn default() -> Self {
        Waiter {
            timeout: Duration::from_secs(600),
            interval: Duration::from_secs(2),
            progress_every: Duration::from_secs(30),
        }
    }
}

impl Waiter {
    pub fn new(timeout: Duration, interval: Duration) -> Waiter {
        Waiter {
            timeout,
            interval,
            ..Waiter::default()
        }
    }

    /// Call `check` until it gives `Some`; an `Err` from it ends the wait at once.
    /// The first pauses are short (from a quarter of `interval`, doubling up to it), so
    /// a resource that is ready almost at once costs little time.
    /// `what` names the awaited thing in the progress and timeout messages.
    pub fn until<T>(&self, what: &str, mut check: impl FnMut() -> Result<Option<T>>) -> Result<T> {
        let mut pause = (self.interval / 4).max(Duration::from_millis(1));
        paced(what, self.timeout, self.progress_every, || {
            Ok(match check()? {
                Some(v) => ControlFlow::Break(v),
                None => {
                    let this = pause;
                    pause = (pause * 2).min(self.interval);
                    ControlFlow::Continue(this)
                }
            })
        })
    }
}

/// The loop under every wait: `step` gives the value, or how long to pause before asking
/// again (its own rule: doubling, a service's `Retry-After`...). The deadline and the
/// `Still waiting for ...` lines are kept here; an `Err` from `step` ends the wait.
pub fn paced<T>(
    what: &str,
    timeout: Duration,
    progress_every: Duration,
    mut step: impl FnMut() -> Result<ControlFlow<T, Duration>>,
) -> Result<T> {
    let start = Instant::now();
    let mut last_note = start;
    loop {
        let pause = match step()? {
            ControlFlow::Break(v) => return Ok(v),
            ControlFlow::Continue(pause) => pause,
        };
        let waited = start.elapsed();
        if waited + pause > timeout {
            bail!("timed out after {}s waiting for {what}", timeout.as_secs());
        }
        if !progress_every.is_zero() && last_note.elapsed() >= progress_every {
            crate::info!("Still waiting for {what} ({}s)...", waited.as_secs());
            last_note = Instant::now();
        }
        std::thread::sleep(pause);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn returns_the_value_once_ready() {
        let mut n = 0;
        let w = Waiter::new(Duration::from_secs(5), Duration::from_millis(1));
        let v = w
            .until("three calls", || {
                n += 1;
                Ok((n == 3).then_some(n))
            })
            .unwrap();
        assert_eq!(v, 3);
    }

    #[test]
    fn times_out_and_stops_on_error() {
        let w = Waiter::new(Duration::from_millis(30), Duration::from_millis(10));
        let e = w.until::<()>("nothing", || Ok(None)).unwrap_err();
        assert_eq!(e.to_string(), "timed out after 0s waiting for nothing");
        let mut calls = 0;
        let e = w
            .until::<()>("x", || {
                calls += 1;
                bail!("gone")
            })
            .unwrap_err();
        assert_eq!((e.to_string(), calls), ("gone".to_string(), 1));
    }
}
