//! The running GPT-Live sessions of this process, by id, so a sideband
//! (`/v1/live/sessions/{id}/attach`) can watch and steer one, and a fork
//! (`/v1/live/sessions/{id}/fork`) can start a new session from one.
//!
//! A primary session registers a [`Hub`] when it starts and removes it when it ends. Every
//! event it sends is also broadcast (in its sideband form) to attached sidebands, and the
//! sidebands' commands reach the primary session through the hub's command channel. The
//! session keeps its current snapshot and its conversation so far in the hub, for forks.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use rtclient_protocol::ErrorCode;
use rtclient_protocol::live::{InitialContent, InitialItem, InitialRole, SessionResource};
use tokio::sync::{broadcast, mpsc};

use crate::session::errors::ClientError;
use crate::session::lock::lock;

/// How many sideband events may wait for a slow sideband before it misses some (the service
/// drops reflected frames too: gaps are dropped frames).
const SIDEBAND_BACKLOG: usize = 1024;

/// What a sideband needs from a running session.
#[derive(Debug, Clone)]
pub(super) struct Hub {
    /// Server events for sidebands, as JSON text.
    pub(super) events: broadcast::Sender<String>,
    /// Commands from sidebands, as JSON text.
    pub(super) commands: mpsc::UnboundedSender<String>,
    /// The session as it is now, and what was said in it.
    pub(super) state: Arc<Mutex<SessionState>>,
}

/// A running session's current snapshot and conversation.
#[derive(Debug, Clone)]
pub(super) struct SessionState {
    /// The resolved session (sent to a sideband when it attaches).
    pub(super) session: SessionResource,
    /// The messages of the session so far, oldest first, as startup history items.
    pub(super) conversation: Vec<InitialItem>,
}

impl Hub {
    /// A copy of the session's state.
    pub(super) fn state(&self) -> SessionState {
        lock(&self.state).clone()
    }
}

type Registry = Mutex<HashMap<String, Hub>>;

/// Every running session of the process. Session ids are random, so servers in one process
/// (tests) never see each other's sessions by accident.
fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(Registry::default)
}

/// A registered session: removed from the registry when dropped.
#[derive(Debug)]
pub(super) struct Registration {
    id: String,
    pub(super) events: broadcast::Sender<String>,
    state: Arc<Mutex<SessionState>>,
}

impl Registration {
    /// Registers `session`; returns the registration and the receiver of sideband commands.
    pub(super) fn new(session: SessionResource) -> (Self, mpsc::UnboundedReceiver<String>) {
        let (events, _) = broadcast::channel(SIDEBAND_BACKLOG);
        let (commands, command_rx) = mpsc::unbounded_channel();
        let id = session.id.clone();
        let state = Arc::new(Mutex::new(SessionState {
            session,
            conversation: Vec::new(),
        }));
        let hub = Hub {
            events: events.clone(),
            commands,
            state: Arc::clone(&state),
        };
        lock(registry()).insert(id.clone(), hub);
        (Self { id, events, state }, command_rx)
    }

    /// Keeps `session` as the current snapshot.
    pub(super) fn update(&self, session: &SessionResource) {
        lock(&self.state).session = session.clone();
    }

    /// Adds a message to the conversation.
    pub(super) fn remember(&self, role: InitialRole, text: &str) {
        let kind = match role {
            InitialRole::Assistant => "output_text",
            _ => "input_text",
        };
        let item = InitialItem {
            role,
            content: vec![InitialContent {
                text: text.to_owned(),
                kind: Some(kind.to_owned()),
                ..Default::default()
            }],
            kind: Some("message".to_owned()),
            ..Default::default()
        };
        lock(&self.state).conversation.push(item);
    }

    /// Whether any sideband is attached.
    pub(super) fn observed(&self) -> bool {
        self.events.receiver_count() > 0
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        lock(registry()).remove(&self.id);
    }
}

/// The running session `id`, if any.
pub(super) fn find(id: &str) -> Option<Hub> {
    lock(registry()).get(id).cloned()
}

/// The error for a sideband or fork of `id` when no such session is running.
pub(super) fn not_found(id: &str) -> ClientError {
    ClientError::new(
        ErrorCode::SessionNotFound,
        format!("No running Live session with id '{id}'."),
    )
}
