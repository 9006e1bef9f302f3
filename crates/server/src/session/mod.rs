//! The sessions: one state machine per protocol family (Realtime GA and beta, Azure Voice
//! Live, GPT-Live) behind the network layer's [`SessionHandler`](crate::SessionHandler).

mod config;
mod conversation;
mod emit;
mod errors;
mod hearing;
mod ids;
mod input;
mod input_buffer;
mod items;
mod live;
mod message;
mod open_item;
mod output;
mod plan;
mod prompt;
mod rates;
mod read_ahead;
mod realtime;
mod reply_stream;
mod response;
mod speech;
mod state;
mod streamed_reply;
mod usage;
mod validation;
mod voice_live;

pub use realtime::RealtimeSession;
pub use state::MAX_APPEND_BASE64;
