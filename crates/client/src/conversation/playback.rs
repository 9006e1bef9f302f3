//! Playback tracking: how much of the assistant's audio the user really heard, so that a
//! barge-in truncates the reply where it was interrupted.
//!
//! The conversation tells a [`PlaybackTracker`] how much audio arrived for each item and asks
//! it how much was played. [`ReportedPlayback`] is fed by the application's player (the right
//! choice for sinks that play late, such as phone lines); [`PacedPlayback`] assumes the audio
//! is played at real time from the moment it arrives.

use std::{
    collections::HashMap,
    fmt,
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};

/// Knows how much of each assistant audio item was played. Installed with
/// [`Conversation::set_playback`](super::Conversation::set_playback); its methods are called
/// from the event loop and must not block.
pub trait PlaybackTracker: Send + Sync + fmt::Debug {
    /// Audio arrived for `item_id`: `received_ms` in all so far.
    fn received(&self, item_id: &str, received_ms: u64);
    /// Milliseconds of `item_id` played so far: `Some(0)` when it waits to be played, `None`
    /// when it is not playing or waiting (finished, stopped, or never seen); then a barge-in
    /// leaves it as it is.
    fn played_ms(&self, item_id: &str) -> Option<u64>;
    /// The user barged in: playback stops and the audio not played yet is dropped.
    fn stop(&self);
}

/// A tracker the application's player feeds with what it really played. Clone it: one copy
/// goes to the conversation, another to the player. An item the player never reported counts
/// as waiting to be played (0 ms played), so report every item played, to its end.
#[derive(Debug, Clone, Default)]
pub struct ReportedPlayback {
    played: Arc<Mutex<HashMap<String, u64>>>,
}

impl ReportedPlayback {
    /// A tracker that has heard of nothing played yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The player has played `played_ms` of `item_id` in all.
    pub fn report(&self, item_id: &str, played_ms: u64) {
        self.played
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(item_id.to_owned(), played_ms);
    }
}

impl PlaybackTracker for ReportedPlayback {
    fn received(&self, _item_id: &str, _received_ms: u64) {}

    fn played_ms(&self, item_id: &str) -> Option<u64> {
        let played = self.played.lock().unwrap_or_else(PoisonError::into_inner);
        Some(played.get(item_id).copied().unwrap_or(0))
    }

    fn stop(&self) {}
}

/// A tracker for audio played at real time as it arrives: each item starts playing when its
/// first audio arrives (or when the item before it ends), and waits whenever the audio runs
/// out before more arrives. Only the item that received audio last is playing; the ones
/// before it count as heard, and after a barge-in nothing plays until new audio arrives.
#[derive(Debug, Clone, Default)]
pub struct PacedPlayback {
    playing: Arc<Mutex<Option<Paced>>>,
}

/// The item being played.
#[derive(Debug)]
struct Paced {
    item_id: String,
    started: Instant,
    received_ms: u64,
    /// When the audio received so far will have been played.
    runs_out: Instant,
    /// Time spent waiting for audio since the item started.
    waited: Duration,
}

impl PacedPlayback {
    /// A tracker with nothing playing.
    pub fn new() -> Self {
        Self::default()
    }

    fn received_at(&self, item_id: &str, received_ms: u64, now: Instant) {
        let mut playing = self.playing.lock().unwrap_or_else(PoisonError::into_inner);
        let current = playing.as_ref().is_some_and(|p| p.item_id == item_id);
        if !current {
            let start = playing.as_ref().map_or(now, |p| p.runs_out.max(now));
            *playing = Some(Paced {
                item_id: item_id.to_owned(),
                started: start,
                received_ms: 0,
                runs_out: start,
                waited: Duration::ZERO,
            });
        }
        let Some(paced) = playing.as_mut() else {
            return;
        };
        if now > paced.runs_out {
            paced.waited += now - paced.runs_out;
            paced.runs_out = now;
        }
        let added = received_ms.saturating_sub(paced.received_ms);
        paced.runs_out += Duration::from_millis(added);
        paced.received_ms = paced.received_ms.max(received_ms);
    }

    fn played_at(&self, item_id: &str, now: Instant) -> Option<u64> {
        let playing = self.playing.lock().unwrap_or_else(PoisonError::into_inner);
        let paced = playing.as_ref().filter(|paced| paced.item_id == item_id)?;
        let elapsed = now
            .saturating_duration_since(paced.started)
            .saturating_sub(paced.waited);
        let elapsed_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
        Some(elapsed_ms.min(paced.received_ms))
    }
}

impl PlaybackTracker for PacedPlayback {
    fn received(&self, item_id: &str, received_ms: u64) {
        self.received_at(item_id, received_ms, Instant::now());
    }

    fn played_ms(&self, item_id: &str) -> Option<u64> {
        self.played_at(item_id, Instant::now())
    }

    fn stop(&self) {
        *self.playing.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn paced_playback_plays_at_real_time_and_waits_for_late_audio() {
        let paced = PacedPlayback::new();
        let t0 = Instant::now();
        assert_eq!(paced.played_at("a", t0), None);
        paced.received_at("a", 100, t0);
        assert_eq!(paced.played_at("a", t0), Some(0));
        assert_eq!(paced.played_at("a", t0 + 40 * MS), Some(40));
        // Never more than arrived.
        assert_eq!(paced.played_at("a", t0 + 500 * MS), Some(100));
        // The next audio arrives 200 ms after the first ran out: the wait does not count.
        paced.received_at("a", 200, t0 + 300 * MS);
        assert_eq!(paced.played_at("a", t0 + 350 * MS), Some(150));
        assert_eq!(paced.played_at("other", t0 + 350 * MS), None);
        paced.stop();
        assert_eq!(paced.played_at("a", t0 + 350 * MS), None);
    }

    #[test]
    fn a_new_item_starts_when_the_one_before_ends() {
        let paced = PacedPlayback::new();
        let t0 = Instant::now();
        paced.received_at("a", 300, t0);
        paced.received_at("b", 100, t0 + 100 * MS);
        // "a" still plays until t0 + 300 ms, then counts as heard.
        assert_eq!(paced.played_at("b", t0 + 200 * MS), Some(0));
        assert_eq!(paced.played_at("b", t0 + 350 * MS), Some(50));
        assert_eq!(paced.played_at("a", t0 + 350 * MS), None);
    }

    #[test]
    fn reported_playback_returns_what_the_player_said() {
        let reported = ReportedPlayback::new();
        let player = reported.clone();
        assert_eq!(reported.played_ms("a"), Some(0));
        player.report("a", 420);
        assert_eq!(reported.played_ms("a"), Some(420));
    }
}
