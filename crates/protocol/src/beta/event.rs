//! The beta events whose shape differs from GA: sessions and responses. The others reuse the
//! GA structs (see the [table](super::table)).

use crate::beta::session::{Response, ResponseCreateParams, Session, TranscriptionSession};
use crate::event::event_struct;

event_struct! {
    /// Beta `session.update`.
    pub struct SessionUpdate {
        /// The flat beta session settings.
        req session: Box<Session> = "session",
    }
}

event_struct! {
    /// Beta `transcription_session.update`.
    pub struct TranscriptionSessionUpdate {
        /// The transcription session.
        req session: Box<TranscriptionSession> = "session",
    }
}

event_struct! {
    /// Beta `response.create`.
    pub struct ResponseCreate {
        /// Parameters for this response.
        opt response: ResponseCreateParams = "response",
    }
}

event_struct! {
    /// Beta `session.created`.
    pub struct SessionCreated {
        /// The flat beta session settings.
        req session: Box<Session> = "session",
    }
}

event_struct! {
    /// Beta `session.updated`.
    pub struct SessionUpdated {
        /// The flat beta session settings.
        req session: Box<Session> = "session",
    }
}

event_struct! {
    /// Beta `transcription_session.created`.
    pub struct TranscriptionSessionCreated {
        /// The transcription session.
        req session: Box<TranscriptionSession> = "session",
    }
}

event_struct! {
    /// Beta `transcription_session.updated`.
    pub struct TranscriptionSessionUpdated {
        /// The transcription session.
        req session: Box<TranscriptionSession> = "session",
    }
}

event_struct! {
    /// Beta `response.created`.
    pub struct ResponseCreated {
        /// The beta response as it stands at this event.
        req response: Box<Response> = "response",
    }
}

event_struct! {
    /// Beta `response.done`.
    pub struct ResponseDone {
        /// The beta response as it stands at this event.
        req response: Box<Response> = "response",
    }
}
