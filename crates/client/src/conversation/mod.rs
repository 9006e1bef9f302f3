//! The conversation layer: high-level events, the conversation's state, commands and barge-in.
//!
//! # Overview
//!
//! - [`Conversation`] owns the receiving side of a [`RealtimeClient`]. Its single consumer calls
//!   [`next_event`](Conversation::next_event) (or uses it as a `Stream`); each server event
//!   updates the [`ConversationState`] and comes back as a [`ConversationEvent`]: text and
//!   decoded audio deltas, input transcripts matched to their item by id, complete
//!   [`FunctionCall`](crate::FunctionCall)s, a typed [`ResponseOutcome`] with usage, API
//!   errors, and [`Other`](ConversationEvent::Other) for every other event, unchanged, so
//!   nothing is lost.
//! - [`ConversationHandle`] sends the commands (update the session, send and commit audio, add
//!   text, create or cancel a response, submit a tool's output). It is cheap to clone and works
//!   from any task while another one reads events.
//! - [`Conversation::interrupt`] is barge-in: cancel the response in progress and truncate the
//!   assistant audio being played to what was really heard.
//! - [`Conversation::resume`] carries the conversation over to a new session after the old one
//!   ended (the service closes sessions at 60 minutes with 1001): settings and items, audio
//!   replayed as its transcript.
//!
//! - [`ConversationHandle::create_response`] queues: while a response runs the request waits,
//!   and its [`ResponseHandle`] resolves to exactly the response it created (the matching rule
//!   is in its docs); a queued or not yet created request can be cancelled.
//! - [`Conversation::set_tools`] offers a [`Tools`] registry to the model and runs its calls
//!   (concurrently, each under a timeout, optionally approved), answering each and asking for
//!   one follow-up response per round (see [`tools`](mod@crate::tools)).
//! - [`Conversation::set_playback`] installs a [`PlaybackTracker`]; then speech over the
//!   assistant truncates its audio where playback was ([`ConversationEvent::BargeIn`]).
//! - [`Conversation::set_recycling`] moves to a new session on its own under a
//!   [`RecyclePolicy`]: before the session limit between turns, and after a close or drop
//!   ([`ConversationEvent::SessionRecycled`]).
//! - Every response ends with [`ConversationEvent::TurnMetrics`] (latencies, tokens), and
//!   [`Conversation::usage`] sums the tokens of the whole conversation.
//!
//! Both dialects work alike: a beta connection's events arrive translated into the GA model.
//!
//! # Errors are events, never sticky
//!
//! An `error` event from the server is one [`ConversationEvent::Error`]; it leaves no state
//! behind, so the next command and the next turn work as if it had not happened (unlike the
//! Python `RTClient`, whose first error poisons every later call). Its `error.event_id` is the
//! id the failing command returned. [`next_event`](Conversation::next_event) itself fails only
//! when the connection does: a recoverable [`Error`] (one frame or call skipped, see
//! [`Error::is_recoverable`]) lets the next call go on; any other ends the conversation, e.g.
//! [`Error::ConnectionLost`] or [`Error::Closed`] with the server's close code.
//!
//! # No races
//!
//! - Commands never wait for their answer; answers come through the one event stream, read by
//!   one consumer. There is no second reader to race (the Python `generate_response()` reads
//!   events on its own and races `events()`).
//! - The state is updated inside [`next_event`](Conversation::next_event), exactly when an event
//!   is handed to the application, so it is never ahead of or behind what the application saw.
//!   `next_event` awaits only the socket and then works synchronously, so it is cancel-safe: it
//!   can sit in a `tokio::select!` branch next to a playback or microphone branch.
//! - Barge-in needs the state (is a response running, how much audio of which item arrived), so
//!   [`interrupt`](Conversation::interrupt) is a method of [`Conversation`] rather than of the
//!   handle: the borrow checker lets it run only between two `next_event` calls, when the state
//!   is consistent. A handle asking the event loop through a channel would be answered only once
//!   the loop polls again, and its view of the state would be a different moment's.
//! - The server may have moved on meanwhile (finished the response, sent more audio). That is
//!   harmless: the truncation is clamped to the audio *received*, which the server has, and a
//!   cancel that comes too late is answered by a `response_cancel_not_active`
//!   [`ConversationEvent::Error`] naming the cancel's event id, nothing more. The common case
//!   is covered exactly: when speech started during the response and the session's turn
//!   detection interrupts responses, the server cancels it itself, the state knows, and
//!   `interrupt` sends only the truncation.
//! - A response asked for but not started yet (no `response.created` seen) is not in the state,
//!   so `interrupt` does not cancel it: cancelling it before it exists would be a no-op on the
//!   server anyway. Cancel it through its [`ResponseHandle::cancel`] instead, which cancels it
//!   as soon as it is created (or drops it while still queued).
//!
//! # Example
//!
//! ```no_run
//! use rtclient::{ClientConfig, Conversation, ConversationEvent};
//! use rtclient::protocol::{Modality, Session};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let Some(config) = ClientConfig::from_env()?.into_config() else {
//!     return Err("set OPENAI_API_KEY or AZURE_OPENAI_ENDPOINT".into());
//! };
//! let mut conversation = Conversation::connect(&config).await?;
//! let commands = conversation.handle().clone();
//! commands
//!     .update_session(Session::realtime().output_modality(Modality::Text))
//!     .await?;
//! commands.add_user_text("What is the weather in Paris?").await?;
//! commands.create_response(None).await?;
//!
//! let mut calls = Vec::new();
//! while let Some(event) = conversation.next_event().await? {
//!     match event {
//!         ConversationEvent::TextDelta { delta, .. } => print!("{delta}"),
//!         ConversationEvent::FunctionCall(call) => calls.push(call),
//!         ConversationEvent::ResponseDone { outcome, usage, .. } => {
//!             println!("\n{outcome:?}, {:?} tokens", usage.and_then(|u| u.total_tokens));
//!             if calls.is_empty() || !outcome.is_completed() {
//!                 break;
//!             }
//!             // Run the tools, then let the model go on with their results.
//!             for call in calls.drain(..) {
//!                 commands.submit_tool_output(&call.call_id, r#"{"sky":"clear"}"#).await?;
//!             }
//!         }
//!         ConversationEvent::Error(error) => eprintln!("error: {:?}", error.message),
//!         _ => {}
//!     }
//! }
//! conversation.close(1000, "done").await?;
//! # Ok(())
//! # }
//! ```
//!
//! Barge-in, when the user starts talking over the assistant and the player has played
//! `played_ms` of the current reply:
//!
//! ```no_run
//! # async fn run(conversation: &mut rtclient::Conversation, played_ms: u64) -> Result<(), rtclient::Error> {
//! let interruption = conversation.interrupt(played_ms).await?;
//! if let Some(truncation) = &interruption.truncation {
//!     println!("kept {} ms of {}", truncation.audio_end_ms, truncation.item_id);
//! }
//! # Ok(())
//! # }
//! ```

mod barge_in;
mod event;
mod handle;
mod history;
mod metrics;
mod outbox;
mod playback;
mod recycle;
mod requests;
mod state;

use std::{
    collections::VecDeque,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll, ready},
};

use futures_util::Stream;
use rtclient_protocol::{ServerEvent, Session, ToolChoice, ToolChoiceMode};

pub use event::{
    ConversationEvent, Interruption, RecycleReason, Recycled, ResponseOutcome, TokenUsage,
    Truncation, TurnMetrics, TurnStart,
};
pub use handle::{ConversationHandle, ResponseHandle, ToolOutputSent};
pub use playback::{PacedPlayback, PlaybackTracker, ReportedPlayback};
pub use recycle::{DEFAULT_RECYCLE_NOTE, RecyclePolicy};
pub use requests::{REQUEST_METADATA_KEY, RequestState};
pub use state::{AudioProgress, ConversationState};

use self::{metrics::Metrics, outbox::Outbox, recycle::Recycler};

use crate::{
    client::{EventReceiver, EventSender, FrameDirection, FrameObserver, RealtimeClient},
    config::ClientConfig,
    error::Error,
    tools::{ToolRunner, Tools},
};

/// A Realtime conversation: reads the server's events into [`ConversationEvent`]s and a
/// [`ConversationState`]; commands go through its [`ConversationHandle`]. See the
/// [module docs](self).
pub struct Conversation {
    handle: ConversationHandle,
    receiver: EventReceiver,
    state: ConversationState,
    pending: VecDeque<ConversationEvent>,
    outbox: Outbox,
    tools: Option<ToolRunner>,
    playback: Option<Arc<dyn PlaybackTracker>>,
    recycler: Option<Recycler>,
    metrics: Metrics,
    frames: Option<FrameObserver>,
}

impl std::fmt::Debug for Conversation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conversation")
            .field("handle", &self.handle)
            .field("state", &self.state)
            .field("pending", &self.pending.len())
            .field("tools", &self.tools)
            .field("playback", &self.playback)
            .field("recycler", &self.recycler)
            .field("observed", &self.frames.is_some())
            .finish_non_exhaustive()
    }
}

/// What [`Conversation::resume`] carried over to the new session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resumption {
    /// The event id of the `session.update` restoring the settings; `None` when the old
    /// session's settings were never seen.
    pub session_event_id: Option<String>,
    /// Items replayed, in conversation order.
    pub replayed: usize,
    /// Items left out: audio without a transcript, and item kinds a client cannot create.
    pub skipped: usize,
}

impl Conversation {
    /// Connects as [`RealtimeClient::connect`] does and starts a conversation on it.
    pub async fn connect(config: &ClientConfig) -> Result<Self, Error> {
        RealtimeClient::connect(config).await.map(Self::new)
    }

    /// Starts a conversation on an open client. Events the client received before are not
    /// part of the state; start before the first `recv` to see `session.created`.
    pub fn new(client: RealtimeClient) -> Self {
        let (sender, receiver) = client.split();
        Self {
            handle: ConversationHandle::new(sender),
            receiver,
            state: ConversationState::default(),
            pending: VecDeque::new(),
            outbox: Outbox::default(),
            tools: None,
            playback: None,
            recycler: None,
            metrics: Metrics::default(),
            frames: None,
        }
    }

    /// Carries the conversation over to a new session: after the old one ended (the service's
    /// session limit closes with 1001 "Your session hit the maximum duration of 60 minutes.", or
    /// the connection was lost), or to move to a fresh session early (the old connection is
    /// dropped).
    ///
    /// Connects with `config`, restores the old session's settings with `session.update`, and
    /// replays its items, so the model keeps the context: text as it was, audio as its
    /// transcript (the conversation keeps no audio), tool calls and their outputs as they were,
    /// each with its old id. Every clone of the [`ConversationHandle`] sends to the new session
    /// from now on. The new session's events (`session.created`, `session.updated`, the
    /// replayed items) come through [`next_event`](Conversation::next_event) as usual and
    /// rebuild the state. A response that was running when the old session ended is not
    /// resumed; ask again.
    pub async fn resume(&mut self, config: &ClientConfig) -> Result<Resumption, Error> {
        let (sender, receiver) = RealtimeClient::connect(config).await?.split();
        let replay = history::replay(&self.state, None);
        self.install(sender, receiver);
        let mut session_event_id = None;
        for (at, event) in replay.events.into_iter().enumerate() {
            let event_id = self.handle.send(event).await?;
            if at == 0 && replay.restores_session {
                session_event_id = Some(event_id);
            }
        }
        Ok(Resumption {
            session_event_id,
            replayed: replay.replayed,
            skipped: replay.skipped,
        })
    }

    /// Shows every frame the conversation sends or receives to `observer`, as the text on the
    /// wire (in the connection's dialect): for session logs and raw output. Applies to every
    /// clone of the handle, and to the sessions the conversation is resumed or recycled into.
    pub fn observe_frames(
        &mut self,
        observer: impl Fn(FrameDirection, &str) + Send + Sync + 'static,
    ) {
        let observer: FrameObserver = Arc::new(observer);
        self.frames = Some(Arc::clone(&observer));
        self.handle.replace(self.handle.sender().observed(observer));
    }

    /// `sender`, observed when frames are observed.
    fn observed(&self, sender: EventSender) -> EventSender {
        match &self.frames {
            Some(observer) => sender.observed(Arc::clone(observer)),
            None => sender,
        }
    }

    /// Moves the conversation to a new session's connection: every handle sends there, the
    /// state starts again from the new session's events, requests that were sent and not
    /// answered are queued again and running ones are lost.
    fn install(&mut self, sender: EventSender, receiver: EventReceiver) {
        self.state = ConversationState::default();
        self.handle.replace(self.observed(sender));
        self.receiver = receiver;
        self.pending.clear();
        self.outbox.clear();
        self.handle.requests().session_ended();
        self.metrics.session_ended();
        if let Some(runner) = &mut self.tools {
            runner.session_ended();
        }
    }

    /// The next event, with the state updated for it.
    ///
    /// - `Ok(Some(event))`: one event; API errors are [`ConversationEvent::Error`], not `Err`.
    /// - `Err(error)` with [`error.is_recoverable()`](Error::is_recoverable): one frame was
    ///   skipped (unparsable, binary, or undecodable audio); call again.
    /// - `Ok(None)` or any other `Err`: the connection ended (after our own close, or with the
    ///   server's close code, or lost).
    ///
    /// Cancel-safe: dropping the future before it completes loses no event.
    pub async fn next_event(&mut self) -> Result<Option<ConversationEvent>, Error> {
        std::future::poll_fn(|cx| self.poll_event(cx)).await
    }

    /// Polls for the next event: the poll form of [`next_event`](Conversation::next_event).
    pub fn poll_event(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Option<ConversationEvent>, Error>> {
        loop {
            self.outbox.poll(cx);
            if let Some(event) = self.pending.pop_front() {
                return Poll::Ready(Ok(Some(event)));
            }
            ready!(self.poll_recycle(cx))?;
            if !self.pending.is_empty() {
                continue;
            }
            if let Some(runner) = &mut self.tools
                && let Poll::Ready((done, follow_up)) = runner.poll_done(cx)
            {
                self.pending
                    .push_back(ConversationEvent::ToolCallDone(done));
                if follow_up {
                    self.follow_up()?;
                }
                continue;
            }
            let received = ready!(self.receiver.poll_recv_raw(cx)).and_then(|raw| match raw {
                Some(raw) => {
                    if let Some(observer) = &self.frames {
                        observer(FrameDirection::Received, &raw.text);
                    }
                    raw.event.map(Some)
                }
                None => Ok(None),
            });
            match received {
                Ok(Some(event)) => {
                    if let Some(recycler) = &mut self.recycler {
                        recycler.observe(&event);
                    }
                    let handled = self.follow_requests(&event)?;
                    self.outbox.poll(cx);
                    if handled {
                        continue;
                    }
                    let before = self.pending.len();
                    // An error may come with events queued before it (a skipped call of a
                    // `response.done`): they are reacted to, and reported after the error.
                    let applied = self.state.apply(event, &mut self.pending);
                    self.react(before)?;
                    applied?;
                }
                Ok(None) => return Poll::Ready(Ok(None)),
                Err(error) if error.is_recoverable() => return Poll::Ready(Err(error)),
                Err(error) => self.recycle_after(error)?,
            }
        }
    }

    /// Moves the response requests along with `event`, and sends what that calls for: a
    /// `response.cancel` for a response cancelled before it existed, the next queued
    /// `response.create` once nothing runs. Returns `true` for an error that only said a
    /// request came too early (it is queued again, not reported).
    fn follow_requests(&mut self, event: &ServerEvent) -> Result<bool, Error> {
        let sender = self.handle.sender();
        let mut handled = false;
        match event {
            ServerEvent::ResponseCreated(created) => {
                let response_id = created.response.id.as_deref().unwrap_or_default();
                let metadata = created.response.metadata.as_ref();
                let cancel = self.handle.requests().created(response_id, metadata);
                if let Some(response_id) = cancel {
                    let text = sender.encode(handle::cancel_event(response_id))?.text;
                    self.outbox.push(sender.clone(), text);
                }
            }
            ServerEvent::ResponseDone(done) => {
                let response_id = done.response.id.as_deref().unwrap_or_default();
                let outcome = ResponseOutcome::of(&done.response);
                self.handle.requests().done(response_id, &outcome);
            }
            ServerEvent::Error(error) => handled = self.handle.requests().error(&error.error),
            _ => return Ok(false),
        }
        if let Some(text) = self.handle.next_request(&sender)? {
            self.outbox.push(sender, text);
        }
        Ok(handled)
    }

    /// Offers `tools` to the model (`session.update` of `tools`, with `tool_choice` `auto`) and
    /// runs their calls from now on, as [`Tools`] describes. Returns the update's event id.
    /// Calls already running keep running; their rounds are forgotten.
    pub async fn set_tools(&mut self, tools: Tools) -> Result<String, Error> {
        let session = Session::realtime()
            .tools(tools.definitions())
            .tool_choice(ToolChoice::Mode(ToolChoiceMode::Auto));
        self.tools = Some(ToolRunner::new(tools));
        self.handle.update_session(session).await
    }

    /// Installs `tracker`: from now on the conversation tells it what audio arrived and, when
    /// the user starts speaking over the assistant, truncates the item being played at the
    /// position the tracker reports (see [`ConversationEvent::BargeIn`]).
    pub fn set_playback(&mut self, tracker: impl PlaybackTracker + 'static) {
        self.playback = Some(Arc::new(tracker));
    }

    /// Acts on the events queued from `from` on: runs the registered tools' calls (and asks
    /// for the follow-up of a round that ended with its response), feeds the playback
    /// tracker, and barges in when the user starts speaking.
    fn react(&mut self, from: usize) -> Result<(), Error> {
        let mut follow_up = false;
        let mut speech_started = false;
        let mut audio_item = None;
        let mut turns = Vec::new();
        let now = std::time::Instant::now();
        for event in self.pending.range(from..) {
            turns.extend(self.metrics.observe(event, now));
            match event {
                ConversationEvent::FunctionCall(call) => {
                    if let Some(runner) = &mut self.tools {
                        runner.start(call, &self.handle);
                    }
                }
                ConversationEvent::ResponseDone {
                    response_id,
                    outcome,
                    ..
                } => {
                    if let Some(runner) = &mut self.tools {
                        follow_up |= runner.response_done(response_id, outcome.is_completed());
                    }
                }
                ConversationEvent::AudioDelta { item_id, .. } => audio_item = Some(item_id.clone()),
                ConversationEvent::SpeechStarted { .. } => speech_started = true,
                _ => {}
            }
        }
        self.pending
            .extend(turns.into_iter().map(ConversationEvent::TurnMetrics));
        if let Some(item_id) = audio_item {
            self.track_audio(&item_id);
        }
        if speech_started {
            self.barge_in()?;
        }
        if follow_up {
            self.follow_up()?;
        }
        Ok(())
    }

    /// Asks for the one response that follows a round of tool outputs.
    fn follow_up(&mut self) -> Result<(), Error> {
        let sender = self.handle.sender();
        self.handle.queue_response(None);
        if let Some(text) = self.handle.next_request(&sender)? {
            self.outbox.push(sender, text);
        }
        Ok(())
    }

    /// Token usage of every response of the conversation so far, summed across the sessions it
    /// was recycled or resumed into.
    pub fn usage(&self) -> TokenUsage {
        self.metrics.total()
    }

    /// The commands; clone it to send from other tasks.
    pub fn handle(&self) -> &ConversationHandle {
        &self.handle
    }

    /// What the conversation knows, as of the last event returned.
    pub fn state(&self) -> &ConversationState {
        &self.state
    }

    /// Closes with `code` (1000 for a normal end) and `reason`, then waits for the server's
    /// reply as [`RealtimeClient::close`] does; events still arriving are discarded.
    pub async fn close(mut self, code: u16, reason: &str) -> Result<(), Error> {
        self.handle.sender().close(code, reason).await?;
        self.receiver.wait_closed().await
    }
}

impl From<RealtimeClient> for Conversation {
    fn from(client: RealtimeClient) -> Self {
        Self::new(client)
    }
}

/// The events as a stream: `next_event`'s results, ending after `Ok(None)`.
impl Stream for Conversation {
    type Item = Result<ConversationEvent, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_event(cx).map(Result::transpose)
    }
}
