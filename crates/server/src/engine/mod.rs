//! The real engines behind the server's traits, each behind a cargo feature where it is heavy.

pub mod chat;
pub mod chat_completions;
#[cfg(feature = "llm")]
pub mod llm;
pub mod tool_call;
