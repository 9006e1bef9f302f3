//! The real engines on the model files `scripts/install-engines` puts in the models folder.
//!
//! These tests need the models: when they are absent each test fails with the message that
//! says what to run, never skips.

#![cfg(feature = "onnx")]
#![allow(clippy::expect_used, clippy::unwrap_used)] // tests: failing loudly is the point

#[path = "../session/client.rs"]
#[allow(dead_code)] // the session suite's client; these tests use part of it
mod client;
mod read_ahead;
#[cfg(feature = "llm")]
mod reply;
mod runtime;
mod semantic_vad;
mod sentences;
mod sessions;
mod stt;
mod testutil;
#[cfg(feature = "llm")]
#[path = "../session/tools.rs"]
mod tools;
mod turn;
mod vad;
