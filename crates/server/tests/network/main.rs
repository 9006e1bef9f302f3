//! The network layer over real sockets on 127.0.0.1: routes and dialects, auth, refusals,
//! limits, pings, the close handshake, the session timer and graceful shutdown.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod abuse;
mod auth;
mod lifecycle;
mod limits;
mod routes;
mod testutil;
mod tls;
