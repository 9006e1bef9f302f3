//! Integration tests of `rtclient`'s connection layer against small servers on loopback.
//!
//! `server` holds the test servers: a WebSocket server that records the upgrade request, and a
//! raw TCP server that refuses the upgrade with an HTTP error.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod closes;
mod handshake;
mod keepalive;
mod secrets;
mod server;
mod targets;
