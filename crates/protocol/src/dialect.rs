//! [`Dialect`]: which wire form a peer speaks.

/// Which wire form of the Realtime API a peer speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Dialect {
    /// The GA protocol (default).
    #[default]
    Ga,
    /// The beta protocol (`OpenAI-Beta: realtime=v1`, Azure preview, Azure Voice Live).
    Beta,
}

use crate::beta;
use crate::error::Error;
use crate::event::client::ClientEvent;
use crate::event::server::ServerEvent;
use crate::event::tagged_json;
use crate::translate;

impl Dialect {
    /// Parses a server frame of this dialect into the GA model (beta is translated; renamed
    /// events such as `response.audio.delta` are moved, not re-parsed). On a beta connection a
    /// type only GA knows (e.g. `input_audio_buffer.timeout_triggered`) is parsed as GA.
    pub fn parse_server_event(self, json: &str) -> Result<ServerEvent, Error> {
        match self {
            Dialect::Ga => ServerEvent::from_json(json),
            Dialect::Beta => match beta::ServerEvent::from_json(json)? {
                // A GA-only name on a beta connection (Azure Voice Live mixes them in): parse
                // the text as GA, with the same checks as on a GA connection.
                beta::ServerEvent::Unknown(v) if is_known(ServerEvent::KINDS, &v) => {
                    ServerEvent::from_json(json)
                }
                beta::ServerEvent::Unknown(v) => Ok(ServerEvent::Unknown(v)),
                ev => Ok(translate::server_to_ga(ev)),
            },
        }
    }

    /// Writes a GA-model client event in this dialect's wire form (beta: translated first;
    /// events with the same wire form in both dialects are written directly).
    pub fn client_event_to_json(self, event: &ClientEvent) -> Result<String, Error> {
        match (self, event) {
            (Dialect::Ga, _) => event.to_json(),
            (
                Dialect::Beta,
                ClientEvent::SessionUpdate(_)
                | ClientEvent::ConversationItemCreate(_)
                | ClientEvent::ResponseCreate(_),
            ) => translate::client_to_beta(event.clone()).to_json(),
            (Dialect::Beta, _) => event.to_json(),
        }
    }

    /// Parses a client frame of this dialect into the GA model (server side).
    pub fn parse_client_event(self, json: &str) -> Result<ClientEvent, Error> {
        match self {
            Dialect::Ga => ClientEvent::from_json(json),
            Dialect::Beta => match beta::ClientEvent::from_json(json)? {
                beta::ClientEvent::Unknown(v) if is_known(ClientEvent::KINDS, &v) => {
                    ClientEvent::from_json(json)
                }
                beta::ClientEvent::Unknown(v) => Ok(ClientEvent::Unknown(v)),
                ev => Ok(translate::client_to_ga(ev)),
            },
        }
    }

    /// Writes a GA-model server event in this dialect's wire form (server side). Renamed
    /// delta events are written under their beta name without copying.
    pub fn server_event_to_json(self, event: &ServerEvent) -> Result<String, Error> {
        use ServerEvent as S;
        match (self, event) {
            (Dialect::Ga, _) => event.to_json(),
            (Dialect::Beta, S::ResponseOutputAudioDelta(e)) => {
                crate::event::write::audio_delta("response.audio.delta", e)
            }
            (Dialect::Beta, S::ResponseOutputAudioDone(e)) => tagged_json("response.audio.done", e),
            (Dialect::Beta, S::ResponseOutputAudioTranscriptDelta(e)) => {
                tagged_json("response.audio_transcript.delta", e)
            }
            (Dialect::Beta, S::ResponseOutputAudioTranscriptDone(e)) => {
                tagged_json("response.audio_transcript.done", e)
            }
            (Dialect::Beta, S::ResponseOutputTextDelta(e)) => tagged_json("response.text.delta", e),
            (Dialect::Beta, S::ResponseOutputTextDone(e)) => tagged_json("response.text.done", e),
            (
                Dialect::Beta,
                S::SessionCreated(_)
                | S::SessionUpdated(_)
                | S::ConversationItemCreated(_)
                | S::ConversationItemAdded(_)
                | S::ConversationItemDone(_)
                | S::ConversationItemRetrieved(_)
                | S::ResponseCreated(_)
                | S::ResponseDone(_)
                | S::ResponseOutputItemAdded(_)
                | S::ResponseOutputItemDone(_),
            ) => translate::server_to_beta(event.clone()).to_json(),
            (Dialect::Beta, _) => event.to_json(),
        }
    }
}

/// Whether the `type` of an event object is one of `kinds`.
fn is_known(kinds: &[&str], event: &serde_json::Value) -> bool {
    event
        .get("type")
        .and_then(serde_json::Value::as_str)
        .is_some_and(|kind| kinds.contains(&kind))
}
