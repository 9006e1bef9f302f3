//! The engines on real speech: the built-in earshot detector on espeak-ng sentences, and the
//! real engines (feature `onnx`) on the model files `scripts/install-engines` puts in the
//! models folder.
//!
//! The real engines' tests need the models: when they are absent each test fails with the
//! message that says what to run, never skips.

#![allow(clippy::expect_used, clippy::unwrap_used)] // tests: failing loudly is the point

#[path = "../session/client.rs"]
#[allow(dead_code)] // the session suite's client; these tests use part of it
mod client;
mod earshot;
#[cfg(feature = "onnx")]
mod read_ahead;
#[cfg(all(feature = "onnx", feature = "llm"))]
mod reply;
#[cfg(feature = "onnx")]
mod runtime;
#[cfg(feature = "onnx")]
mod semantic_vad;
#[cfg(feature = "onnx")]
mod sentences;
#[cfg(feature = "onnx")]
mod sessions;
#[cfg(feature = "onnx")]
mod stt;
// Without the ONNX engines, only earshot's tests use it.
#[cfg_attr(not(feature = "onnx"), allow(dead_code))]
mod testutil;
#[cfg(all(feature = "onnx", feature = "llm"))]
#[path = "../session/tools.rs"]
mod tools;
#[cfg(feature = "onnx")]
mod turn;
#[cfg(feature = "onnx")]
mod vad;
