//! Integration tests of the GPT-Live client: a replay of the real recorded session over
//! loopback, and full sessions against the real local server (`rtclient-server`): client and
//! Responses delegation, sidebands and forks.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fork;
mod output_clock;
mod replay;
mod responses;
mod server;
