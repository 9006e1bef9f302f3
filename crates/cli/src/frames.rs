//! The frames `send` sees, Realtime and Live alike: every frame sent and received goes to the
//! session log, and the received ones wait, as they were on the wire, to be printed.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use rtclient::FrameDirection;

use crate::session_log::{Direction, Log};

/// Received frames waiting to be printed, filled by the frame hook.
pub(crate) type Frames = Arc<Mutex<VecDeque<String>>>;

/// The frame hook of `send` (Realtime and Live): writes every frame to the session log and
/// queues the received ones, as they were on the wire, for printing.
pub(crate) fn frame_hook(
    log: Log,
) -> (
    impl Fn(FrameDirection, &str) + Send + Sync + 'static,
    Frames,
) {
    let frames = Frames::default();
    let queue = Arc::clone(&frames);
    let hook = move |direction: FrameDirection, text: &str| match direction {
        FrameDirection::Sent => log.write(Direction::Sent, text),
        FrameDirection::Received => {
            log.write(Direction::Received, text);
            queue
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push_back(text.to_owned());
        }
    };
    (hook, frames)
}

/// Takes the queued frames.
pub(crate) fn take_frames(frames: &Frames) -> Vec<String> {
    frames
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .drain(..)
        .collect()
}
