//! Runs of the `rtclient` binary: help, usage errors and exit codes, `inspect`, `serve`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod help;
mod inspect;
mod local;
mod send;
mod serve;
mod testutil;
