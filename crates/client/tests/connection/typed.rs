//! The typed layer: event ids, error events, unparsable frames, the beta dialect, split halves,
//! the event stream and the typed close.

use std::collections::HashSet;

use futures_util::{SinkExt, StreamExt};
use rtclient::{
    ClientConfig, ClientEvent, Dialect, Error, RealtimeClient, ServerEvent, Target,
    protocol::{ApiError, ServerVad, Session},
};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::{Message, protocol::frame::coding::CloseCode};

use crate::server::{Seen, Server, accept, listen, within};

/// A typed client in `dialect` connected to a loopback server; returns the listener (keep it
/// alive), the client, the server's socket and what the server saw.
pub(crate) async fn typed_pair(dialect: Dialect) -> (TcpListener, RealtimeClient, Server, Seen) {
    let (listener, base) = listen().await;
    let config = ClientConfig::builder(Target::custom(&base).unwrap().with_dialect(dialect))
        .keepalive_interval(None)
        .build();
    let ((socket, seen), client) =
        within(async { tokio::join!(accept(&listener), RealtimeClient::connect(&config)) }).await;
    (listener, client.unwrap(), socket, seen)
}

/// The next text frame the server receives, as JSON.
pub(crate) async fn next_json(socket: &mut Server) -> Value {
    loop {
        match socket.next().await {
            Some(Ok(Message::Text(text))) => return serde_json::from_str(text.as_str()).unwrap(),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
            other => panic!("expected a text frame, got {other:?}"),
        }
    }
}

async fn send_json(socket: &mut Server, value: Value) {
    socket.send(Message::text(value.to_string())).await.unwrap();
}

#[tokio::test]
async fn send_assigns_unique_event_ids_and_keeps_explicit_ones() {
    let (_listener, client, mut socket, _seen) = typed_pair(Dialect::Ga).await;
    within(async {
        let mut returned = Vec::new();
        for event in [
            ClientEvent::commit(),
            ClientEvent::append_audio(&[1, 2, 3]),
            ClientEvent::create_response(),
        ] {
            assert_eq!(event.event_id(), None);
            returned.push(client.send(event).await.unwrap());
        }
        let mut explicit = ClientEvent::cancel_response();
        explicit.set_event_id("my_event_7".to_owned());
        returned.push(client.send(explicit).await.unwrap());

        let unique: HashSet<_> = returned.iter().collect();
        assert_eq!(unique.len(), returned.len(), "{returned:?}");
        for id in &returned[..3] {
            assert!(id.starts_with("evt_"), "{id}");
        }
        assert_eq!(returned[3], "my_event_7");

        for (id, kind) in returned.iter().zip([
            "input_audio_buffer.commit",
            "input_audio_buffer.append",
            "response.create",
            "response.cancel",
        ]) {
            let frame = next_json(&mut socket).await;
            assert_eq!(frame["type"], kind);
            assert_eq!(frame["event_id"].as_str(), Some(id.as_str()));
        }
    })
    .await;
}

#[tokio::test]
async fn error_event_is_an_ordinary_event_and_the_connection_goes_on() {
    let (_listener, mut client, mut socket, _seen) = typed_pair(Dialect::Ga).await;
    within(async {
        let id = client.send(ClientEvent::cancel_response()).await.unwrap();
        let frame = next_json(&mut socket).await;
        let error = ServerEvent::error(
            ApiError::new(
                "invalid_request_error",
                "response_cancel_not_active",
                "There is no active response to cancel.",
            )
            .caused_by(frame["event_id"].as_str().map(str::to_owned)),
        );
        socket
            .send(Message::text(error.to_json().unwrap()))
            .await
            .unwrap();

        match client.recv().await.unwrap() {
            Some(ServerEvent::Error(event)) => {
                assert_eq!(
                    event
                        .error
                        .code
                        .and_then(|code| code.into_option())
                        .as_deref(),
                    Some("response_cancel_not_active")
                );
                let caused_by = event.error.event_id.and_then(|id| id.into_option());
                assert_eq!(caused_by.as_deref(), Some(id.as_str()));
            }
            other => panic!("expected an error event, got {other:?}"),
        }

        // Both directions still work.
        client.send(ClientEvent::create_response()).await.unwrap();
        assert_eq!(next_json(&mut socket).await["type"], "response.create");
        send_json(
            &mut socket,
            json!({"type":"input_audio_buffer.cleared","event_id":"event_2"}),
        )
        .await;
        let next = client.recv().await.unwrap().unwrap();
        assert_eq!(next.kind(), "input_audio_buffer.cleared");
    })
    .await;
}

#[tokio::test]
async fn unparsable_frames_are_recoverable_parse_errors() {
    let (_listener, mut client, mut socket, _seen) = typed_pair(Dialect::Ga).await;
    within(async {
        socket.send(Message::text("this is not json")).await.unwrap();
        // A known type whose fields do not fit (audio_start_ms missing).
        send_json(
            &mut socket,
            json!({"type":"input_audio_buffer.speech_started","item_id":"item_1"}),
        )
        .await;
        socket
            .send(Message::text(format!(
                "{{\"no_type\":\"{}\"}}",
                "x".repeat(1000)
            )))
            .await
            .unwrap();
        // An unknown type is not an error.
        send_json(
            &mut socket,
            json!({"type":"vendor.custom_event","event_id":"event_9","x":1}),
        )
        .await;
        send_json(
            &mut socket,
            json!({"type":"input_audio_buffer.speech_started","event_id":"event_10","audio_start_ms":120,"item_id":"item_1"}),
        )
        .await;

        match client.recv().await {
            Err(error @ Error::Parse { .. }) => {
                assert!(error.is_recoverable());
                assert!(error.to_string().contains("this is not json"), "{error}");
            }
            other => panic!("expected a parse error, got {other:?}"),
        }
        match client.recv().await {
            Err(Error::Parse { raw, source }) => {
                assert!(raw.contains("speech_started"), "{raw}");
                assert!(
                    matches!(source, rtclient::protocol::Error::InvalidEvent { ref kind, .. } if kind == "input_audio_buffer.speech_started"),
                    "{source:?}"
                );
            }
            other => panic!("expected a parse error, got {other:?}"),
        }
        match client.recv().await {
            Err(Error::Parse { raw, .. }) => {
                assert!(raw.len() <= 256 + 3, "raw is cut: {} bytes", raw.len());
                assert!(raw.ends_with("..."), "{raw}");
            }
            other => panic!("expected a parse error, got {other:?}"),
        }
        let unknown = client.recv().await.unwrap().unwrap();
        assert!(unknown.is_unknown());
        assert_eq!(unknown.kind(), "vendor.custom_event");
        match client.recv().await.unwrap() {
            Some(ServerEvent::InputAudioBufferSpeechStarted(started)) => {
                assert_eq!(started.audio_start_ms, 120);
            }
            other => panic!("expected speech_started, got {other:?}"),
        }
    })
    .await;
}

#[tokio::test]
async fn recv_raw_gives_text_and_event() {
    let (_listener, mut client, mut socket, _seen) = typed_pair(Dialect::Ga).await;
    within(async {
        let text = r#"{"type":"session.created","event_id":"event_1","session":{"type":"realtime","id":"sess_123","object":"realtime.session"}}"#;
        socket.send(Message::text(text)).await.unwrap();
        socket.send(Message::text("{")).await.unwrap();

        let raw = client.recv_raw().await.unwrap().unwrap();
        assert_eq!(raw.text, text);
        match raw.event.unwrap() {
            ServerEvent::SessionCreated(created) => {
                assert_eq!(created.session.id.as_deref(), Some("sess_123"));
            }
            other => panic!("expected session.created, got {other:?}"),
        }
        let raw = client.recv_raw().await.unwrap().unwrap();
        assert_eq!(raw.text, "{");
        assert!(matches!(raw.event, Err(Error::Parse { .. })));

        let encoded = client
            .split()
            .0
            .encode(ClientEvent::commit())
            .unwrap();
        assert_eq!(
            encoded.text,
            format!(
                r#"{{"type":"input_audio_buffer.commit","event_id":"{}"}}"#,
                encoded.event_id
            )
        );
    })
    .await;
}

#[tokio::test]
async fn beta_target_writes_beta_wire_and_reads_beta_frames_as_ga_events() {
    let (_listener, mut client, mut socket, seen) = typed_pair(Dialect::Beta).await;
    assert_eq!(seen.header("openai-beta"), Some("realtime=v1"));
    assert_eq!(client.dialect(), Dialect::Beta);
    within(async {
        client
            .send(ClientEvent::session_update(
                Session::realtime()
                    .instructions("Be brief.")
                    .server_vad(ServerVad::default()),
            ))
            .await
            .unwrap();
        let update = next_json(&mut socket).await;
        assert_eq!(update["type"], "session.update");
        let session = &update["session"];
        assert_eq!(session["instructions"], "Be brief.");
        assert_eq!(session["turn_detection"]["type"], "server_vad", "{update}");
        assert!(session.get("audio").is_none(), "beta is flat: {update}");
        assert!(session.get("type").is_none(), "no GA session type: {update}");

        client
            .send(ClientEvent::session_update(Session::transcription()))
            .await
            .unwrap();
        let update = next_json(&mut socket).await;
        assert_eq!(update["type"], "transcription_session.update", "{update}");
        assert!(update["event_id"].as_str().unwrap().starts_with("evt_"));

        send_json(
            &mut socket,
            json!({"type":"response.audio.delta","event_id":"e1","response_id":"r1","item_id":"i1","output_index":0,"content_index":0,"delta":"AAA="}),
        )
        .await;
        send_json(
            &mut socket,
            json!({"type":"response.audio_transcript.delta","event_id":"e2","response_id":"r1","item_id":"i1","output_index":0,"content_index":0,"delta":"Hi"}),
        )
        .await;
        send_json(
            &mut socket,
            json!({"type":"conversation.item.created","event_id":"e3","previous_item_id":null,"item":{"id":"i2","object":"realtime.item","type":"message","status":"completed","role":"user","content":[{"type":"input_text","text":"hello"}]}}),
        )
        .await;

        match client.recv().await.unwrap() {
            Some(ServerEvent::ResponseOutputAudioDelta(delta)) => assert_eq!(delta.delta, "AAA="),
            other => panic!("expected an audio delta, got {other:?}"),
        }
        match client.recv().await.unwrap() {
            Some(ServerEvent::ResponseOutputAudioTranscriptDelta(delta)) => {
                assert_eq!(delta.delta, "Hi");
            }
            other => panic!("expected a transcript delta, got {other:?}"),
        }
        let added = client.recv().await.unwrap().unwrap();
        assert_eq!(added.kind(), "conversation.item.added");
    })
    .await;
}

#[tokio::test]
async fn split_halves_send_and_receive_concurrently() {
    const N: usize = 200;
    let (_listener, client, socket, _seen) = typed_pair(Dialect::Ga).await;
    let (sender, mut receiver) = client.split();
    let (mut server_tx, mut server_rx) = socket.split();

    // The server reads N client frames while it writes N events.
    let server_reads = tokio::spawn(async move {
        let mut ids = Vec::new();
        while ids.len() < N {
            match server_rx.next().await {
                Some(Ok(Message::Text(text))) => {
                    let value: Value = serde_json::from_str(text.as_str()).unwrap();
                    assert_eq!(value["type"], "input_audio_buffer.append");
                    ids.push(value["event_id"].as_str().unwrap().to_owned());
                }
                Some(Ok(_)) => {}
                other => panic!("server read ended: {other:?}"),
            }
        }
        ids
    });
    let server_writes = tokio::spawn(async move {
        for i in 0..N {
            let event = json!({"type":"response.output_audio_transcript.delta","event_id":format!("event_{i}"),"response_id":"r","item_id":"i","output_index":0,"content_index":0,"delta":i.to_string()});
            server_tx
                .send(Message::text(event.to_string()))
                .await
                .unwrap();
        }
        server_tx
    });

    // Two sending tasks on clones of the sender, one receiving task.
    let send_half = |sender: rtclient::EventSender| {
        tokio::spawn(async move {
            let mut ids = Vec::new();
            for _ in 0..N / 2 {
                ids.push(
                    sender
                        .send(ClientEvent::append_audio(&[0u8; 480]))
                        .await
                        .unwrap(),
                );
            }
            ids
        })
    };
    let first = send_half(sender.clone());
    let second = send_half(sender.clone());
    let receive = tokio::spawn(async move {
        for i in 0..N {
            match receiver.recv().await.unwrap() {
                Some(ServerEvent::ResponseOutputAudioTranscriptDelta(delta)) => {
                    assert_eq!(delta.delta, i.to_string(), "in order");
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        receiver
    });

    within(async {
        let mut sent: Vec<String> = first.await.unwrap();
        sent.extend(second.await.unwrap());
        let mut seen = server_reads.await.unwrap();
        let _receiver = receive.await.unwrap();
        let _server_tx = server_writes.await.unwrap();
        let unique: HashSet<_> = sent.iter().collect();
        assert_eq!(unique.len(), N, "ids are unique across sender clones");
        sent.sort();
        seen.sort();
        assert_eq!(sent, seen);
    })
    .await;
}

#[tokio::test]
async fn the_event_stream_goes_on_after_parse_errors_and_ends_after_the_close_error() {
    let (_listener, mut client, mut socket, _seen) = typed_pair(Dialect::Ga).await;
    within(async {
        send_json(&mut socket, json!({"type":"input_audio_buffer.cleared"})).await;
        socket.send(Message::text("garbage")).await.unwrap();
        send_json(&mut socket, json!({"type":"input_audio_buffer.cleared"})).await;
        socket
            .close(Some(tokio_tungstenite::tungstenite::protocol::CloseFrame {
                code: CloseCode::from(1001),
                reason: "max duration".into(),
            }))
            .await
            .unwrap();

        let items: Vec<_> = (&mut client).collect().await;
        assert_eq!(items.len(), 4, "{items:?}");
        assert!(matches!(
            &items[0],
            Ok(ServerEvent::InputAudioBufferCleared(_))
        ));
        assert!(matches!(&items[1], Err(Error::Parse { .. })));
        assert!(matches!(
            &items[2],
            Ok(ServerEvent::InputAudioBufferCleared(_))
        ));
        assert!(
            matches!(&items[3], Err(error) if error.close_code() == Some(1001)),
            "{:?}",
            items[3]
        );
        assert!(client.next().await.is_none());
    })
    .await;
}

#[tokio::test]
async fn typed_close_sends_code_and_reason() {
    let (_listener, client, mut socket, _seen) = typed_pair(Dialect::Ga).await;
    let server = tokio::spawn(async move {
        let mut close = None;
        while let Some(Ok(message)) = socket.next().await {
            if let Message::Close(frame) = message {
                close = frame.map(|frame| (u16::from(frame.code), frame.reason.to_string()));
            }
        }
        close
    });
    within(async {
        client.close(4321, "bye").await.unwrap();
        assert_eq!(server.await.unwrap(), Some((4321, "bye".to_owned())));
    })
    .await;
}

/// A minimal `tracing` subscriber that keeps the `session_id` recorded on any span.
#[derive(Default)]
struct SessionIds {
    next_span: std::sync::atomic::AtomicU64,
    seen: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl tracing::Subscriber for SessionIds {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        let id = self
            .next_span
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        tracing::span::Id::from_u64(id + 1)
    }
    fn record(&self, _: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        struct Visitor<'a>(&'a std::sync::Mutex<Vec<String>>);
        impl tracing::field::Visit for Visitor<'_> {
            fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
                if field.name() == "session_id" {
                    self.0.lock().unwrap().push(value.to_owned());
                }
            }
            fn record_debug(&mut self, _: &tracing::field::Field, _: &dyn std::fmt::Debug) {}
        }
        values.record(&mut Visitor(&self.seen));
    }
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, _: &tracing::Event<'_>) {}
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[tokio::test]
async fn session_created_records_the_session_id_on_the_span() {
    let subscriber = SessionIds::default();
    let seen = subscriber.seen.clone();
    // The runtime of `#[tokio::test]` is single-threaded: connect and receive run on this thread.
    let _guard = tracing::subscriber::set_default(subscriber);
    let (_listener, mut client, mut socket, _seen) = typed_pair(Dialect::Ga).await;
    within(async {
        send_json(
            &mut socket,
            json!({"type":"session.created","event_id":"event_1","session":{"type":"realtime","object":"realtime.session","id":"sess_ABC"}}),
        )
        .await;
        let event = client.recv().await.unwrap().unwrap();
        assert_eq!(event.kind(), "session.created");
    })
    .await;
    assert_eq!(*seen.lock().unwrap(), vec!["sess_ABC".to_owned()]);
}

#[tokio::test]
async fn azure_preview_targets_speak_beta_by_default() {
    let (listener, base) = listen().await;
    let target = Target::azure_preview(&base, "dep", "2025-04-01-preview").unwrap();
    assert_eq!(target.dialect(), Dialect::Beta);
    let config = ClientConfig::builder(target)
        .keepalive_interval(None)
        .build();
    let ((mut socket, seen), client) =
        within(async { tokio::join!(accept(&listener), RealtimeClient::connect(&config)) }).await;
    let client = client.unwrap();
    assert_eq!(client.dialect(), Dialect::Beta);
    assert_eq!(
        seen.header("openai-beta"),
        None,
        "Azure preview needs no beta header"
    );
    within(async {
        client
            .send(ClientEvent::session_update(Session::transcription()))
            .await
            .unwrap();
        assert_eq!(
            next_json(&mut socket).await["type"],
            "transcription_session.update"
        );
    })
    .await;
}
