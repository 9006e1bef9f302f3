//! A server on an ephemeral port and a raw JSON client.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rtclient_audio::Pace;
use rtclient_protocol::Dialect;
use rtclient_server::{RealtimeSession, Serve, ServerConfig, ServerState};
use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

const PATIENCE: Duration = Duration::from_secs(30);

/// A connected test client.
pub(crate) struct Client {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    dialect: Dialect,
}

/// Starts a server with `session` and connects to `path` (GA unless `beta`).
pub(crate) async fn connect_with(session: RealtimeSession, path: &str, beta: bool) -> Client {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let state = ServerState::with_handler(ServerConfig::default(), session);
    let serve = Serve::new(listener, state);
    let addr = serve.local_addr().unwrap();
    tokio::spawn(serve.into_future());
    let mut request = format!("ws://{addr}{path}").into_client_request().unwrap();
    if beta {
        request
            .headers_mut()
            .insert("OpenAI-Beta", HeaderValue::from_static("realtime=v1"));
    }
    let (ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    Client {
        ws,
        dialect: if beta || path.starts_with("/openai/realtime") {
            Dialect::Beta
        } else {
            Dialect::Ga
        },
    }
}

/// A GA client of a server running `session`.
pub(crate) async fn connect_to(session: RealtimeSession) -> Client {
    connect_with(session, "/v1/realtime?model=gpt-realtime", false).await
}

/// A beta (`OpenAI-Beta: realtime=v1`) client of a server with `Pace::Max`.
pub(crate) async fn connect_beta() -> Client {
    connect_with(
        RealtimeSession::new().pace(Pace::Max),
        "/v1/realtime?model=gpt-4o-realtime-preview",
        true,
    )
    .await
}

/// A GA client of a server with `Pace::Max`.
pub(crate) async fn connect() -> Client {
    connect_to(RealtimeSession::new().pace(Pace::Max)).await
}

impl Client {
    /// Sends a JSON event.
    pub(crate) async fn send(&mut self, event: Value) {
        self.ws
            .send(Message::text(event.to_string()))
            .await
            .unwrap();
    }

    /// Sends a raw frame.
    pub(crate) async fn send_raw(&mut self, message: Message) {
        self.ws.send(message).await.unwrap();
    }

    /// The next server event; it must parse with the protocol crate in the session's dialect.
    pub(crate) async fn next(&mut self) -> Value {
        loop {
            let message = tokio::time::timeout(PATIENCE, self.ws.next())
                .await
                .expect("an event in time")
                .expect("connection open")
                .unwrap();
            if let Message::Text(text) = message {
                let parsed = self.dialect.parse_server_event(text.as_str());
                assert!(parsed.is_ok(), "unparsable event {text}");
                return serde_json::from_str(text.as_str()).unwrap();
            }
        }
    }

    /// The next event, which must be of type `kind`.
    pub(crate) async fn expect(&mut self, kind: &str) -> Value {
        let event = self.next().await;
        assert_eq!(event["type"], kind, "unexpected event {event}");
        event
    }

    /// Events up to and including the first of type `kind`.
    pub(crate) async fn until(&mut self, kind: &str) -> Vec<Value> {
        let mut events = Vec::new();
        loop {
            let event = self.next().await;
            let done = event["type"] == kind;
            events.push(event);
            if done {
                return events;
            }
        }
    }

    /// Sends a GA `session.update` of `session` (its `type: "realtime"` added) and returns the
    /// `session.updated` that must answer it.
    pub(crate) async fn update(&mut self, mut session: Value) -> Value {
        session["type"] = "realtime".into();
        self.send(serde_json::json!({"type": "session.update", "session": session}))
            .await;
        self.expect("session.updated").await
    }

    /// Adds a user message with `text` and returns its `conversation.item.added` (beta:
    /// `conversation.item.created`; GA: the `conversation.item.done` that follows is read too).
    pub(crate) async fn add_user_text(&mut self, text: &str) -> Value {
        self.send(user_text(text)).await;
        if self.dialect == Dialect::Beta {
            return self.expect("conversation.item.created").await;
        }
        let added = self.expect("conversation.item.added").await;
        self.expect("conversation.item.done").await;
        added
    }

    /// The audio of item `item_id`, by `conversation.item.retrieve`.
    pub(crate) async fn retrieve_audio(&mut self, item_id: &Value) -> Vec<u8> {
        use base64::Engine as _;
        self.send(serde_json::json!({"type": "conversation.item.retrieve", "item_id": item_id}))
            .await;
        let retrieved = self.until("conversation.item.retrieved").await;
        let item = &retrieved[retrieved.len() - 1]["item"];
        base64::engine::general_purpose::STANDARD
            .decode(item["content"][0]["audio"].as_str().unwrap())
            .unwrap()
    }

    /// Appends `ms` of silence.
    pub(crate) async fn append_silence(&mut self, ms: usize) {
        self.send(
            serde_json::json!({"type": "input_audio_buffer.append", "audio": silence_b64(ms)}),
        )
        .await;
    }

    /// Appends `ms` of silence and commits it.
    pub(crate) async fn commit_silence(&mut self, ms: usize) {
        self.append_silence(ms).await;
        self.send(serde_json::json!({"type": "input_audio_buffer.commit"}))
            .await;
    }

    /// Asserts nothing arrives for a short while.
    pub(crate) async fn quiet(&mut self) {
        let got = tokio::time::timeout(Duration::from_millis(300), self.ws.next()).await;
        assert!(got.is_err(), "unexpected frame {got:?}");
    }
}

/// How a connection ended, seen from the client.
#[derive(Debug, PartialEq)]
pub(crate) enum End {
    /// The server sent a close frame.
    Closed(u16, String),
    /// The connection ended with no close frame.
    Dropped,
}

impl Client {
    /// Every event until the connection ends, and how it ended.
    pub(crate) async fn until_end(&mut self) -> (Vec<Value>, End) {
        let mut events = Vec::new();
        loop {
            let message = tokio::time::timeout(PATIENCE, self.ws.next())
                .await
                .expect("the connection to end in time");
            match message {
                Some(Ok(Message::Text(text))) => {
                    events.push(serde_json::from_str(text.as_str()).unwrap());
                }
                Some(Ok(Message::Close(frame))) => {
                    let frame = frame.expect("a close code");
                    return (
                        events,
                        End::Closed(frame.code.into(), frame.reason.to_string()),
                    );
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return (events, End::Dropped),
            }
        }
    }
}

/// A `conversation.item.create` of a user message with `text`.
pub(crate) fn user_text(text: &str) -> Value {
    serde_json::json!({"type": "conversation.item.create", "item": {"type": "message",
        "role": "user", "content": [{"type": "input_text", "text": text}]}})
}

/// The output audio of a response's `response.output_audio.delta` events.
pub(crate) fn output_audio(events: &[Value]) -> Vec<u8> {
    use base64::Engine as _;
    events
        .iter()
        .filter(|e| e["type"] == "response.output_audio.delta")
        .flat_map(|e| {
            base64::engine::general_purpose::STANDARD
                .decode(e["delta"].as_str().unwrap())
                .unwrap()
        })
        .collect()
}

/// The `type`s of `events`, in order.
pub(crate) fn kinds(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["type"].as_str().unwrap()).collect()
}

/// `n` ms of 24 kHz PCM16 silence, base64.
fn silence_b64(ms: usize) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(vec![0u8; ms * 48])
}
