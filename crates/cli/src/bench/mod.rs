//! `rtclient bench`: a Realtime load test. N concurrent sessions each stream speech in real time
//! with server VAD and receive spoken replies; the report gives latencies, lost events, memory
//! and CPU. `--api live` loads the local server's GPT-Live sessions instead ([`live`]).
//!
//! Without `--url` the built-in local server runs in this process on 127.0.0.1:0 (its own
//! 2-thread runtime; the clients get another), with the default engines (earshot VAD, echo
//! responder, espeak-ng speech, responses paced at `--pace` times real time).
//!
//! Each session connects with the raw [`rtclient::Connection`], sends `session.update` with
//! server VAD, waits for `session.updated`, then (after a random start delay in the first second)
//! streams the audio resampled to 24 kHz PCM16, framed as 0.5 s silence + clip + `--gap-ms` of
//! silence (default 1 s) and looped, in 100 ms appends on an absolute real-time schedule for
//! `--seconds`, then 1.5 s of silence so the last turn ends, then waits for the last response to
//! finish.
//!
//! Latencies (client-observed; the server stamps nothing):
//! - `vad_ack` (`speech_started`, `speech_stopped`, `committed`): arrival minus the send time of
//!   the append after which the server emits the event, found by replaying the local server's
//!   VAD over the same appends.
//! - `resp_created`: `response.created` arrival minus `speech_stopped` arrival.
//! - `first_audio`: first audio delta arrival minus `speech_stopped` arrival (includes speech
//!   synthesis).
//! - `delta_late`: how much later than the server's pacing each audio delta arrives.
//!
//! Lost events: the VAD events the replay predicts must arrive in order; speech_started,
//! speech_stopped, committed, response.created and response.done must pair up; a completed
//! response must carry audio deltas, none after its `response.output_audio.done`. A server whose
//! VAD is not the local server's (a real deployment) detects turns at other points, so there the
//! VAD order check and `vad_ack` say how far it differs, not how late it is.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rtclient::{ClientConfig, Target};
use rtclient_audio::Pace;
use rtclient_server::{RealtimeSession, Serve, ServerConfig, ServerState};
use tokio::runtime::Runtime;
use tokio::time::Instant;

use crate::args::{ApiArg, BenchArgs};
use crate::exit::CliError;
use crate::provider::custom_url_credential;

mod audio;
mod live;
mod report;
mod session;

/// Length of one append.
const CHUNK_MS: u64 = 100;
/// The wire sample rate (PCM16 mono).
const RATE: u32 = 24_000;
/// Bytes of one append.
const CHUNK_BYTES: usize = (RATE as u64 * 2 * CHUNK_MS / 1000) as usize;
/// The server VAD's prefix padding.
const PREFIX_PADDING_MS: u32 = 300;
/// 1.5 s of silence after the stream, so the last turn ends.
const TAIL_CHUNKS: usize = 15;

/// What `rtclient bench` runs.
struct BenchSettings {
    audio: PathBuf,
    sessions: usize,
    seconds: u64,
    url: Option<String>,
    server_pid: Option<u32>,
    pace: f32,
    silence_ms: u32,
    gap_ms: u64,
    api: ApiArg,
}

impl BenchSettings {
    fn resolve(args: BenchArgs) -> Result<Self, CliError> {
        if !(args.pace.is_finite() && args.pace > 0.0) {
            return Err(CliError::usage("--pace must be a positive number"));
        }
        if args.sessions == 0 {
            return Err(CliError::usage("--sessions must be at least 1"));
        }
        Ok(Self {
            audio: args.audio,
            sessions: args.sessions,
            seconds: args.seconds,
            url: args.url,
            server_pid: args.server_pid,
            pace: args.pace,
            silence_ms: args.silence_ms,
            gap_ms: args.gap_ms,
            api: args.api,
        })
    }
}

/// Runs the bench on its own runtimes (one for the local server, one for the clients, so their
/// CPU is counted apart) and prints the report.
pub(crate) fn run(args: BenchArgs) -> Result<(), CliError> {
    let settings = BenchSettings::resolve(args)?;
    let chunks = audio::load(&settings.audio, settings.gap_ms)?;
    if settings.api == ApiArg::Live {
        return run_live(&settings, &chunks);
    }
    let streamed = (settings.seconds * 1000 / CHUNK_MS) as usize;
    let schedule = audio::vad_schedule(&chunks, streamed, TAIL_CHUNKS, settings.silence_ms)?;
    let (url, server_runtime) = match &settings.url {
        Some(url) => (url.clone(), None),
        None => {
            let (addr, runtime) = start_local_server(settings.pace)?;
            (
                format!("ws://{addr}/v1/realtime?model=gpt-realtime"),
                Some(runtime),
            )
        }
    };
    let plan = Arc::new(session::Plan {
        config: client_config(&url)?,
        audio: audio::appends(&chunks),
        schedule,
        seconds: settings.seconds,
        pace: settings.pace,
        silence_ms: settings.silence_ms,
    });
    let client_runtime = runtime("client")?;
    let rss_before = report::rss_kib(settings.server_pid);
    let (stats, rss_mid, wall) = client_runtime.block_on(run_sessions(plan, &settings));
    let rss_after = report::rss_kib(settings.server_pid);
    let cpu = server_runtime.is_some().then(|| {
        (
            report::cpu_seconds("server"),
            report::children_cpu_seconds(),
            report::cpu_seconds("client"),
        )
    });
    drop(server_runtime);
    let rss_scope = match (&settings.url, settings.server_pid) {
        (None, _) => "process (server+clients)",
        (Some(_), Some(_)) => "server process",
        (Some(_), None) => "n/a",
    };
    let machine = report::Machine {
        wall,
        rss_before,
        rss_mid,
        rss_after,
        rss_scope,
        cpu,
    };
    let run = report::Run {
        sessions: settings.sessions,
        seconds: settings.seconds,
        pace: settings.pace,
        silence_ms: settings.silence_ms,
    };
    report::print(&run, stats, &machine);
    Ok(())
}

/// `--api live`: the local server's continuous-audio GPT-Live sessions.
fn run_live(settings: &BenchSettings, chunks: &[Vec<u8>]) -> Result<(), CliError> {
    if settings.url.is_some() {
        return Err(CliError::usage(
            "--api live loads the built-in local server only; leave out --url",
        ));
    }
    let (addr, server_runtime) = start_local_server(settings.pace)?;
    let plan = Arc::new(live::Plan::new(
        &addr.to_string(),
        chunks,
        settings.seconds,
    )?);
    let client_runtime = runtime("client")?;
    let (stats, wall) = client_runtime.block_on(live::run_all(plan, settings.sessions));
    let cpu = (
        report::cpu_seconds("server"),
        report::children_cpu_seconds(),
    );
    drop(server_runtime);
    live::print(settings.sessions, settings.seconds, stats, wall, cpu);
    Ok(())
}

/// Starts every session, samples memory half-way, and merges what they measured.
async fn run_sessions(
    plan: Arc<session::Plan>,
    settings: &BenchSettings,
) -> (report::Stats, u64, Duration) {
    let n = settings.sessions;
    let barrier = Arc::new(tokio::sync::Barrier::new(n + 1));
    let tasks: Vec<_> = (0..n)
        .map(|_| tokio::spawn(session::run(plan.clone(), barrier.clone())))
        .collect();
    barrier.wait().await;
    let began = Instant::now();
    tokio::time::sleep(Duration::from_secs(1 + settings.seconds / 2)).await;
    let rss_mid = report::rss_kib(settings.server_pid);
    let mut stats = report::Stats::default();
    for task in tasks {
        match task.await {
            Ok(session) => stats.merge(session),
            Err(_) => stats.conn_errors += 1,
        }
    }
    (stats, rss_mid, began.elapsed())
}

/// The client settings for `url`: a bearer key from `RTCLIENT_API_KEY` when set (never a
/// provider key, which could leak to a third party), and a generous connect timeout since
/// hundreds of sessions connect at once.
fn client_config(url: &str) -> Result<ClientConfig, CliError> {
    let target = Target::custom(url)?;
    let credential = custom_url_credential(&|name| std::env::var(name).ok());
    Ok(ClientConfig::builder(target)
        .credential(credential)
        .connect_timeout(Duration::from_secs(30))
        .build())
}

/// A 2-thread runtime whose threads are named `name` (the CPU report counts by name).
fn runtime(name: &str) -> Result<Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(name)
        .enable_all()
        .build()
        .map_err(|e| CliError::failure("could not start the async runtime").caused_by(&e))
}

/// The built-in local server on 127.0.0.1:0, on its own runtime; returns its address.
fn start_local_server(pace: f32) -> Result<(std::net::SocketAddr, Runtime), CliError> {
    let runtime = runtime("server")?;
    let config = ServerConfig::builder()
        .max_connections(100_000)
        .build()
        .map_err(|e| CliError::failure("invalid local server settings").caused_by(&e))?;
    let session = RealtimeSession::new().pace(Pace::Speed(f64::from(pace)));
    let addr = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let serve = Serve::new(listener, ServerState::with_handler(config, session));
        let addr = serve.local_addr()?;
        tokio::spawn(async move {
            if let Err(e) = serve.await {
                eprintln!("server: {e}");
            }
        });
        Ok::<_, std::io::Error>(addr)
    });
    let addr =
        addr.map_err(|e| CliError::failure("could not start the local server").caused_by(&e))?;
    Ok((addr, runtime))
}
