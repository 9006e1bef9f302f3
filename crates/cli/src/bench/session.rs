//! One bench session: connect, configure server VAD, stream the audio on a real-time schedule,
//! and time and check every event that comes back.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rtclient::{ClientConfig, Connection, Receiver, Sender};
use serde::Deserialize;
use tokio::sync::{Barrier, oneshot, watch};
use tokio::time::Instant;

use super::audio::Expected;
use super::report::{Stats, micros};
use super::{CHUNK_MS, PREFIX_PADDING_MS, RATE, TAIL_CHUNKS};

/// What every session does; shared by all.
pub(super) struct Plan {
    pub(super) config: ClientConfig,
    /// The append frames, looped.
    pub(super) audio: Vec<String>,
    /// The VAD events the local server sends for that audio.
    pub(super) schedule: Vec<Expected>,
    pub(super) seconds: u64,
    pub(super) pace: f32,
    pub(super) silence_ms: u32,
}

/// Send times of a session's appends, by index.
type SendTimes = Arc<Mutex<Vec<Instant>>>;

fn sent(times: &SendTimes, append: usize) -> Option<Instant> {
    times.lock().ok()?.get(append).copied()
}

/// Runs one session; `barrier` lines up every session's start of streaming.
pub(super) async fn run(plan: Arc<Plan>, barrier: Arc<Barrier>) -> Stats {
    let mut stats = Stats::default();
    let connection = match Connection::connect(&plan.config).await {
        Ok(connection) => connection,
        Err(e) => {
            eprintln!("connect: {e}");
            stats.conn_errors += 1;
            barrier.wait().await;
            return stats;
        }
    };
    let (sender, receiver) = connection.split();
    let times = SendTimes::default();
    let (updated_tx, updated_rx) = oneshot::channel();
    let (finished_tx, finished_rx) = watch::channel(false);
    let tracker = Tracker::new(plan.clone(), times.clone(), updated_tx);
    let receiving = tokio::spawn(tracker.run(receiver, finished_rx));

    let configured = configure(&sender, &plan, updated_rx).await;
    barrier.wait().await;
    if configured {
        if !stream(&sender, &plan, &times).await {
            stats.conn_errors += 1;
        }
    } else {
        stats.conn_errors += 1;
    }
    let _ = finished_tx.send(true);
    match receiving.await {
        Ok(received) => stats.merge(received),
        Err(_) => stats.conn_errors += 1,
    }
    let _ = sender.close(1000, "done").await;
    stats
}

/// Sends `session.update` with server VAD and waits (up to 30 s) for `session.updated`.
async fn configure(sender: &Sender, plan: &Plan, updated: oneshot::Receiver<()>) -> bool {
    let silence_ms = plan.silence_ms;
    let update = format!(
        r#"{{"type":"session.update","session":{{"type":"realtime","audio":{{"input":{{"format":{{"type":"audio/pcm","rate":24000}},"turn_detection":{{"type":"server_vad","threshold":0.5,"prefix_padding_ms":{PREFIX_PADDING_MS},"silence_duration_ms":{silence_ms},"create_response":true,"interrupt_response":true}}}}}}}}}}"#
    );
    if sender.send_text(update).await.is_err() {
        return false;
    }
    matches!(
        tokio::time::timeout(Duration::from_secs(30), updated).await,
        Ok(Ok(()))
    )
}

/// After a random start in the first second, sends the appends on an absolute 100 ms schedule,
/// then the silent tail. False when a send failed.
async fn stream(sender: &Sender, plan: &Plan, times: &SendTimes) -> bool {
    tokio::time::sleep(Duration::from_millis(fastrand::u64(0..1000))).await;
    let start = Instant::now();
    let streamed = (plan.seconds * 1000 / CHUNK_MS) as usize;
    let silence = plan.audio.last().cloned().unwrap_or_default();
    for k in 0..streamed + TAIL_CHUNKS {
        tokio::time::sleep_until(start + Duration::from_millis(k as u64 * CHUNK_MS)).await;
        let frame = if k < streamed {
            plan.audio[k % plan.audio.len()].clone()
        } else {
            silence.clone()
        };
        if let Ok(mut times) = times.lock() {
            times.push(Instant::now());
        }
        if sender.send_text(frame).await.is_err() {
            return false;
        }
    }
    true
}

/// The few fields of a server event the bench reads, borrowed from the frame unless JSON
/// escapes them (a transcript delta with a quote or a newline).
#[derive(Deserialize)]
struct Event<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(default, borrow)]
    response_id: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    delta: Option<Cow<'a, str>>,
    #[serde(default)]
    response: Option<ResponseRef>,
}

#[derive(Deserialize)]
struct ResponseRef {
    id: String,
    #[serde(default)]
    status: Option<String>,
}

/// One response in flight.
#[derive(Default)]
struct ResponseTrack {
    stopped_at: Option<Instant>,
    deltas: u64,
    last_delta: Option<(Instant, u64)>,
    audio_done: bool,
}

/// Times and checks every event of one session.
struct Tracker {
    plan: Arc<Plan>,
    times: SendTimes,
    stats: Stats,
    updated: Option<oneshot::Sender<()>>,
    last_stopped: Option<Instant>,
    last_stop_append: Option<usize>,
    next_vad: usize,
    responses: HashMap<String, ResponseTrack>,
    open_turn: bool,
}

impl Tracker {
    fn new(plan: Arc<Plan>, times: SendTimes, updated: oneshot::Sender<()>) -> Self {
        Self {
            plan,
            times,
            stats: Stats::default(),
            updated: Some(updated),
            last_stopped: None,
            last_stop_append: None,
            next_vad: 0,
            responses: HashMap::new(),
            open_turn: false,
        }
    }

    /// Receives until the connection ends, or, once sending finished, until the last response
    /// is done (or 10 s pass).
    async fn run(mut self, mut receiver: Receiver, mut finished: watch::Receiver<bool>) -> Stats {
        loop {
            let text = if *finished.borrow() {
                if !self.open_turn && self.responses.is_empty() {
                    break;
                }
                match tokio::time::timeout(Duration::from_secs(10), receiver.recv_text()).await {
                    Ok(text) => text,
                    Err(_) => break,
                }
            } else {
                tokio::select! {
                    text = receiver.recv_text() => text,
                    _ = finished.changed() => continue,
                }
            };
            let now = Instant::now();
            match text {
                Ok(Some(text)) => self.on_frame(&text, now),
                Ok(None) => break,
                Err(e) => {
                    eprintln!("recv: {e}");
                    self.stats.conn_errors += 1;
                    break;
                }
            }
        }
        self.stats.lost.vad_missing +=
            self.plan.schedule.len().saturating_sub(self.next_vad) as u64;
        self.stats.count_unpaired();
        self.stats
    }

    fn on_frame(&mut self, text: &str, now: Instant) {
        self.stats.events += 1;
        let Ok(event) = serde_json::from_str::<Event>(text) else {
            self.stats.lost.unparsable += 1;
            return;
        };
        match event.kind.as_ref() {
            "session.updated" => {
                if let Some(updated) = self.updated.take() {
                    let _ = updated.send(());
                }
            }
            "input_audio_buffer.speech_started" => self.on_vad(true, now),
            "input_audio_buffer.speech_stopped" => self.on_vad(false, now),
            "input_audio_buffer.committed" => {
                self.stats.committed += 1;
                self.open_turn = false;
                // Sent right after speech_stopped, for the same append.
                if let Some(t) = self.last_stop_append.and_then(|k| sent(&self.times, k)) {
                    self.stats
                        .vad_ack
                        .push(micros(now.saturating_duration_since(t)));
                }
            }
            "response.created" => self.on_created(event.response, now),
            "response.output_audio.delta" => self.on_delta(&event, now),
            "response.output_audio.done" => {
                if let Some(track) = event
                    .response_id
                    .as_deref()
                    .and_then(|id| self.responses.get_mut(id))
                {
                    track.audio_done = true;
                }
            }
            "response.done" => self.on_done(event.response),
            "error" => {
                eprintln!("server error: {text}");
                self.stats.errors += 1;
            }
            _ => {}
        }
    }

    /// `speech_started` / `speech_stopped`: must come in the order the replay predicts.
    fn on_vad(&mut self, started: bool, now: Instant) {
        if started {
            self.stats.started += 1;
            self.open_turn = true;
        } else {
            self.stats.stopped += 1;
            self.last_stopped = Some(now);
        }
        match self.plan.schedule.get(self.next_vad) {
            Some(expected) if expected.started == started => {
                self.next_vad += 1;
                if !started {
                    self.last_stop_append = Some(expected.append);
                }
                if let Some(t) = sent(&self.times, expected.append) {
                    self.stats
                        .vad_ack
                        .push(micros(now.saturating_duration_since(t)));
                }
            }
            _ => self.stats.lost.vad_order += 1,
        }
    }

    fn on_created(&mut self, response: Option<ResponseRef>, now: Instant) {
        self.stats.created += 1;
        let Some(response) = response else {
            return;
        };
        let stopped_at = self.last_stopped.take();
        if let Some(t) = stopped_at {
            self.stats
                .resp_created
                .push(micros(now.saturating_duration_since(t)));
        }
        let track = ResponseTrack {
            stopped_at,
            ..Default::default()
        };
        self.responses.insert(response.id, track);
    }

    /// An audio delta: the first one times `first_audio`, later ones their lateness against
    /// the server's pacing.
    fn on_delta(&mut self, event: &Event<'_>, now: Instant) {
        let pace = self.plan.pace;
        let Some(track) = event
            .response_id
            .as_deref()
            .and_then(|id| self.responses.get_mut(id))
        else {
            self.stats.lost.unknown_response += 1;
            return;
        };
        if track.audio_done {
            self.stats.lost.audio_after_done += 1;
        }
        let bytes = event.delta.as_ref().map_or(0, |d| d.len() as u64 * 3 / 4);
        match track.last_delta {
            None => {
                if let Some(t) = track.stopped_at {
                    self.stats
                        .first_audio
                        .push(micros(now.saturating_duration_since(t)));
                }
            }
            Some((prev, prev_bytes)) => {
                let expected = Duration::from_secs_f64(
                    prev_bytes as f64 / f64::from(RATE * 2) / f64::from(pace),
                );
                let gap = now.saturating_duration_since(prev);
                self.stats
                    .delta_late
                    .push(micros(gap.saturating_sub(expected)));
            }
        }
        track.deltas += 1;
        track.last_delta = Some((now, bytes));
    }

    /// `response.done`: a completed response must have carried audio, all before its done.
    fn on_done(&mut self, response: Option<ResponseRef>) {
        self.stats.done += 1;
        let Some(track) = response.and_then(|r| {
            let track = self.responses.remove(&r.id)?;
            Some((track, r.status))
        }) else {
            self.stats.lost.unknown_response += 1;
            return;
        };
        match track.1.as_deref() {
            Some("completed") if track.0.deltas == 0 || !track.0.audio_done => {
                self.stats.lost.silent += 1;
            }
            Some("completed") => {}
            Some("cancelled") => self.stats.cancelled += 1,
            status => {
                eprintln!("a response ended {}", status.unwrap_or("with no status"));
                self.stats.lost.not_completed += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_whose_strings_have_escapes_is_read_not_lost() {
        let frame = r#"{"type":"response.output_audio_transcript.delta","response_id":"resp_\u0031","delta":"She said \"hi\".\n"}"#;
        let event: Event<'_> = serde_json::from_str(frame).unwrap();
        assert_eq!(event.kind, "response.output_audio_transcript.delta");
        assert_eq!(event.response_id.as_deref(), Some("resp_1"));
        assert_eq!(event.delta.as_deref(), Some("She said \"hi\".\n"));
    }
}
