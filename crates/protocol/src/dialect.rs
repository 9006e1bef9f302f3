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
use crate::event::{AudioDeltaRef, probe_type};

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
                ev => Ok(beta::translate::server_to_ga(ev)),
            },
        }
    }

    /// Writes a GA-model client event in this dialect's wire form (beta: translated first;
    /// events with the same wire form in both dialects are written directly).
    pub fn client_event_to_json(self, event: &ClientEvent) -> Result<String, Error> {
        match self {
            Dialect::Ga => event.to_json(),
            Dialect::Beta => beta::write_client(event),
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
                ev => Ok(beta::translate::client_to_ga(ev)),
            },
        }
    }

    /// Writes a GA-model server event in this dialect's wire form (server side). Renamed
    /// events are written under their beta name without copying.
    pub fn server_event_to_json(self, event: &ServerEvent) -> Result<String, Error> {
        match self {
            Dialect::Ga => event.to_json(),
            Dialect::Beta => beta::write_server(event),
        }
    }

    /// Parses `json` as an output audio delta without copying, if it is one: `None` when the
    /// frame's `type` is not an audio delta of this dialect (then use
    /// [`Dialect::parse_server_event`]). GA takes `response.output_audio.delta`; beta takes
    /// `response.audio.delta` and, as [`Dialect::parse_server_event`] does, the GA name.
    pub fn parse_audio_delta(self, json: &str) -> Option<Result<AudioDeltaRef<'_>, Error>> {
        const GA: &str = "response.output_audio.delta";
        const BETA: &str = "response.audio.delta";
        let wire = match (self, probe_type(json).ok()?.as_ref()) {
            (_, GA) => GA,
            // like `parse_server_event`, a beta connection also takes the GA name
            (Dialect::Beta, BETA) => BETA,
            _ => return None,
        };
        Some(AudioDeltaRef::parse(wire, json))
    }
}

/// Whether the `type` of an event object is one of `kinds`.
fn is_known(kinds: &[&str], event: &serde_json::Value) -> bool {
    event
        .get("type")
        .and_then(serde_json::Value::as_str)
        .is_some_and(|kind| kinds.contains(&kind))
}
