//! [`RealtimeSession`]: the engines every session runs on, and the [`SessionHandler`] that
//! serves each route with the session of its protocol family.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::Message;
use futures_util::{Sink, Stream};
use rtclient_audio::Pace;

use super::engines::Engines;
use super::{live, realtime};
use crate::engine::faults::Faults;
use crate::engine::reply::Responder;
use crate::engine::script::Script;
use crate::engine::stt::Transcriber;
use crate::engine::tts::Synthesizer;
use crate::engine::turn::EndOfTurn;
use crate::engine::vad::VadEngine;
use crate::net::endpoint::{Family, SessionRequest};
use crate::net::handler::SessionHandler;

/// The session handler of the server: the Realtime session (`session.created`, updates, the
/// input audio buffer with server VAD, conversation items, and responses: text, speech,
/// function calls) in the GA or beta dialect of the connection, and the GPT-Live session on
/// the Live routes, both on the same engines.
///
/// ```
/// use rtclient_audio::Pace;
/// use rtclient_server::RealtimeSession;
/// let session = RealtimeSession::new().pace(Pace::Max);
/// # let _ = session;
/// ```
#[derive(Debug, Clone, Default)]
pub struct RealtimeSession {
    engines: Arc<Engines>,
}

impl RealtimeSession {
    /// Sessions with the echo responder, espeak-ng speech, 4x pace and a 60 min lifetime.
    pub fn new() -> Self {
        Self::default()
    }

    fn edit(self, f: impl FnOnce(&mut Engines)) -> Self {
        let mut engines = Arc::unwrap_or_clone(self.engines);
        f(&mut engines);
        Self {
            engines: Arc::new(engines),
        }
    }

    /// Uses `responder` to choose replies (e.g. a [`Script`]).
    pub fn responder(self, responder: impl Responder + 'static) -> Self {
        self.edit(|e| e.responder = Arc::new(responder))
    }

    /// Injects session-wide `faults` into every session (see [`Faults`]).
    pub fn faults(self, faults: Faults) -> Self {
        self.edit(|e| e.faults = faults)
    }

    /// Replies by `script`'s rules and injects its faults: [`RealtimeSession::responder`] plus
    /// [`RealtimeSession::faults`].
    pub fn script(self, script: Script) -> Self {
        let faults = script.faults();
        self.responder(script).faults(faults)
    }

    /// Uses `synthesizer` for speech.
    pub fn synthesizer(self, synthesizer: impl Synthesizer + 'static) -> Self {
        self.edit(|e| e.set_synthesizer(Arc::new(synthesizer)))
    }

    /// Uses `transcriber` for input audio transcription (default:
    /// [`NoTranscriber`](crate::NoTranscriber)).
    pub fn transcriber(self, transcriber: impl Transcriber + 'static) -> Self {
        self.edit(|e| e.transcriber = Arc::new(transcriber))
    }

    /// Uses `vad` for server VAD (default: [`Earshot`](crate::Earshot)).
    pub fn vad(self, vad: impl VadEngine + 'static) -> Self {
        self.edit(|e| e.vad = Arc::new(vad))
    }

    /// Uses `judge` to end `semantic_vad` turns: at a short pause it decides from the turn's
    /// audio whether the user finished (default: none, so a pause of a length set by the
    /// eagerness ends the turn).
    pub fn end_of_turn(self, judge: impl EndOfTurn + 'static) -> Self {
        self.edit(|e| e.end_of_turn = Some(Arc::new(judge)))
    }

    /// Sets the response streaming pace.
    pub fn pace(self, pace: Pace) -> Self {
        self.edit(|e| e.pace = pace)
    }

    /// Sets the session lifetime announced in `expires_at`.
    pub fn max_duration(self, duration: Duration) -> Self {
        self.edit(|e| e.max_duration = duration)
    }
}

impl SessionHandler for RealtimeSession {
    /// Serves the session of the route's [`Family`]: each family's session knows only its own
    /// protocol, as an axum router hands each path to its own handler.
    async fn run<Tx, Rx>(&self, request: SessionRequest, outgoing: Tx, incoming: Rx)
    where
        Tx: Sink<Message> + Send + Unpin + 'static,
        Rx: Stream<Item = Message> + Send + Unpin + 'static,
    {
        let engines = Arc::clone(&self.engines);
        match request.route().family() {
            Family::Realtime => realtime::run(engines, request, outgoing, incoming).await,
            Family::Live => live::run(engines, request, outgoing, incoming).await,
        }
    }
}
