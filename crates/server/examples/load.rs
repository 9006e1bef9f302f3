//! The load benchmark of issue 5: N concurrent sessions, each streaming speech in real time with
//! server VAD and receiving spoken replies.
//!
//! Run with `cargo run --release -p rtclient-server --example load -- --sessions N --seconds D
//! [--url WS_URL [--server-pid PID]] [--pace X] [--silence-ms MS]`.
//!
//! Without `--url` the server runs in this process on 127.0.0.1:0 (its own 2-thread runtime; the
//! clients get another), with the default engines (earshot VAD, echo responder, espeak-ng speech,
//! responses paced at `--pace` times real time, default 4 like the server's default).
//!
//! Each session connects with the raw `rtclient::Connection`, sends `session.update` with server
//! VAD, waits for `session.updated`, then (after a random start delay in the first second) streams
//! `testdata/audio/speech_10s_16k_mono.wav` resampled to 24 kHz PCM16 by `sox`, framed as 0.5 s
//! silence + clip + 1 s silence and looped, in 100 ms appends paced on an absolute real-time
//! schedule for D seconds, then 1.5 s of silence so the last turn ends, then waits for the last
//! response to finish.
//!
//! Latencies (client-observed; the server stamps nothing):
//! - `vad_ack` (`input_audio_buffer.speech_started`, `speech_stopped`, `committed`): arrival time
//!   minus the time the append holding the audio position that triggered the event was sent. The
//!   trigger position is `audio_end_ms` for stopped/committed and `audio_start_ms +
//!   prefix_padding_ms + 3 frames x 16 ms` (the detector's onset rule) for started.
//! - `resp_created`: `response.created` arrival minus `speech_stopped` arrival.
//! - `first_audio`: first `response.output_audio.delta` arrival minus `speech_stopped` arrival
//!   (includes espeak-ng synthesis; not held to the 20 ms bar).
//! - `delta_late`: how much later than the server's pacing each audio delta arrives: the gap to
//!   the previous delta of the response minus the previous delta's audio duration / pace
//!   (clamped at 0).
//!
//! Lost events: per session, speech_started, speech_stopped, committed, response.created and
//! response.done must pair up one to one; a completed response must carry audio deltas, none of
//! them after its `response.output_audio.done`; every `error` event and connection error counts.

use std::{
    collections::HashMap,
    process::Command,
    sync::{Arc, Mutex},
    time::Duration,
};

use base64::Engine as _;
use rtclient::{ClientConfig, Connection, Target};
use rtclient_audio::WireFormat;
use rtclient_server::{
    Pace, RealtimeSession, ServerConfig, ServerState,
    server::Serve,
    vad::{ResamplingDetector, VadEvent, VadParams},
};
use serde::Deserialize;
use tokio::time::Instant;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const CHUNK_MS: u64 = 100;
const RATE: u64 = 24_000;
const CHUNK_BYTES: usize = (RATE * 2 * CHUNK_MS / 1000) as usize;
const PREFIX_PADDING_MS: u64 = 300;
/// 1.5 s of silence after the stream, so the last turn ends.
const TAIL_CHUNKS: usize = 15;

struct Args {
    sessions: usize,
    seconds: u64,
    url: Option<String>,
    server_pid: Option<u32>,
    pace: f32,
    silence_ms: u64,
}

fn parse_args() -> Result<Args, BoxError> {
    let mut args = Args {
        sessions: 50,
        seconds: 20,
        url: None,
        server_pid: None,
        pace: 4.0,
        silence_ms: 500,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--sessions" => args.sessions = value()?.parse()?,
            "--seconds" => args.seconds = value()?.parse()?,
            "--url" => args.url = Some(value()?),
            "--server-pid" => args.server_pid = Some(value()?.parse()?),
            "--pace" => args.pace = value()?.parse()?,
            "--silence-ms" => args.silence_ms = value()?.parse()?,
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    Ok(args)
}

/// The looped input: 0.5 s silence, the clip at 24 kHz, 1 s silence; as 100 ms PCM16 chunks.
fn load_audio() -> Result<Vec<Vec<u8>>, BoxError> {
    let wav = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/audio/speech_10s_16k_mono.wav"
    );
    let out = Command::new("sox")
        .args([wav, "-r", "24000", "-c", "1", "-b", "16", "-e", "signed"])
        .args(["-t", "raw", "-"])
        .output()?;
    if !out.status.success() {
        return Err(format!("sox failed: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    let mut pcm = vec![0u8; CHUNK_BYTES * 5];
    pcm.extend_from_slice(&out.stdout);
    let rem = pcm.len() % CHUNK_BYTES;
    if rem != 0 {
        pcm.resize(pcm.len() + CHUNK_BYTES - rem, 0);
    }
    pcm.resize(pcm.len() + CHUNK_BYTES * 10, 0);
    Ok(pcm.chunks(CHUNK_BYTES).map(<[u8]>::to_vec).collect())
}

/// The `input_audio_buffer.append` message of each chunk.
fn appends(chunks: &[Vec<u8>]) -> Vec<String> {
    chunks
        .iter()
        .map(|c| {
            let b64 = base64::engine::general_purpose::STANDARD.encode(c);
            format!(r#"{{"type":"input_audio_buffer.append","audio":"{b64}"}}"#)
        })
        .collect()
}

/// A VAD event the server will emit, and the index of the append after which it emits it.
#[derive(Debug, Clone, Copy)]
struct Expected {
    started: bool,
    append: usize,
}

/// Replays the server's VAD path ([`ResamplingDetector`] at 24 kHz, same parameters) over the
/// exact append sequence every session sends, so each VAD event can be tied to the append that
/// made the server emit it.
fn vad_schedule(
    chunks: &[Vec<u8>],
    streamed: usize,
    tail: usize,
    silence_ms: u64,
) -> Result<Vec<Expected>, BoxError> {
    let params = VadParams {
        threshold: 0.5,
        prefix_padding_ms: PREFIX_PADDING_MS as u32,
        silence_duration_ms: u32::try_from(silence_ms)?,
    };
    let mut vad = ResamplingDetector::new(RATE as u32, params)?;
    let silence = vec![0u8; CHUNK_BYTES];
    let mut samples = Vec::new();
    let mut events = Vec::new();
    let mut schedule = Vec::new();
    for k in 0..streamed + tail {
        let chunk = if k < streamed {
            &chunks[k % chunks.len()]
        } else {
            &silence
        };
        samples.clear();
        WireFormat::PCM16_24K.decode(chunk, &mut samples);
        events.clear();
        vad.push(&samples, &mut events)?;
        for e in &events {
            schedule.push(Expected {
                started: matches!(e, VadEvent::SpeechStarted { .. }),
                append: k,
            });
        }
    }
    Ok(schedule)
}

/// The few fields of a server event the benchmark reads.
#[derive(Deserialize)]
struct Event<'a> {
    #[serde(rename = "type", borrow)]
    kind: &'a str,
    #[serde(default, borrow)]
    response_id: Option<&'a str>,
    #[serde(default, borrow)]
    delta: Option<&'a str>,
    #[serde(default)]
    response: Option<ResponseRef>,
}

#[derive(Deserialize)]
struct ResponseRef {
    id: String,
    #[serde(default)]
    status: Option<String>,
}

#[derive(Default)]
struct ResponseTrack {
    stopped_at: Option<Instant>,
    deltas: u64,
    last_delta: Option<(Instant, u64)>,
    audio_done: bool,
}

/// Per-session results.
#[derive(Default)]
struct Stats {
    events: u64,
    vad_ack: Vec<u32>,
    resp_created: Vec<u32>,
    first_audio: Vec<u32>,
    delta_late: Vec<u32>,
    started: u64,
    stopped: u64,
    committed: u64,
    created: u64,
    done: u64,
    cancelled: u64,
    lost: u64,
    errors: u64,
    conn_errors: u64,
}

impl Stats {
    fn merge(&mut self, o: Stats) {
        self.events += o.events;
        self.vad_ack.extend(o.vad_ack);
        self.resp_created.extend(o.resp_created);
        self.first_audio.extend(o.first_audio);
        self.delta_late.extend(o.delta_late);
        self.started += o.started;
        self.stopped += o.stopped;
        self.committed += o.committed;
        self.created += o.created;
        self.done += o.done;
        self.cancelled += o.cancelled;
        self.lost += o.lost;
        self.errors += o.errors;
        self.conn_errors += o.conn_errors;
    }
}

fn micros(d: Duration) -> u32 {
    u32::try_from(d.as_micros()).unwrap_or(u32::MAX)
}

/// Send times of a session's appends, by index; `None` until sent.
type SendTimes = Arc<Mutex<Vec<Option<Instant>>>>;

fn sent(times: &SendTimes, append: usize) -> Option<Instant> {
    times.lock().ok()?.get(append).copied().flatten()
}

async fn run_session(
    url: String,
    audio: Arc<Vec<String>>,
    schedule: Arc<Vec<Expected>>,
    seconds: u64,
    pace: f32,
    silence_ms: u64,
    barrier: Arc<tokio::sync::Barrier>,
) -> Stats {
    let mut stats = Stats::default();
    let config = match Target::custom(&url) {
        Ok(target) => ClientConfig::builder(target)
            .connect_timeout(Duration::from_secs(30))
            .build(),
        Err(_) => {
            stats.conn_errors += 1;
            return stats;
        }
    };
    let connection = match Connection::connect(&config).await {
        Ok(c) => c,
        Err(e) => {
            eprintln!("connect: {e}");
            stats.conn_errors += 1;
            barrier.wait().await;
            return stats;
        }
    };
    let (sender, mut receiver) = connection.split();
    let update = format!(
        r#"{{"type":"session.update","session":{{"type":"realtime","audio":{{"input":{{"format":{{"type":"audio/pcm","rate":24000}},"turn_detection":{{"type":"server_vad","threshold":0.5,"prefix_padding_ms":{PREFIX_PADDING_MS},"silence_duration_ms":{silence_ms},"create_response":true,"interrupt_response":true}}}}}}}}}}"#
    );
    let times: SendTimes = Arc::new(Mutex::new(Vec::new()));
    let (updated_tx, updated_rx) = tokio::sync::oneshot::channel::<()>();
    let (finished_tx, finished_rx) = tokio::sync::watch::channel(false);

    // Receiver: times and checks every event.
    let recv_times = times.clone();
    let receiver_task = tokio::spawn(async move {
        let mut stats = Stats::default();
        let mut updated_tx = Some(updated_tx);
        let mut last_stopped: Option<Instant> = None;
        let mut last_stop_append: Option<usize> = None;
        let mut next_vad = 0;
        let mut responses: HashMap<String, ResponseTrack> = HashMap::new();
        let mut open_turn = false;
        let mut finished_rx = finished_rx;
        loop {
            let finished = *finished_rx.borrow();
            let text = if finished {
                // Sending ended: drain until the last response is done (or 10 s pass).
                if !open_turn && responses.is_empty() {
                    break;
                }
                match tokio::time::timeout(Duration::from_secs(10), receiver.recv_text()).await {
                    Ok(t) => t,
                    Err(_) => break,
                }
            } else {
                tokio::select! {
                    text = receiver.recv_text() => text,
                    _ = finished_rx.changed() => continue,
                }
            };
            let now = Instant::now();
            let text = match text {
                Ok(Some(t)) => t,
                Ok(None) => break,
                Err(e) => {
                    eprintln!("recv: {e}");
                    stats.conn_errors += 1;
                    break;
                }
            };
            stats.events += 1;
            let Ok(ev) = serde_json::from_str::<Event>(&text) else {
                stats.lost += 1;
                continue;
            };
            match ev.kind {
                "session.updated" => {
                    if let Some(tx) = updated_tx.take() {
                        let _ = tx.send(());
                    }
                }
                "input_audio_buffer.speech_started" | "input_audio_buffer.speech_stopped" => {
                    let started = ev.kind.ends_with("started");
                    if started {
                        stats.started += 1;
                        open_turn = true;
                    } else {
                        stats.stopped += 1;
                        last_stopped = Some(now);
                    }
                    match schedule.get(next_vad) {
                        Some(e) if e.started == started => {
                            next_vad += 1;
                            if !started {
                                last_stop_append = Some(e.append);
                            }
                            if let Some(t) = sent(&recv_times, e.append) {
                                stats.vad_ack.push(micros(now.saturating_duration_since(t)));
                            }
                        }
                        _ => stats.lost += 1,
                    }
                }
                "input_audio_buffer.committed" => {
                    stats.committed += 1;
                    open_turn = false;
                    // Sent right after speech_stopped, for the same append.
                    if let Some(t) = last_stop_append.and_then(|k| sent(&recv_times, k)) {
                        stats.vad_ack.push(micros(now.saturating_duration_since(t)));
                    }
                }
                "response.created" => {
                    stats.created += 1;
                    if let Some(r) = ev.response {
                        let stopped_at = last_stopped.take();
                        if let Some(t) = stopped_at {
                            stats
                                .resp_created
                                .push(micros(now.saturating_duration_since(t)));
                        }
                        responses.insert(
                            r.id,
                            ResponseTrack {
                                stopped_at,
                                ..Default::default()
                            },
                        );
                    }
                }
                "response.output_audio.delta" => {
                    let Some(track) = ev.response_id.and_then(|id| responses.get_mut(id)) else {
                        stats.lost += 1;
                        continue;
                    };
                    if track.audio_done {
                        stats.lost += 1;
                    }
                    let bytes = ev.delta.map_or(0, |d| d.len() as u64 * 3 / 4);
                    match track.last_delta {
                        None => {
                            if let Some(t) = track.stopped_at {
                                stats
                                    .first_audio
                                    .push(micros(now.saturating_duration_since(t)));
                            }
                        }
                        Some((prev, prev_bytes)) => {
                            let expected = Duration::from_secs_f64(
                                prev_bytes as f64 / (RATE * 2) as f64 / f64::from(pace),
                            );
                            let gap = now.saturating_duration_since(prev);
                            stats.delta_late.push(micros(gap.saturating_sub(expected)));
                        }
                    }
                    track.deltas += 1;
                    track.last_delta = Some((now, bytes));
                }
                "response.output_audio.done" => {
                    if let Some(track) = ev.response_id.and_then(|id| responses.get_mut(id)) {
                        track.audio_done = true;
                    }
                }
                "response.done" => {
                    stats.done += 1;
                    let Some(r) = ev.response else {
                        stats.lost += 1;
                        continue;
                    };
                    let Some(track) = responses.remove(&r.id) else {
                        stats.lost += 1;
                        continue;
                    };
                    match r.status.as_deref() {
                        Some("completed") => {
                            if track.deltas == 0 || !track.audio_done {
                                stats.lost += 1;
                            }
                        }
                        Some("cancelled") => stats.cancelled += 1,
                        _ => stats.lost += 1,
                    }
                }
                "error" => {
                    eprintln!("server error: {text}");
                    stats.errors += 1;
                }
                _ => {}
            }
        }
        stats.lost += (schedule.len().saturating_sub(next_vad)) as u64;
        stats.lost += stats.started.abs_diff(stats.stopped)
            + stats.stopped.abs_diff(stats.committed)
            + stats.committed.abs_diff(stats.created)
            + stats.created.abs_diff(stats.done);
        stats
    });

    let ok = async {
        sender.send_text(update).await.ok()?;
        tokio::time::timeout(Duration::from_secs(30), updated_rx)
            .await
            .ok()?
            .ok()?;
        Some(())
    }
    .await
    .is_some();
    barrier.wait().await;
    if ok {
        // Stagger starts over the first second, then send on an absolute 100 ms schedule.
        tokio::time::sleep(Duration::from_millis(fastrand::u64(0..1000))).await;
        let start = Instant::now();
        let streamed = (seconds * 1000 / CHUNK_MS) as usize;
        let tail = TAIL_CHUNKS;
        let silence = audio.last().cloned().unwrap_or_default();
        for k in 0..streamed + tail {
            tokio::time::sleep_until(start + Duration::from_millis(k as u64 * CHUNK_MS)).await;
            let frame = if k < streamed {
                audio[k % audio.len()].clone()
            } else {
                silence.clone()
            };
            if let Ok(mut t) = times.lock() {
                t.push(Some(Instant::now()));
            }
            if sender.send_text(frame).await.is_err() {
                stats.conn_errors += 1;
                break;
            }
        }
    } else {
        stats.conn_errors += 1;
    }
    let _ = finished_tx.send(true);
    match receiver_task.await {
        Ok(s) => stats.merge(s),
        Err(_) => stats.conn_errors += 1,
    }
    let _ = sender.close(1000, "done").await;
    stats
}

fn rss_kib(pid: Option<u32>) -> u64 {
    let path = pid.map_or_else(
        || "/proc/self/status".to_owned(),
        |p| format!("/proc/{p}/status"),
    );
    std::fs::read_to_string(path)
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// CPU seconds (user + system) used so far by this process's threads whose name starts with
/// `prefix` (the runtimes name theirs `server` and `client`; spawn_blocking threads inherit it).
fn cpu_seconds(prefix: &str) -> f64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return f64::NAN;
    };
    let mut ticks = 0u64;
    for task in tasks.flatten() {
        let path = task.path();
        let comm = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
        if !comm.starts_with(prefix) {
            continue;
        }
        let stat = std::fs::read_to_string(path.join("stat")).unwrap_or_default();
        // Fields after the parenthesised name: state is field 3; utime, stime are 14, 15.
        if let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) {
            let fields: Vec<&str> = rest.split_whitespace().collect();
            for i in [11, 12] {
                ticks += fields
                    .get(i)
                    .and_then(|f| f.parse::<u64>().ok())
                    .unwrap_or(0);
            }
        }
    }
    ticks as f64 / 100.0
}

/// CPU seconds of this process's waited-for children (the espeak-ng runs).
fn children_cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return f64::NAN;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // cutime and cstime are fields 16 and 17 of the whole line.
    let ticks: u64 = [13, 14]
        .iter()
        .filter_map(|i| fields.get(*i).and_then(|f| f.parse::<u64>().ok()))
        .sum();
    ticks as f64 / 100.0
}

fn pct(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[i.min(sorted.len() - 1)]) / 1000.0
}

fn main() -> Result<(), BoxError> {
    let args = parse_args()?;
    let chunks = load_audio()?;
    let audio = Arc::new(appends(&chunks));
    let streamed = (args.seconds * 1000 / CHUNK_MS) as usize;
    let schedule = Arc::new(vad_schedule(
        &chunks,
        streamed,
        TAIL_CHUNKS,
        args.silence_ms,
    )?);

    // The in-process server gets its own runtime and threads.
    let (url, server_rt) = match &args.url {
        Some(url) => (url.clone(), None),
        None => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("server")
                .enable_all()
                .build()?;
            let config = ServerConfig::builder().max_connections(100_000).build()?;
            let session = RealtimeSession::new().pace(Pace::Speed(args.pace));
            let addr = rt.block_on(async {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
                let serve = Serve::new(listener, ServerState::with_handler(config, session));
                let addr = serve.local_addr()?;
                tokio::spawn(async move {
                    if let Err(e) = serve.await {
                        eprintln!("server: {e}");
                    }
                });
                Ok::<_, BoxError>(addr)
            })?;
            (
                format!("ws://{addr}/v1/realtime?model=gpt-realtime"),
                Some(rt),
            )
        }
    };

    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("client")
        .enable_all()
        .build()?;
    let rss_before = rss_kib(args.server_pid);
    let n = args.sessions;
    let seconds = args.seconds;
    let (stats, rss_mid, wall) = client_rt.block_on(async {
        let barrier = Arc::new(tokio::sync::Barrier::new(n + 1));
        let mut tasks = Vec::with_capacity(n);
        for _ in 0..n {
            tasks.push(tokio::spawn(run_session(
                url.clone(),
                audio.clone(),
                schedule.clone(),
                seconds,
                args.pace,
                args.silence_ms,
                barrier.clone(),
            )));
        }
        barrier.wait().await;
        let began = Instant::now();
        tokio::time::sleep(Duration::from_secs(1 + seconds / 2)).await;
        let rss_mid = rss_kib(args.server_pid);
        let mut stats = Stats::default();
        for t in tasks {
            match t.await {
                Ok(s) => stats.merge(s),
                Err(_) => stats.conn_errors += 1,
            }
        }
        (stats, rss_mid, began.elapsed())
    });
    let rss_after = rss_kib(args.server_pid);
    let cpu_server = cpu_seconds("server");
    let cpu_client = cpu_seconds("client");
    let cpu_children = children_cpu_seconds();
    drop(server_rt);

    let mut stats = stats;
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let rss_scope = if args.url.is_none() {
        "process (server+clients)"
    } else if args.server_pid.is_some() {
        "server process"
    } else {
        "n/a"
    };
    println!(
        "sessions {n}, {seconds} s streamed, wall {:.1} s, pace {}x, silence {} ms",
        wall.as_secs_f64(),
        args.pace,
        args.silence_ms
    );
    println!(
        "events {} ({:.0}/s), turns {} started / {} stopped / {} committed, responses {} created / {} done ({} cancelled)",
        stats.events,
        stats.events as f64 / wall.as_secs_f64(),
        stats.started,
        stats.stopped,
        stats.committed,
        stats.created,
        stats.done,
        stats.cancelled
    );
    println!(
        "lost {}, server errors {}, connection errors {}",
        stats.lost, stats.errors, stats.conn_errors
    );
    println!(
        "{:<14}{:>8}{:>10}{:>10}{:>10}",
        "metric", "count", "p50 ms", "p99 ms", "max ms"
    );
    for (name, v) in [
        ("vad_ack", &mut stats.vad_ack),
        ("resp_created", &mut stats.resp_created),
        ("delta_late", &mut stats.delta_late),
        ("first_audio", &mut stats.first_audio),
    ] {
        v.sort_unstable();
        println!(
            "{name:<14}{:>8}{:>10.2}{:>10.2}{:>10.2}",
            v.len(),
            pct(v, 0.5),
            pct(v, 0.99),
            pct(v, 1.0)
        );
    }
    println!(
        "RSS ({rss_scope}): before {:.1} MiB, mid-run {:.1} MiB, after {:.1} MiB, per session {:.1} KiB",
        rss_before as f64 / 1024.0,
        rss_mid as f64 / 1024.0,
        rss_after as f64 / 1024.0,
        rss_mid.saturating_sub(rss_before) as f64 / n.max(1) as f64
    );
    if args.url.is_none() {
        println!(
            "CPU: server threads {:.1} s ({:.0}% of a core), espeak-ng {:.1} s, client threads {:.1} s ({:.0}%)",
            cpu_server,
            100.0 * cpu_server / wall.as_secs_f64(),
            cpu_children,
            cpu_client,
            100.0 * cpu_client / wall.as_secs_f64()
        );
    }
    println!("loadavg {}", load.trim());
    Ok(())
}
