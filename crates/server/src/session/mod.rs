//! The sessions: one folder per protocol family, each with its own state machine, behind the
//! network layer's [`SessionHandler`](crate::SessionHandler).
//!
//! - [`realtime`] serves the Realtime API (GA and beta dialects, Azure Voice Live), with
//!   [`errors`], the `error` events it sends for bad client input.
//! - [`live`] serves GPT-Live.
//!
//! Their shared ground sits beside them: the [`Engines`](engines::Engines) they run on, object
//! [`ids`], the speech cache ([`speech`]) and the lock policy ([`lock`]). [`RealtimeSession`]
//! builds the engines and serves each route with its family's session ([`handler`]).

mod engines;
mod errors;
mod handler;
mod ids;
mod live;
mod lock;
mod realtime;
mod speech;

pub use handler::RealtimeSession;
pub use realtime::MAX_APPEND_BASE64;
