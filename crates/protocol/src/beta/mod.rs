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
//! Besides the 34 server events of the beta spec, [`ServerEvent`] also types
//! `conversation.item.done` (sent by Azure Voice Live in beta shape) and
//! `transcription_session.created`.

mod event;
mod session;

pub use event::{
    ClientEvent, ResponseCreate, ResponseCreated, ResponseDone, ServerEvent, SessionCreated,
    SessionUpdate, SessionUpdated, TranscriptionSessionCreated, TranscriptionSessionUpdate,
    TranscriptionSessionUpdated,
};
pub use session::{Response, ResponseCreateParams, Session, TranscriptionSession};
