//! Integration tests of `rtclient` against small servers on loopback: the raw connection layer
//! (targets, handshakes, closes, keepalive, secrets), the typed client (`typed`) and the replay
//! of the recorded sessions in `testdata/recorded/` (`replay`).
//!
//! `server` holds the test servers: a WebSocket server that records the upgrade request, and a
//! raw TCP server that refuses the upgrade with an HTTP error.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod closes;
mod handshake;
mod keepalive;
mod replay;
mod secrets;
mod server;
mod targets;
mod tls;
mod typed;
