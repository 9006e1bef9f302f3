//! The beta wire dialect (`OpenAI-Beta: realtime=v1`, Azure OpenAI preview `api-version`,
//! Azure Voice Live), mirrored exactly.
//!
//! Events whose shape is the same in both dialects reuse the GA structs from
//! [`crate::event`] (the wire `type` lives in the enum, not the struct), so
//! `response.audio.delta` here and `response.output_audio.delta` in GA are both a
//! [`ResponseOutputAudioDelta`](crate::event::server::ResponseOutputAudioDelta) and
//! translation is a move. Beta-only shapes live here: the flat [`Session`], the
//! [`TranscriptionSession`], the beta [`Response`] and [`ResponseCreateParams`].
//!
//! Which beta event is which GA event, and how it is translated, is one table
//! (`beta/table.rs`); [`translate`] holds the object conversions it uses.
//!
//! Besides the 34 server events of the beta spec, [`ServerEvent`] also types
//! `conversation.item.done` (sent by Azure Voice Live in beta shape) and
//! `transcription_session.created`.

mod event;
mod session;
mod table;
pub mod translate;

pub use event::{
    ResponseCreate, ResponseCreated, ResponseDone, SessionCreated, SessionUpdate, SessionUpdated,
    TranscriptionSessionCreated, TranscriptionSessionUpdate, TranscriptionSessionUpdated,
};
pub use session::{Response, ResponseCreateParams, Session, TranscriptionSession};
pub use table::{ClientEvent, ServerEvent};
pub(crate) use table::{write_client, write_server};
