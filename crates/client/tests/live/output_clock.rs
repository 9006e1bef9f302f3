//! A Live session's output keeps to the wall clock while a turn is answered: a responder that
//! takes its time does not stop the output track.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rtclient::LiveEndpoint;
use rtclient::live::{LiveEvent, LiveSession};
use rtclient::protocol::live::SessionConfig;
use rtclient_server::{Prompt, Reply, Responder};
use rtclient_server::{RealtimeSession, Serve, ServerConfig, ServerState};
use tokio::net::TcpListener;

use crate::server::{FixedTranscriber, HEARD, config, microphone, speech};

/// How long the responder thinks about each turn.
const THINKING: Duration = Duration::from_millis(1500);

/// A responder that thinks for [`THINKING`] before it answers, noting when it did.
#[derive(Default)]
struct SlowResponder {
    thought: Mutex<Option<(Instant, Instant)>>,
}

impl Responder for SlowResponder {
    fn reply(&self, _: &Prompt<'_>) -> Reply {
        let start = Instant::now();
        std::thread::sleep(THINKING);
        *self.thought.lock().unwrap() = Some((start, Instant::now()));
        Reply::Say("Done thinking.".to_owned())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn output_audio_keeps_arriving_while_a_turn_is_answered() {
    let responder = Arc::new(SlowResponder::default());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let session = RealtimeSession::new()
        .transcriber(FixedTranscriber(HEARD))
        .responder(Arc::clone(&responder));
    let serve = Serve::new(
        listener,
        ServerState::with_handler(ServerConfig::default(), session),
    );
    let base = format!("http://{}", serve.local_addr().unwrap());
    tokio::spawn(serve.into_future());

    let start = SessionConfig::new("gpt-live-1");
    let mut live = LiveSession::start(&config(&base, LiveEndpoint::Sessions), start)
        .await
        .unwrap();
    let started = Instant::now();
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mic = tokio::spawn(microphone(live.handle(), speech(HEARD), stop_rx));
    let run = async {
        let mut arrivals = Vec::new();
        let mut lag_ms = 0.0_f64;
        loop {
            match live.next_event().await.unwrap().unwrap() {
                LiveEvent::OutputAudio(audio) => {
                    let now = Instant::now();
                    arrivals.push(now);
                    let wall_ms = now.duration_since(started).as_secs_f64() * 1000.0;
                    lag_ms = lag_ms.max(wall_ms - audio.end_ms);
                }
                // The transcript is sent once the reply is ready.
                LiveEvent::InputTranscript(_) => break,
                _ => {}
            }
        }
        (arrivals, lag_ms)
    };
    let (arrivals, lag_ms) = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("the turn was not answered within 60 s");
    stop_tx.send(true).unwrap();
    mic.await.unwrap();
    let (from, to) = responder
        .thought
        .lock()
        .unwrap()
        .expect("the responder answered the turn");
    let during = arrivals
        .iter()
        .filter(|&&t| (from..to).contains(&t))
        .count();
    // 15 frames are due while it thinks; a frozen session sends none.
    assert!(
        during >= 5,
        "{during} output frames while the responder thought"
    );
    // A session frozen while it thinks falls the whole thinking time behind and stays there.
    assert!(
        lag_ms < THINKING.as_secs_f64() * 1000.0,
        "the output clock fell {lag_ms} ms behind the wall clock"
    );
}
