//! A local server on an ephemeral port, and helpers to read a conversation.

use std::time::Duration;

use rtclient::protocol::{Modality, Session};
use rtclient::{ClientConfig, Conversation, ConversationEvent, Dialect, Error, Target};
use rtclient_audio::Pace;
use rtclient_server::Script;
use rtclient_server::{RealtimeSession, Serve, ServerConfig, ServerState};
use tokio::net::TcpListener;

const PATIENCE: Duration = Duration::from_secs(30);

/// Starts a server running `session` and opens a conversation to it in `dialect`.
pub(crate) async fn start(session: RealtimeSession, dialect: Dialect) -> Conversation {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let serve = Serve::new(
        listener,
        ServerState::with_handler(ServerConfig::default(), session),
    );
    let addr = serve.local_addr().unwrap();
    tokio::spawn(serve.into_future());
    let target = Target::custom(&format!("ws://{addr}/v1/realtime?model=gpt-realtime"))
        .unwrap()
        .with_dialect(dialect);
    let config = ClientConfig::builder(target)
        .keepalive_interval(None)
        .build();
    let mut conversation = Conversation::connect(&config).await.unwrap();
    match next(&mut conversation).await {
        ConversationEvent::SessionCreated(_) => {}
        other => panic!("expected session.created, got {other:?}"),
    }
    conversation
}

/// A GA conversation with a server at full speed.
pub(crate) async fn fast() -> Conversation {
    start(RealtimeSession::new().pace(Pace::Max), Dialect::Ga).await
}

/// A GA conversation with a server at full speed running `script`.
pub(crate) async fn scripted(script: &str) -> Conversation {
    let script = Script::from_yaml(script).unwrap();
    start(
        RealtimeSession::new().pace(Pace::Max).script(script),
        Dialect::Ga,
    )
    .await
}

/// Switches the session to text replies and waits for `session.updated`.
pub(crate) async fn text_only(conversation: &mut Conversation) {
    update(
        conversation,
        Session::realtime().output_modality(Modality::Text),
    )
    .await;
}

/// Sends `session.update` and returns the effective session.
pub(crate) async fn update(conversation: &mut Conversation, session: Session) -> Session {
    conversation.handle().update_session(session).await.unwrap();
    loop {
        if let ConversationEvent::SessionUpdated(session) = next(conversation).await {
            return *session;
        }
    }
}

/// The next event, in time.
pub(crate) async fn next(conversation: &mut Conversation) -> ConversationEvent {
    try_next(conversation)
        .await
        .unwrap()
        .expect("the conversation goes on")
}

/// The next result, in time.
pub(crate) async fn try_next(
    conversation: &mut Conversation,
) -> Result<Option<ConversationEvent>, Error> {
    tokio::time::timeout(PATIENCE, conversation.next_event())
        .await
        .expect("an event in time")
}

/// Events up to and including the next `ResponseDone`.
pub(crate) async fn until_done(conversation: &mut Conversation) -> Vec<ConversationEvent> {
    let mut events = Vec::new();
    loop {
        let event = next(conversation).await;
        let done = matches!(event, ConversationEvent::ResponseDone { .. });
        events.push(event);
        if done {
            return events;
        }
    }
}

/// Adds a user message and asks for a response; returns the events up to `response.done`.
pub(crate) async fn turn(conversation: &mut Conversation, text: &str) -> Vec<ConversationEvent> {
    conversation.handle().add_user_text(text).await.unwrap();
    conversation.handle().create_response(None).await.unwrap();
    until_done(conversation).await
}

/// The text deltas of `events`, joined.
pub(crate) fn text(events: &[ConversationEvent]) -> String {
    events
        .iter()
        .filter_map(|event| match event {
            ConversationEvent::TextDelta { delta, .. } => Some(delta.as_str()),
            _ => None,
        })
        .collect()
}

/// The `ResponseDone` ending `events`.
pub(crate) fn outcome(events: &[ConversationEvent]) -> &rtclient::ResponseOutcome {
    match events.last() {
        Some(ConversationEvent::ResponseDone { outcome, .. }) => outcome,
        other => panic!("expected response.done last, got {other:?}"),
    }
}
