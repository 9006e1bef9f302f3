//! Automatic session recycling: a conversation that moves to a new session on its own, before
//! the service's session limit (between turns) and after an unexpected close or drop, keeping
//! its settings, its history and every handle.
//!
//! Opt in with [`Conversation::set_recycling`] and a [`RecyclePolicy`]. A recycle connects
//! again (retrying with backoff), restores the settings with `session.update`, replays the
//! history as [`Conversation::resume`] does (text as it was, audio as its transcript, tool
//! rounds as they were) followed by a short system note so the model carries on naturally,
//! and only then points the handles at the new session, so nothing the application sends can
//! overtake the history. The application sees one [`ConversationEvent::SessionRecycled`].
//!
//! Never retried: closes and handshake answers that say the request itself is wrong (close
//! 3000 for auth, 4000 for the request shape; HTTP 400, 401, 403, 404) and sessions that
//! reported a fatal error code (`invalid_api_key`, `insufficient_quota`, ...); then
//! [`Conversation::next_event`] returns the error as without recycling.

use std::{
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Duration,
};

use rtclient_protocol::ServerEvent;
use tokio::time::Sleep;

use crate::{
    client::{EventReceiver, EventSender, FrameObserver, RealtimeClient},
    config::ClientConfig,
    conversation::{
        Conversation,
        event::{ConversationEvent, RecycleReason, Recycled},
        history,
    },
    error::Error,
};

/// The note added after the replayed history, by default.
pub const DEFAULT_RECYCLE_NOTE: &str = "The conversation continues in a new session: the \
    messages above are its history (spoken turns as their transcripts). Carry on naturally \
    without mentioning the change.";

/// When and how a conversation moves to a new session on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecyclePolicy {
    /// Move to a new session once the current one is this old, at the first moment between
    /// turns (no response running or asked for, no tool call running, the user not speaking).
    /// Default 55 minutes, before the service's 60. `None`: only after a close or drop.
    pub max_session_duration: Option<Duration>,
    /// Connection attempts per recycle before giving up with the last error (default 5).
    pub reconnect_attempts: u32,
    /// Wait before the second attempt (default 500 ms); it doubles after each failure.
    pub initial_backoff: Duration,
    /// The longest wait between attempts (default 10 s).
    pub max_backoff: Duration,
    /// Close codes that end the conversation instead (default 3000 auth, 4000 request shape,
    /// and 1002, 1003, 1007, 1008, 1009, 1010 where retrying sends the same thing again).
    pub fatal_close_codes: Vec<u16>,
    /// `error` codes after which the session is not recycled (default `invalid_api_key`,
    /// `insufficient_quota`, `beta_api_shape_disabled`, `missing_model`, `invalid_model`).
    pub fatal_error_codes: Vec<String>,
    /// The system message added after the replayed history ([`DEFAULT_RECYCLE_NOTE`]);
    /// `None` adds none.
    pub note: Option<String>,
}

impl Default for RecyclePolicy {
    fn default() -> Self {
        Self {
            max_session_duration: Some(Duration::from_secs(55 * 60)),
            reconnect_attempts: 5,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(10),
            fatal_close_codes: vec![1002, 1003, 1007, 1008, 1009, 1010, 3000, 4000],
            fatal_error_codes: [
                "invalid_api_key",
                "insufficient_quota",
                "beta_api_shape_disabled",
                "missing_model",
                "invalid_model",
            ]
            .map(str::to_owned)
            .to_vec(),
            note: Some(DEFAULT_RECYCLE_NOTE.to_owned()),
        }
    }
}

impl RecyclePolicy {
    /// Sets [`max_session_duration`](RecyclePolicy::max_session_duration).
    pub fn max_session_duration(mut self, duration: Option<Duration>) -> Self {
        self.max_session_duration = duration;
        self
    }

    /// Sets [`reconnect_attempts`](RecyclePolicy::reconnect_attempts) (at least 1).
    pub fn reconnect_attempts(mut self, attempts: u32) -> Self {
        self.reconnect_attempts = attempts.max(1);
        self
    }

    /// Sets the first and the longest wait between attempts.
    pub fn backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max.max(initial);
        self
    }

    /// Sets [`note`](RecyclePolicy::note).
    pub fn note(mut self, note: Option<String>) -> Self {
        self.note = note;
        self
    }

    /// Whether `error`, ending a session, may be answered by a new one.
    pub fn retries(&self, error: &Error) -> bool {
        match error {
            Error::Closed { code, .. } => !self.fatal_close_codes.contains(code),
            Error::Handshake { status, code, .. } => {
                let fatal_code = code
                    .as_ref()
                    .is_some_and(|code| self.fatal_error_codes.contains(code));
                !fatal_code && (*status == 429 || *status >= 500)
            }
            Error::ConnectionLost { .. }
            | Error::KeepaliveTimeout { .. }
            | Error::Connect { .. }
            | Error::ConnectTimeout { .. }
            | Error::WebSocket { .. } => true,
            _ => false,
        }
    }

    fn backoff_before(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(2).min(16);
        self.initial_backoff
            .saturating_mul(1 << doublings)
            .min(self.max_backoff)
    }
}

type Reconnecting = Pin<Box<dyn Future<Output = Result<Reconnected, Error>> + Send>>;

/// A new session with the history replayed into it.
struct Reconnected {
    sender: EventSender,
    receiver: EventReceiver,
    attempts: u32,
}

/// The conversation's recycling: its policy and where the current session stands.
pub(super) struct Recycler {
    config: ClientConfig,
    policy: RecyclePolicy,
    /// Fires when the session reaches its maximum duration.
    deadline: Option<Pin<Box<Sleep>>>,
    /// The maximum duration was reached: recycle at the next moment between turns.
    due: bool,
    /// A fatal error code the session reported.
    fatal: bool,
    user_speaking: bool,
    reconnecting: Option<(Reconnecting, Recycled)>,
}

impl std::fmt::Debug for Recycler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recycler")
            .field("policy", &self.policy)
            .field("due", &self.due)
            .field("reconnecting", &self.reconnecting.is_some())
            .finish_non_exhaustive()
    }
}

impl Recycler {
    pub(super) fn new(config: ClientConfig, policy: RecyclePolicy) -> Self {
        let mut recycler = Self {
            config,
            policy,
            deadline: None,
            due: false,
            fatal: false,
            user_speaking: false,
            reconnecting: None,
        };
        recycler.session_started();
        recycler
    }

    fn session_started(&mut self) {
        self.due = false;
        self.fatal = false;
        self.user_speaking = false;
        self.deadline = self
            .policy
            .max_session_duration
            .map(|after| Box::pin(tokio::time::sleep(after)));
    }

    /// Follows the events that matter for when and whether to recycle.
    pub(super) fn observe(&mut self, event: &ServerEvent) {
        match event {
            ServerEvent::InputAudioBufferSpeechStarted(_) => self.user_speaking = true,
            ServerEvent::InputAudioBufferSpeechStopped(_)
            | ServerEvent::InputAudioBufferCommitted(_)
            | ServerEvent::InputAudioBufferCleared(_) => self.user_speaking = false,
            ServerEvent::Error(error) => {
                let code = error.error.code.as_ref().and_then(|code| code.value());
                if code.is_some_and(|code| self.policy.fatal_error_codes.contains(code)) {
                    self.fatal = true;
                }
            }
            _ => {}
        }
    }

    fn poll_deadline(&mut self, cx: &mut Context<'_>) {
        if let Some(deadline) = &mut self.deadline
            && deadline.as_mut().poll(cx).is_ready()
        {
            self.deadline = None;
            self.due = true;
        }
    }
}

impl Conversation {
    /// Turns on automatic session recycling under `policy`, connecting with `config` (the
    /// configuration this conversation was opened with, or another one). See
    /// [`RecyclePolicy`]; the session's age counts from this call.
    pub fn set_recycling(&mut self, config: ClientConfig, policy: RecyclePolicy) {
        self.recycler = Some(Recycler::new(config, policy));
    }

    /// Drives a recycle in progress, and starts one when the session is due and the
    /// conversation is between turns. `Ready` carries what to report (the recycle, or the
    /// error that ended it).
    pub(super) fn poll_recycle(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let Some(recycler) = &mut self.recycler else {
            return Poll::Ready(Ok(()));
        };
        recycler.poll_deadline(cx);
        if recycler.reconnecting.is_none() && recycler.due && !recycler.user_speaking {
            let busy = self.handle.requests().busy()
                || self.state.active_response().is_some()
                || self.tools.as_ref().is_some_and(|tools| tools.busy());
            if !busy {
                self.start_recycle(RecycleReason::MaxSessionDuration);
            }
        }
        let Some(recycler) = &mut self.recycler else {
            return Poll::Ready(Ok(()));
        };
        let Some((reconnecting, _)) = &mut recycler.reconnecting else {
            return Poll::Ready(Ok(()));
        };
        let result = match reconnecting.as_mut().poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(result) => result,
        };
        let Some((_, mut recycled)) = recycler.reconnecting.take() else {
            return Poll::Ready(Ok(()));
        };
        recycler.session_started();
        let reconnected = result?;
        recycled.attempts = reconnected.attempts;
        let old = self.handle.sender();
        self.install(reconnected.sender, reconnected.receiver);
        // The old session is over for us; close it politely if it is still open.
        tokio::spawn(async move {
            let _ = old.close(1000, "moved to a new session").await;
        });
        tracing::info!(reason = ?recycled.reason, attempts = recycled.attempts, replayed = recycled.replayed, "conversation moved to a new session");
        self.pending
            .push_back(ConversationEvent::SessionRecycled(recycled));
        let sender = self.handle.sender();
        if let Some(text) = self.handle.next_request(&sender)? {
            self.outbox.push(sender, text);
        }
        Poll::Ready(Ok(()))
    }

    /// The session ended with `error`: recycle if the policy allows, else hand the error back.
    pub(super) fn recycle_after(&mut self, error: Error) -> Result<(), Error> {
        let Some(recycler) = &self.recycler else {
            return Err(error);
        };
        if recycler.fatal || !recycler.policy.retries(&error) {
            return Err(error);
        }
        let reason = match &error {
            Error::Closed { code, reason } => RecycleReason::Closed {
                code: *code,
                reason: reason.clone(),
            },
            other => RecycleReason::Lost(other.to_string()),
        };
        self.start_recycle(reason);
        Ok(())
    }

    /// Starts connecting to a new session and replaying the history into it.
    fn start_recycle(&mut self, reason: RecycleReason) {
        let Some(recycler) = &mut self.recycler else {
            return;
        };
        let replay = history::replay(&self.state, recycler.policy.note.as_deref());
        let recycled = Recycled {
            reason,
            attempts: 0,
            replayed: replay.replayed,
            skipped: replay.skipped,
        };
        let (config, policy) = (recycler.config.clone(), recycler.policy.clone());
        let frames = self.frames.clone();
        let reconnecting = Box::pin(async move {
            let mut attempt = 0;
            loop {
                attempt += 1;
                if attempt > 1 {
                    tokio::time::sleep(policy.backoff_before(attempt)).await;
                }
                match reconnect(&config, frames.as_ref(), &replay.events).await {
                    Ok((sender, receiver)) => {
                        return Ok(Reconnected {
                            sender,
                            receiver,
                            attempts: attempt,
                        });
                    }
                    Err(error) if attempt < policy.reconnect_attempts && policy.retries(&error) => {
                        tracing::debug!(%error, attempt, "reconnect failed; trying again");
                    }
                    Err(error) => return Err(error),
                }
            }
        });
        recycler.reconnecting = Some((reconnecting, recycled));
    }
}

/// One attempt: connect and replay (frames shown to `frames`).
async fn reconnect(
    config: &ClientConfig,
    frames: Option<&FrameObserver>,
    replay: &[rtclient_protocol::ClientEvent],
) -> Result<(EventSender, EventReceiver), Error> {
    let (sender, receiver) = RealtimeClient::connect(config).await?.split();
    let sender = match frames {
        Some(observer) => sender.observed(Arc::clone(observer)),
        None => sender,
    };
    for event in replay {
        sender.send(event.clone()).await?;
    }
    Ok((sender, receiver))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fatal_closes_and_handshakes_are_not_retried() {
        let policy = RecyclePolicy::default();
        let closed = |code| Error::Closed {
            code,
            reason: String::new(),
        };
        assert!(policy.retries(&closed(1001)));
        assert!(policy.retries(&closed(1011)));
        assert!(!policy.retries(&closed(3000)));
        assert!(!policy.retries(&closed(4000)));
        let handshake = |status, code: Option<&str>| Error::Handshake {
            status,
            code: code.map(str::to_owned),
            message: None,
            body: String::new(),
            retry_after: None,
        };
        assert!(!policy.retries(&handshake(401, Some("invalid_api_key"))));
        assert!(!policy.retries(&handshake(429, Some("insufficient_quota"))));
        assert!(policy.retries(&handshake(429, Some("rate_limit_exceeded"))));
        assert!(policy.retries(&handshake(503, None)));
        assert!(!policy.retries(&Error::Disconnected));
    }

    #[test]
    fn backoff_doubles_up_to_the_limit() {
        let policy = RecyclePolicy::default()
            .backoff(Duration::from_millis(100), Duration::from_millis(350));
        let waits: Vec<_> = (2..=5)
            .map(|a| policy.backoff_before(a).as_millis())
            .collect();
        assert_eq!(waits, [100, 200, 350, 350]);
    }
}
