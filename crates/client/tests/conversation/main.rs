//! Integration tests of the conversation layer against the real local server
//! (`rtclient-server` on loopback): text and audio turns, a function call round, barge-in,
//! errors that do not stick, scripted failures and drops, and the beta dialect.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod faults;
mod frames;
mod metrics;
mod parallel_tools;
mod playback;
mod queue;
mod recycle;
mod resume;
mod server;
mod tools;
mod turns;
mod voice;
