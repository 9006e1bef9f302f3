//! Runs of the `rtclient` binary: help, usage errors and exit codes, `send` against the real
//! server (with faults too), `inspect`, `serve`, `bench`, and `talk` (with the `audio-io` feature).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bench;
mod faults;
mod help;
mod inspect;
mod live;
mod local;
mod send;
mod serve;
#[cfg(feature = "audio-io")]
mod talk;
mod testutil;
