//! `rtclient bench --api live`: N concurrent GPT-Live sessions on the built-in local server,
//! each streaming the looped speech in 100 ms appends at real time for `--seconds` while the
//! server streams its continuous output track back (100 ms deltas, silence included, the
//! replies spoken into it).
//!
//! A session keeps real time when every output delta arrives within [`LATE`] of its place on
//! the track (the first delta's arrival plus 100 ms per delta before it). The report gives the
//! deltas received against those the track should have had, their lateness, and the server's
//! CPU: sessions per core is the session count over the share of a core the server threads
//! used, when every session kept real time.

use std::sync::Arc;
use std::time::Duration;

use rtclient::live::LiveClient;
use rtclient::protocol::live::{ClientEvent, ServerEvent, SessionConfig};
use rtclient::{ClientConfig, LiveEndpoint, Target};
use tokio::time::Instant;

use super::{CHUNK_MS, report};
use crate::exit::CliError;

/// How late a delta may arrive and the session still keep real time.
const LATE: Duration = Duration::from_millis(200);

/// What every session does.
pub(super) struct Plan {
    /// The local server's Live endpoint.
    pub(super) config: ClientConfig,
    /// The `session.input_audio.append` frame of each 100 ms chunk, looped.
    pub(super) appends: Vec<String>,
    /// Seconds each session streams.
    pub(super) seconds: u64,
}

impl Plan {
    /// The plan for the local server at `addr`.
    pub(super) fn new(addr: &str, chunks: &[Vec<u8>], seconds: u64) -> Result<Self, CliError> {
        let target = Target::openai_live_at(&format!("http://{addr}"), LiveEndpoint::Sessions)?;
        let appends = chunks
            .iter()
            .map(|chunk| ClientEvent::input_audio(chunk).to_json())
            .collect::<Result<_, _>>()
            .map_err(|e| CliError::failure("cannot encode the bench audio").caused_by(&e))?;
        Ok(Self {
            config: ClientConfig::builder(target)
                .connect_timeout(Duration::from_secs(30))
                .keepalive_interval(None)
                .build(),
            appends,
            seconds,
        })
    }
}

/// What one session (or all, merged) measured.
#[derive(Debug, Default)]
pub(super) struct Stats {
    /// Sessions that ran to the end.
    pub(super) sessions: usize,
    /// Sessions that failed to connect, start or close.
    pub(super) failed: usize,
    /// Sessions with a delta later than [`LATE`].
    pub(super) late_sessions: usize,
    /// Output deltas received.
    pub(super) deltas: u64,
    /// Output deltas the track should have had by the end of streaming.
    pub(super) expected: u64,
    /// Lateness of every delta, µs.
    pub(super) lateness: Vec<u32>,
}

impl Stats {
    fn merge(&mut self, other: Stats) {
        self.sessions += other.sessions;
        self.failed += other.failed;
        self.late_sessions += other.late_sessions;
        self.deltas += other.deltas;
        self.expected += other.expected;
        self.lateness.extend(other.lateness);
    }
}

/// Runs `n` sessions at once; returns what they measured and the wall time.
pub(super) async fn run_all(plan: Arc<Plan>, n: usize) -> (Stats, Duration) {
    let barrier = Arc::new(tokio::sync::Barrier::new(n + 1));
    let tasks: Vec<_> = (0..n)
        .map(|_| tokio::spawn(session(Arc::clone(&plan), Arc::clone(&barrier))))
        .collect();
    barrier.wait().await;
    let began = Instant::now();
    let mut stats = Stats::default();
    for task in tasks {
        match task.await {
            Ok(Ok(session)) => stats.merge(session),
            _ => stats.failed += 1,
        }
    }
    (stats, began.elapsed())
}

/// One session: start, stream at real time while timing the output track, close.
async fn session(plan: Arc<Plan>, barrier: Arc<tokio::sync::Barrier>) -> Result<Stats, ()> {
    let started = start(&plan).await;
    barrier.wait().await;
    let client = started.map_err(drop)?;
    let (sender, mut receiver) = client.split();
    let streaming = Duration::from_secs(plan.seconds);
    let began = Instant::now();
    let mic = tokio::spawn({
        let (plan, sender) = (Arc::clone(&plan), sender.clone());
        async move {
            let mut at = began;
            for append in plan.appends.iter().cycle() {
                if at.duration_since(began) >= streaming {
                    return;
                }
                tokio::time::sleep_until(at).await;
                if sender.send_text(append.clone()).await.is_err() {
                    return;
                }
                at += Duration::from_millis(CHUNK_MS);
            }
        }
    });
    let mut stats = Stats {
        sessions: 1,
        ..Stats::default()
    };
    let mut first: Option<Instant> = None;
    let deadline = began + streaming;
    while let Ok(received) = tokio::time::timeout_at(deadline, receiver.recv()).await {
        let Ok(Some(event)) = received else {
            break;
        };
        if let ServerEvent::OutputAudioDelta(_) = event {
            let now = Instant::now();
            let first = *first.get_or_insert(now);
            let due = first + Duration::from_millis(CHUNK_MS) * stats.deltas as u32;
            stats
                .lateness
                .push(report::micros(now.saturating_duration_since(due)));
            stats.deltas += 1;
        }
    }
    mic.abort();
    if let Some(first) = first {
        stats.expected =
            (deadline.saturating_duration_since(first).as_millis() as u64).div_ceil(CHUNK_MS);
    }
    let late = LATE.as_micros() as u32;
    if stats.lateness.iter().any(|&l| l > late) || stats.deltas + 1 < stats.expected {
        stats.late_sessions = 1;
    }
    sender
        .send(rtclient::protocol::live::SessionClose::default())
        .await
        .map_err(drop)?;
    while let Ok(Some(event)) = receiver.recv().await {
        if matches!(event, ServerEvent::SessionClosed(_)) {
            break;
        }
    }
    Ok(stats)
}

/// Connects and starts a session.
async fn start(plan: &Plan) -> Result<LiveClient, rtclient::Error> {
    let mut client = LiveClient::connect(&plan.config).await?;
    client
        .send(ClientEvent::session_start(SessionConfig::new("gpt-live-1")))
        .await?;
    loop {
        match client.recv().await? {
            Some(ServerEvent::SessionStarted(_)) => return Ok(client),
            Some(_) => {}
            None => return Err(rtclient::Error::Disconnected),
        }
    }
}

/// Prints the report.
pub(super) fn print(n: usize, seconds: u64, mut stats: Stats, wall: Duration, cpu: (f64, f64)) {
    stats.lateness.sort_unstable();
    let (server, espeak) = cpu;
    let share = server / wall.as_secs_f64().max(f64::EPSILON);
    println!(
        "live bench: {n} sessions x {seconds} s, {} ran, {} failed, wall {:.1} s",
        stats.sessions,
        stats.failed,
        wall.as_secs_f64()
    );
    println!(
        "output deltas: {} received of {} due ({} sessions late: a delta over {} ms late or missing)",
        stats.deltas,
        stats.expected,
        stats.late_sessions,
        LATE.as_millis()
    );
    println!(
        "delta lateness ms: p50 {:.1} p99 {:.1} max {:.1}",
        report::percentile_ms(&stats.lateness, 0.5),
        report::percentile_ms(&stats.lateness, 0.99),
        report::percentile_ms(&stats.lateness, 1.0)
    );
    println!(
        "CPU: server threads {server:.1} s ({:.0}% of a core), espeak-ng {espeak:.1} s",
        share * 100.0
    );
    if stats.late_sessions == 0 && stats.failed == 0 && share > 0.0 {
        println!(
            "sessions per core at real time: {:.0} (server threads only)",
            n as f64 / share
        );
    } else {
        println!("sessions per core at real time: n/a (some sessions fell behind or failed)");
    }
}
