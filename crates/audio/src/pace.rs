//! Releasing chunks at the speed of real audio, like a microphone would.

use std::time::Duration;

use tokio::time::Instant;

use crate::error::{Error, Result};

/// How fast to release audio.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[non_exhaustive]
pub enum Pace {
    /// As fast as audio is recorded: one second of audio per second (the default).
    #[default]
    RealTime,
    /// `n` seconds of audio per second (`Speed(2.0)` is twice real time). Must be finite and > 0.
    Speed(f64),
    /// No waiting at all.
    Max,
}

/// Waits until each chunk would be available from a live source.
///
/// Like a microphone, a chunk is released once the audio it holds has "been recorded": the chunk
/// ending at 300 ms is released 300 ms after the pacer started (150 ms at `Speed(2.0)`). The
/// schedule is computed from the start instant, not by sleeping per chunk, so time spent
/// elsewhere (encoding, sending) does not accumulate as drift. Uses tokio's clock, so tests can
/// use `tokio::time::pause`.
///
/// ```
/// # async fn demo(chunks: rtclient_audio::Chunks) -> Result<(), rtclient_audio::Error> {
/// use rtclient_audio::{Pace, Pacer};
/// let mut pacer = Pacer::new(Pace::RealTime)?;
/// for chunk in chunks {
///     let chunk = chunk?;
///     pacer.wait_until(chunk.end()).await;
///     // send chunk.base64() ...
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Pacer {
    speed: Option<f64>,
    start: Option<Instant>,
}

impl Pacer {
    /// A pacer at `pace`. The clock starts at the first wait (or at [`start`](Self::start)).
    ///
    /// Fails with [`Error::InvalidArgument`] for a speed that is not finite and positive.
    pub fn new(pace: Pace) -> Result<Self> {
        let speed = match pace {
            Pace::RealTime => Some(1.0),
            Pace::Speed(s) if s.is_finite() && s > 0.0 => Some(s),
            Pace::Speed(s) => {
                return Err(Error::InvalidArgument {
                    what: "pace speed",
                    reason: format!("{s} is not a finite number greater than 0"),
                });
            }
            Pace::Max => None,
        };
        Ok(Pacer { speed, start: None })
    }

    /// Starts (or restarts) the clock now.
    pub fn start(&mut self) {
        self.start = Some(Instant::now());
    }

    /// The instant offset 0 corresponds to, once started.
    pub fn started_at(&self) -> Option<Instant> {
        self.start
    }

    /// Waits until audio up to `offset` (from the start of the stream) would have been
    /// recorded. Returns at once with [`Pace::Max`] or if that time has passed.
    pub async fn wait_until(&mut self, offset: Duration) {
        let Some(speed) = self.speed else {
            return;
        };
        let start = *self.start.get_or_insert_with(Instant::now);
        // Absurd speeds (e.g. 1e-300) would overflow; wait "forever" (30 years) instead of panicking.
        const FOREVER: Duration = Duration::from_secs(30 * 365 * 86_400);
        let wait = Duration::try_from_secs_f64(offset.as_secs_f64() / speed)
            .unwrap_or(FOREVER)
            .min(FOREVER);
        match start.checked_add(wait) {
            Some(due) => tokio::time::sleep_until(due).await,
            None => std::future::pending::<()>().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn real_time_is_drift_free() {
        let mut pacer = Pacer::new(Pace::RealTime).unwrap();
        pacer.start();
        let t0 = Instant::now();
        for i in 1..=50u64 {
            pacer.wait_until(Duration::from_millis(100 * i)).await;
            // Work between chunks must not push the schedule back.
            tokio::time::advance(Duration::from_millis(7)).await;
        }
        // Released at 5.0 s; then the last 7 ms of "work".
        assert_eq!(t0.elapsed(), Duration::from_millis(5_007));
    }

    #[tokio::test(start_paused = true)]
    async fn speed_and_max() {
        let mut fast = Pacer::new(Pace::Speed(4.0)).unwrap();
        let t0 = Instant::now();
        fast.wait_until(Duration::from_secs(2)).await;
        assert_eq!(t0.elapsed(), Duration::from_millis(500));

        let mut max = Pacer::new(Pace::Max).unwrap();
        let t1 = Instant::now();
        max.wait_until(Duration::from_secs(3600)).await;
        assert_eq!(t1.elapsed(), Duration::ZERO);
    }

    #[test]
    fn bad_speeds_are_rejected() {
        for s in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(Pacer::new(Pace::Speed(s)).is_err(), "{s}");
        }
    }
}
