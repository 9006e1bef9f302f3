//! The beta <-> GA event table: every beta event, its GA counterpart and how one becomes the
//! other. The beta enums, both translation directions and the writer [`Dialect::Beta`] uses
//! are all generated from it, so the two directions cannot disagree.
//!
//! A row is `how BetaVariant(Struct) = "beta type" <=> GaVariant [when guard]`:
//! - `moved`: beta and GA share the struct, translation is a move (only the wire name may
//!   differ), and the beta writer writes the GA struct under the beta name without a copy.
//! - `translated`: the struct is rebuilt through [`Translate`] (sessions, responses, and the
//!   assistant content kinds of items).
//! - `when realtime` / `when transcription`: which GA sessions the row takes on the way to
//!   beta (GA has one `session.*` family, beta two).
//!
//! An `also GaVariant => BetaVariant` line maps a second GA name onto a beta event, one way
//! (GA lists `conversation.item.created` but sends `conversation.item.added`; beta has only
//! the first).
//!
//! [`Dialect::Beta`]: crate::Dialect::Beta

use crate::beta::event::{
    ResponseCreate, ResponseCreated, ResponseDone, SessionCreated, SessionUpdate, SessionUpdated,
    TranscriptionSessionCreated, TranscriptionSessionUpdate, TranscriptionSessionUpdated,
};
use crate::event::client::{
    ConversationItemCreate, ConversationItemDelete, ConversationItemRetrieve,
    ConversationItemTruncate, InputAudioBufferAppend, InputAudioBufferClear,
    InputAudioBufferCommit, OutputAudioBufferClear, ResponseCancel,
};
use crate::event::event_enum;
use crate::event::server::*;

/// A GA event struct that becomes the beta struct `B` by more than a move.
pub(crate) trait Translate<B>: Sized {
    /// The beta form of this GA event.
    fn to_beta(self) -> B;
    /// The GA form of a beta event.
    fn from_beta(beta: B) -> Self;
}

/// Generates a beta event enum and its translation from one table (see the module docs).
macro_rules! beta_table {
    (
        $(#[$meta:meta])*
        pub enum $beta:ident <=> $ga:ident {
            $(
                $(#[$vmeta:meta])*
                $how:ident $variant:ident($st:ty) = $wire:literal <=> $ga_variant:ident
                    $(when $guard:ident)?,
            )*
        }
        $(also $alias:ident => $alias_to:ident;)*
        fn $to_ga:ident;
        fn $to_beta:ident;
        fn $write:ident;
    ) => {
        event_enum! {
            $(#[$meta])*
            pub enum $beta {
                $(
                    #[doc = concat!(
                        "In the GA model [`", stringify!($ga), "::", stringify!($ga_variant),
                        "`](crate::", stringify!($ga), "::", stringify!($ga_variant), ")",
                        beta_table!(@how_doc $how), "."
                    )]
                    $(#[$vmeta])*
                    $variant($st) = $wire,
                )*
            }
        }

        #[doc = concat!("A beta ", stringify!($beta), " in the GA model.")]
        pub fn $to_ga(event: $beta) -> $crate::$ga {
            match event {
                $(
                    $beta::$variant(e) => {
                        $crate::$ga::$ga_variant(beta_table!(@from_beta $how e))
                    }
                )*
                $beta::Unknown(v) => $crate::$ga::Unknown(v),
            }
        }

        #[doc = concat!(
            "A GA ", stringify!($ga), " in the beta dialect. An event beta does not have is ",
            "kept as `Unknown` holding its GA JSON."
        )]
        ///
        /// # Errors
        ///
        /// [`Error::Write`](crate::Error::Write) if a GA-only event cannot be turned into JSON.
        pub fn $to_beta(event: $crate::$ga) -> Result<$beta, $crate::Error> {
            Ok(match event {
                $(
                    $crate::$ga::$ga_variant(e) $(if beta_table!(@guard $guard e))? => {
                        $beta::$variant(beta_table!(@to_beta $how e))
                    }
                )*
                $( $crate::$ga::$alias(e) => $beta::$alias_to(Translate::to_beta(e)), )*
                $crate::$ga::Unknown(v) => $beta::Unknown(v),
                other => $beta::Unknown(serde_json::to_value(&other).map_err($crate::Error::Write)?),
            })
        }

        /// Writes a GA-model event in the beta wire form: moved events directly under their
        /// beta name, translated ones through the beta struct, GA-only ones as GA.
        pub(crate) fn $write(event: &$crate::$ga) -> Result<String, $crate::Error> {
            match event {
                $(
                    $crate::$ga::$ga_variant(e) $(if beta_table!(@guard $guard e))? => {
                        beta_table!(@write $how e $st, $wire)
                    }
                )*
                $( $crate::$ga::$alias(_) => $to_beta(event.clone())?.to_json(), )*
                _ => event.to_json(),
            }
        }
    };
    (@how_doc moved) => { ", the same struct moved" };
    (@how_doc translated) => { ", translated" };
    (@from_beta moved $e:ident) => { $e };
    (@from_beta translated $e:ident) => { Translate::from_beta($e) };
    (@to_beta moved $e:ident) => { $e };
    (@to_beta translated $e:ident) => { Translate::to_beta($e) };
    (@write moved $e:ident $st:ty, $wire:literal) => {
        $crate::event::Codec::write($e, $wire)
    };
    (@write translated $e:ident $st:ty, $wire:literal) => {
        <$st as $crate::event::Codec>::write(&Translate::to_beta($e.clone()), $wire)
    };
    (@guard realtime $e:ident) => {
        $e.session.kind != Some($crate::SessionKind::Transcription)
    };
    (@guard transcription $e:ident) => {
        $e.session.kind == Some($crate::SessionKind::Transcription)
    };
}

beta_table! {
    /// A beta client event, keyed on its beta `type`.
    #[allow(clippy::large_enum_variant)] // moved rarely; boxing every variant costs an allocation per event
    pub enum ClientEvent <=> ClientEvent {
        translated SessionUpdate(SessionUpdate) = "session.update" <=> SessionUpdate when realtime,
        translated TranscriptionSessionUpdate(TranscriptionSessionUpdate) = "transcription_session.update" <=> SessionUpdate when transcription,
        moved InputAudioBufferAppend(InputAudioBufferAppend) = "input_audio_buffer.append" <=> InputAudioBufferAppend,
        moved InputAudioBufferCommit(InputAudioBufferCommit) = "input_audio_buffer.commit" <=> InputAudioBufferCommit,
        moved InputAudioBufferClear(InputAudioBufferClear) = "input_audio_buffer.clear" <=> InputAudioBufferClear,
        moved OutputAudioBufferClear(OutputAudioBufferClear) = "output_audio_buffer.clear" <=> OutputAudioBufferClear,
        translated ConversationItemCreate(ConversationItemCreate) = "conversation.item.create" <=> ConversationItemCreate,
        moved ConversationItemRetrieve(ConversationItemRetrieve) = "conversation.item.retrieve" <=> ConversationItemRetrieve,
        moved ConversationItemTruncate(ConversationItemTruncate) = "conversation.item.truncate" <=> ConversationItemTruncate,
        moved ConversationItemDelete(ConversationItemDelete) = "conversation.item.delete" <=> ConversationItemDelete,
        translated ResponseCreate(ResponseCreate) = "response.create" <=> ResponseCreate,
        moved ResponseCancel(ResponseCancel) = "response.cancel" <=> ResponseCancel,
    }
    fn client_to_ga;
    fn client_to_beta;
    fn write_client;
}

beta_table! {
    /// A beta server event, keyed on its beta `type`.
    #[allow(clippy::large_enum_variant)] // moved rarely; boxing every variant costs an allocation per event
    pub enum ServerEvent <=> ServerEvent {
        moved Error(ErrorEvent) = "error" <=> Error,
        translated SessionCreated(SessionCreated) = "session.created" <=> SessionCreated when realtime,
        translated SessionUpdated(SessionUpdated) = "session.updated" <=> SessionUpdated when realtime,
        /// Not in the beta spec; kept for completeness.
        translated TranscriptionSessionCreated(TranscriptionSessionCreated) = "transcription_session.created" <=> SessionCreated when transcription,
        translated TranscriptionSessionUpdated(TranscriptionSessionUpdated) = "transcription_session.updated" <=> SessionUpdated when transcription,
        moved ConversationCreated(ConversationCreated) = "conversation.created" <=> ConversationCreated,
        translated ConversationItemCreated(ConversationItemCreated) = "conversation.item.created" <=> ConversationItemAdded,
        /// A GA name, sent by Azure Voice Live in beta sessions.
        translated ConversationItemDone(ConversationItemDone) = "conversation.item.done" <=> ConversationItemDone,
        translated ConversationItemRetrieved(ConversationItemRetrieved) = "conversation.item.retrieved" <=> ConversationItemRetrieved,
        moved ConversationItemTruncated(ConversationItemTruncated) = "conversation.item.truncated" <=> ConversationItemTruncated,
        moved ConversationItemDeleted(ConversationItemDeleted) = "conversation.item.deleted" <=> ConversationItemDeleted,
        moved ConversationItemInputAudioTranscriptionDelta(ConversationItemInputAudioTranscriptionDelta) = "conversation.item.input_audio_transcription.delta" <=> ConversationItemInputAudioTranscriptionDelta,
        moved ConversationItemInputAudioTranscriptionCompleted(ConversationItemInputAudioTranscriptionCompleted) = "conversation.item.input_audio_transcription.completed" <=> ConversationItemInputAudioTranscriptionCompleted,
        moved ConversationItemInputAudioTranscriptionFailed(ConversationItemInputAudioTranscriptionFailed) = "conversation.item.input_audio_transcription.failed" <=> ConversationItemInputAudioTranscriptionFailed,
        moved InputAudioBufferCommitted(InputAudioBufferCommitted) = "input_audio_buffer.committed" <=> InputAudioBufferCommitted,
        moved InputAudioBufferCleared(InputAudioBufferCleared) = "input_audio_buffer.cleared" <=> InputAudioBufferCleared,
        moved InputAudioBufferSpeechStarted(InputAudioBufferSpeechStarted) = "input_audio_buffer.speech_started" <=> InputAudioBufferSpeechStarted,
        moved InputAudioBufferSpeechStopped(InputAudioBufferSpeechStopped) = "input_audio_buffer.speech_stopped" <=> InputAudioBufferSpeechStopped,
        moved OutputAudioBufferStarted(OutputAudioBufferStarted) = "output_audio_buffer.started" <=> OutputAudioBufferStarted,
        moved OutputAudioBufferStopped(OutputAudioBufferStopped) = "output_audio_buffer.stopped" <=> OutputAudioBufferStopped,
        moved OutputAudioBufferCleared(OutputAudioBufferCleared) = "output_audio_buffer.cleared" <=> OutputAudioBufferCleared,
        moved RateLimitsUpdated(RateLimitsUpdated) = "rate_limits.updated" <=> RateLimitsUpdated,
        translated ResponseCreated(ResponseCreated) = "response.created" <=> ResponseCreated,
        translated ResponseDone(ResponseDone) = "response.done" <=> ResponseDone,
        translated ResponseOutputItemAdded(ResponseOutputItemAdded) = "response.output_item.added" <=> ResponseOutputItemAdded,
        translated ResponseOutputItemDone(ResponseOutputItemDone) = "response.output_item.done" <=> ResponseOutputItemDone,
        moved ResponseContentPartAdded(ResponseContentPartAdded) = "response.content_part.added" <=> ResponseContentPartAdded,
        moved ResponseContentPartDone(ResponseContentPartDone) = "response.content_part.done" <=> ResponseContentPartDone,
        moved ResponseTextDelta(ResponseOutputTextDelta) = "response.text.delta" <=> ResponseOutputTextDelta,
        moved ResponseTextDone(ResponseOutputTextDone) = "response.text.done" <=> ResponseOutputTextDone,
        moved ResponseAudioDelta(ResponseOutputAudioDelta) = "response.audio.delta" <=> ResponseOutputAudioDelta,
        moved ResponseAudioDone(ResponseOutputAudioDone) = "response.audio.done" <=> ResponseOutputAudioDone,
        moved ResponseAudioTranscriptDelta(ResponseOutputAudioTranscriptDelta) = "response.audio_transcript.delta" <=> ResponseOutputAudioTranscriptDelta,
        moved ResponseAudioTranscriptDone(ResponseOutputAudioTranscriptDone) = "response.audio_transcript.done" <=> ResponseOutputAudioTranscriptDone,
        moved ResponseFunctionCallArgumentsDelta(ResponseFunctionCallArgumentsDelta) = "response.function_call_arguments.delta" <=> ResponseFunctionCallArgumentsDelta,
        moved ResponseFunctionCallArgumentsDone(ResponseFunctionCallArgumentsDone) = "response.function_call_arguments.done" <=> ResponseFunctionCallArgumentsDone,
    }
    also ConversationItemCreated => ConversationItemCreated;
    fn server_to_ga;
    fn server_to_beta;
    fn write_server;
}
