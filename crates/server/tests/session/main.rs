//! Realtime session flows over real sockets: a server on 127.0.0.1:0 running
//! [`RealtimeSession`]s, a raw tokio-tungstenite client, events checked with
//! `rtclient_protocol` and as JSON.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cancel;
mod client;
#[cfg(all(feature = "onnx", feature = "llm"))]
mod engines;
mod errors;
mod faults;
mod flows;
mod recorded;
#[cfg(all(feature = "onnx", feature = "llm"))]
mod tools;
mod vad;
mod validation;
