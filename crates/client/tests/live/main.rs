//! Integration tests of the GPT-Live client: a replay of the real recorded session over
//! loopback, and full sessions against the real local server (`rtclient-server`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod replay;
mod server;
