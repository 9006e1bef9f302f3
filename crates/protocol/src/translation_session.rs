//! The GA translation-session family (speech translation sessions), a separate protocol with
//! its own [`ClientEvent`] and [`ServerEvent`] enums: its type strings (`session.update`,
//! `session.created`, ...) clash with the realtime family's, so it cannot share their enums.

use crate::event::server::ErrorEvent;
use crate::event::{event_enum, event_struct};
use crate::nullable::Nullable;
use crate::wire::wire_struct;

wire_struct! {
    /// A translation session object (and the `session.update` payload).
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct TranslationSession [object] {
        /// Session id.
        opt id: String = "id",
        /// Session type.
        opt kind: String = "type",
        /// Expiry, Unix seconds.
        opt expires_at: u64 = "expires_at",
        /// Model.
        opt model: String = "model",
        /// Audio settings (input/output languages and formats), kept as JSON.
        opt audio: serde_json::Value = "audio",
    }
}

event_struct! {
    /// Update the translation session.
    pub struct SessionUpdate {
        /// The settings to change.
        req session: TranslationSession = "session",
    }
}

event_struct! {
    /// Append base64 audio to the translation input.
    pub struct SessionInputAudioBufferAppend {
        /// Base64 audio.
        req audio: String = "audio",
    }
}

event_struct! {
    /// Close the session.
    pub struct SessionClose {}
}

event_struct! {
    /// The session was created.
    pub struct SessionCreated {
        /// The session settings as they stand now.
        req session: TranslationSession = "session",
    }
}

event_struct! {
    /// The session was updated.
    pub struct SessionUpdated {
        /// The session settings as they stand now.
        req session: TranslationSession = "session",
    }
}

event_struct! {
    /// The session was closed.
    pub struct SessionClosed {}
}

event_struct! {
    /// Transcript of the input speech.
    pub struct SessionInputTranscriptDelta {
        /// Text.
        req delta: String = "delta",
        /// Ms since session start, or `null`.
        opt elapsed_ms: Nullable<u64> = "elapsed_ms",
    }
}

event_struct! {
    /// Transcript of the translated speech.
    pub struct SessionOutputTranscriptDelta {
        /// Text.
        req delta: String = "delta",
        /// Ms since session start, or `null`.
        opt elapsed_ms: Nullable<u64> = "elapsed_ms",
    }
}

event_struct! {
    /// Translated audio.
    pub struct SessionOutputAudioDelta {
        /// Base64 audio.
        req delta: String = "delta",
        /// Sample rate, Hz.
        opt sample_rate: u32 = "sample_rate",
        /// Channel count.
        opt channels: u32 = "channels",
        /// Format (`pcm16`).
        opt format: String = "format",
        /// Ms since session start, or `null`.
        opt elapsed_ms: Nullable<u64> = "elapsed_ms",
    }
}

event_enum! {
    /// A translation-session client event.
    pub enum ClientEvent {
        SessionUpdate(SessionUpdate) = "session.update",
        SessionInputAudioBufferAppend(SessionInputAudioBufferAppend) = "session.input_audio_buffer.append",
        SessionClose(SessionClose) = "session.close",
    }
}

event_enum! {
    /// A translation-session server event.
    pub enum ServerEvent {
        Error(ErrorEvent) = "error",
        SessionCreated(SessionCreated) = "session.created",
        SessionUpdated(SessionUpdated) = "session.updated",
        SessionClosed(SessionClosed) = "session.closed",
        SessionInputTranscriptDelta(SessionInputTranscriptDelta) = "session.input_transcript.delta",
        SessionOutputTranscriptDelta(SessionOutputTranscriptDelta) = "session.output_transcript.delta",
        SessionOutputAudioDelta(SessionOutputAudioDelta) = "session.output_audio.delta",
    }
}
