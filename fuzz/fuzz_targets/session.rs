//! The server's session state machine under arbitrary client frames: whatever a client sends,
//! the session must not panic, must end when the client goes, and every frame it sends must be
//! a server event of the session's dialect.
//!
//! Input: frames separated by 0xFF bytes; a frame starting with 0xFE is sent as binary, any
//! other as text (lossy UTF-8). The first byte picks the dialect (bit 0: GA or beta) and the
//! session kind (bit 1: realtime or transcription).
#![no_main]

use std::sync::OnceLock;
use std::time::Duration;

use axum::extract::ws::Message;
use futures_util::{SinkExt, StreamExt};
use libfuzzer_sys::fuzz_target;
use rtclient_audio::Pace;
use rtclient_protocol::Dialect;
use rtclient_server::{
    RealtimeSession, Route, SessionHandler, SessionRequest, Speech, SynthesisError, Synthesizer,
};

/// 100 ms of a tone for every reply: no espeak-ng process per response.
struct Tone;

impl Synthesizer for Tone {
    fn synthesize(&self, _text: &str, _voice: &str) -> Result<Speech, SynthesisError> {
        let samples = (0..1_600).map(|i| ((i % 40) as i16 - 20) * 500).collect();
        Ok(Speech { sample_rate: 16_000, samples })
    }
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else { return };
    let beta = first & 1 == 1;
    let headers = axum::http::HeaderMap::new();
    let protocols: &[&str] = if beta { &["openai-beta.realtime-v1"] } else { &[] };
    let query = if first & 2 == 2 {
        "model=gpt-realtime&intent=transcription"
    } else {
        "model=gpt-realtime"
    };
    let request = SessionRequest::resolve(
        Route::OpenAi,
        Some(query),
        &headers,
        protocols.iter().copied(),
    );
    let dialect = if beta { Dialect::Beta } else { Dialect::Ga };
    let frames: Vec<Message> = rest
        .split(|b| *b == 0xFF)
        .map(|frame| match frame.split_first() {
            Some((0xFE, binary)) => Message::binary(binary.to_vec()),
            _ => Message::text(String::from_utf8_lossy(frame).into_owned()),
        })
        .collect();
    runtime().block_on(async move {
        let session = RealtimeSession::new().pace(Pace::Max).synthesizer(Tone);
        let (out_tx, mut out_rx) = futures_channel::mpsc::channel::<Message>(1024);
        let (mut in_tx, in_rx) = futures_channel::mpsc::channel::<Message>(16);
        let task = tokio::spawn(async move { session.run(request, out_tx, in_rx).await });
        let check = tokio::spawn(async move {
            while let Some(message) = out_rx.next().await {
                if let Message::Text(text) = message {
                    if let Err(error) = dialect.parse_server_event(text.as_str()) {
                        panic!("the session sent a frame that is not a {dialect:?} event ({error}): {}", text.as_str());
                    }
                }
            }
        });
        for frame in frames {
            if in_tx.send(frame).await.is_err() {
                break;
            }
        }
        drop(in_tx);
        tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .expect("the session ends when the client goes")
            .expect("the session does not panic");
        check.await.expect("every frame is a server event");
    });
});
