//! The tool registry: function tools a session offers the model and runs itself.
//!
//! A [`Tool`] is a name, a description, a JSON schema of its arguments (derived from a Rust type
//! with [`Tool::derived`], or given by hand) and an async handler. [`Tools`] holds them with a
//! timeout and an optional approval hook.
//!
//! Both session kinds run the same registry the same way:
//! [`Conversation::set_tools`](crate::Conversation::set_tools) puts it in a Realtime session,
//! [`LiveSession::set_tools`](crate::LiveSession::set_tools) in a GPT-Live session's Responses
//! backend. From then on every call the model makes to a registered tool is run by the session:
//! calls of one response run concurrently, each under the timeout; every call gets its
//! `function_call_output` (a handler error, a timeout or a refusal becomes an output the model
//! reads, `{"error": "..."}`) and is reported as a [`ToolCallDone`]; once the response ended and
//! all its outputs were sent, exactly one follow-up `response.create` goes out. Calls to names
//! not registered are left to the application, which answers them with
//! [`ConversationHandle::submit_tool_output`](crate::ConversationHandle::submit_tool_output) or
//! through the Live [`ToolCall`](crate::live::ToolCall).

mod call;
mod registry;
mod runner;

pub use call::{FunctionCall, ToolCallDone, ToolOutcome};
pub use registry::{DEFAULT_TOOL_TIMEOUT, Tool, Tools};
pub(crate) use runner::{OutputSender, ToolRunner};
