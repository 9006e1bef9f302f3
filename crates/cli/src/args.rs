//! The command line: every subcommand and option, as clap derive types. Nothing runs here;
//! [`crate::settings`] turns these into plain values.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use rtclient_protocol::Dialect;

use crate::printer::ColorChoice;

/// Environment variable holding the key `rtclient serve` requires from clients.
pub(crate) const RTCLIENT_SERVER_API_KEY: &str = "RTCLIENT_SERVER_API_KEY";

/// Talk to the OpenAI / Azure OpenAI Realtime API: stream audio files, run a local server,
/// read session logs.
///
/// Exit codes: 0 done; 1 the service reported an error or a turn failed; 2 usage or input-file
/// error; 3 connection or authentication failure.
#[derive(Debug, Parser)]
#[command(name = "rtclient", version, propagate_version = true)]
pub(crate) struct Cli {
    /// The subcommand.
    #[command(subcommand)]
    pub(crate) command: Command,
    /// Options of every subcommand.
    #[command(flatten)]
    pub(crate) global: GlobalArgs,
}

/// Options every subcommand accepts.
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub(crate) struct GlobalArgs {
    /// Print less: notes are hidden; `-qq` prints only errors.
    #[arg(short, long, action = clap::ArgAction::Count, global = true, conflicts_with = "verbose")]
    pub(crate) quiet: u8,
    /// Print more: debug logs on stderr (`-vv` for trace). Logs never hold message payloads
    /// (user text or audio) unless --log-payloads is given. `RUST_LOG` overrides the filter.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub(crate) verbose: u8,
    /// With `-vv`, also log every WebSocket frame with its payload: what users said and typed
    /// reaches the logs. Off by default.
    #[arg(long, global = true)]
    pub(crate) log_payloads: bool,
    /// When to use colour.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true, value_name = "WHEN")]
    pub(crate) color: ColorChoice,
    /// Never draw progress bars.
    #[arg(long, global = true)]
    pub(crate) no_progress: bool,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Stream audio files to a Realtime service and print, save and summarise the replies.
    ///
    /// The provider comes from --provider, else from the environment or a `.env` file
    /// (OPENAI_API_KEY [OPENAI_MODEL], or AZURE_OPENAI_ENDPOINT + AZURE_OPENAI_API_KEY +
    /// AZURE_OPENAI_DEPLOYMENT [AZURE_OPENAI_API_VERSION]), else the built-in local server.
    Send(Box<SendArgs>),
    /// Talk with the model live: microphone in, speaker out, transcripts printed as they stream
    /// (needs the `audio-io` build feature). Provider as for `send`; Ctrl-C ends.
    Talk(Box<TalkArgs>),
    /// Run the local Realtime-compatible server until Ctrl-C.
    Serve(Box<ServeArgs>),
    /// Print a session log, a JSONL of events or a YAML WebSocket cassette readably.
    Inspect(InspectArgs),
    /// Load-test a Realtime server: N sessions at once stream speech with server VAD and
    /// receive spoken replies; prints latencies, lost events, memory and CPU.
    ///
    /// Loads the built-in local server (in this process) unless --url names another server.
    Bench(BenchArgs),
}

/// Options of `rtclient bench`.
#[derive(Debug, Args)]
pub(crate) struct BenchArgs {
    /// Speech every session streams, looped (WAV, FLAC, OGG Vorbis, MP3).
    #[arg(
        long,
        value_name = "FILE",
        default_value = "testdata/audio/speech_10s_16k_mono.wav"
    )]
    pub(crate) audio: PathBuf,
    /// Concurrent sessions.
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub(crate) sessions: usize,
    /// Seconds of audio each session streams.
    #[arg(long, value_name = "SECONDS", default_value_t = 20)]
    pub(crate) seconds: u64,
    /// A ws:// or wss:// Realtime URL (GA dialect) to load instead of the local server; a bearer
    /// key is taken from RTCLIENT_API_KEY.
    #[arg(long, value_name = "URL")]
    pub(crate) url: Option<String>,
    /// Process id of the server behind --url, to report its memory.
    #[arg(long, value_name = "PID", requires = "url")]
    pub(crate) server_pid: Option<u32>,
    /// Response pace of the local server, times real time (the lateness of audio deltas is
    /// measured against it).
    #[arg(long, value_name = "X", default_value_t = 4.0)]
    pub(crate) pace: f32,
    /// Server VAD silence that ends a turn, in ms.
    #[arg(long, value_name = "MS", default_value_t = 500)]
    pub(crate) silence_ms: u32,
    /// Silence after each pass of the clip before it starts again, in ms: room for the reply,
    /// so the next turn does not cut it short.
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    pub(crate) gap_ms: u64,
    /// Which API to load: realtime (turns, VAD, responses) or live (the local server's
    /// continuous-audio GPT-Live sessions).
    #[arg(long, value_enum, default_value_t = ApiArg::Realtime)]
    pub(crate) api: ApiArg,
}

/// The wire dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum DialectArg {
    /// The GA protocol.
    Ga,
    /// The beta protocol (`OpenAI-Beta: realtime=v1`, Azure preview api-versions).
    Beta,
}

impl From<DialectArg> for Dialect {
    fn from(dialect: DialectArg) -> Self {
        match dialect {
            DialectArg::Ga => Dialect::Ga,
            DialectArg::Beta => Dialect::Beta,
        }
    }
}

/// Turn detection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum VadArg {
    /// Server VAD: silence ends a turn.
    Server,
    /// Semantic VAD: the model decides when the user is done.
    Semantic,
    /// No VAD: the file is appended, committed and a response requested.
    None,
}

/// Options of `rtclient send`.
#[derive(Debug, Args)]
pub(crate) struct SendArgs {
    /// Audio files to send (WAV, FLAC, OGG Vorbis, MP3), one after the other.
    #[arg(required = true, value_name = "FILE")]
    pub(crate) files: Vec<PathBuf>,
    /// Which API: realtime (turns, VAD) or live (GPT-Live: full duplex, delegation; the model
    /// defaults to gpt-live-1).
    #[arg(long, value_enum, default_value_t = ApiArg::Realtime, help_heading = "Connection")]
    pub(crate) api: ApiArg,

    /// Where and how to connect.
    #[command(flatten)]
    pub(crate) connection: ConnectionArgs,

    /// Instructions for the model, as text or @FILE.
    #[arg(long, value_name = "TEXT|@FILE", help_heading = "Session")]
    pub(crate) instructions: Option<String>,
    /// Output voice (e.g. alloy, marin, cedar).
    #[arg(long, help_heading = "Session")]
    pub(crate) voice: Option<String>,
    /// Turn detection: server, semantic or none.
    #[arg(long, value_enum, default_value_t = VadArg::Server, help_heading = "Session")]
    pub(crate) vad: VadArg,
    /// Server VAD activation threshold, 0.0 to 1.0.
    #[arg(long, value_name = "0..1", help_heading = "Session")]
    pub(crate) threshold: Option<f64>,
    /// Server VAD audio kept before speech starts, in ms.
    #[arg(long, value_name = "MS", help_heading = "Session")]
    pub(crate) prefix_padding_ms: Option<u32>,
    /// Server VAD silence that ends a turn, in ms.
    #[arg(long, value_name = "MS", help_heading = "Session")]
    pub(crate) silence_ms: Option<u32>,
    /// Transcribe the input audio with this model (e.g. whisper-1, gpt-4o-transcribe).
    #[arg(long, value_name = "MODEL", help_heading = "Session")]
    pub(crate) transcribe: Option<String>,
    /// Function definitions (a JSON object or array of tools); may be repeated.
    #[arg(long, value_name = "FILE.json", help_heading = "Session")]
    pub(crate) tool: Vec<PathBuf>,
    /// Answers to function calls: a JSON object mapping function name to output; calls without
    /// an answer are printed and left to the user.
    #[arg(long, value_name = "FILE.json", help_heading = "Session")]
    pub(crate) tool_outputs: Option<PathBuf>,

    /// Streaming pace: realtime (like a microphone), Nx (N times faster, e.g. 4x) or max.
    #[arg(
        long,
        default_value = "realtime",
        value_name = "realtime|Nx|max",
        help_heading = "Streaming"
    )]
    pub(crate) pace: String,
    /// Seconds to wait for the server once all audio is sent before giving up (exit 1).
    #[arg(
        long,
        default_value_t = 30,
        value_name = "SECONDS",
        help_heading = "Streaming"
    )]
    pub(crate) reply_timeout: u64,

    /// Directory for reply audio (ITEM_ID.wav) and transcripts (ITEM_ID.txt).
    #[arg(
        long,
        default_value = "rtclient-out",
        value_name = "DIR",
        help_heading = "Output"
    )]
    pub(crate) out: PathBuf,
    /// Write every received event as JSONL to stdout instead of readable lines.
    #[arg(long, help_heading = "Output")]
    pub(crate) json: bool,
    /// Write every frame sent and received, with timestamps, to a JSONL session log.
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub(crate) record: Option<PathBuf>,
    /// The built-in local server's engines (with no credentials or `--provider local`).
    #[command(flatten)]
    pub(crate) engines: crate::engines::EngineArgs,
}

/// The API `send` speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ApiArg {
    /// The Realtime API (`/v1/realtime`).
    Realtime,
    /// GPT-Live (`/v1/live/sessions`).
    Live,
}

/// The connection options `send` and `talk` share.
#[derive(Debug, Args)]
pub(crate) struct ConnectionArgs {
    /// Where to connect: openai, azure, local, or a ws:// / wss:// URL.
    #[arg(long, value_name = "PROVIDER", help_heading = "Connection")]
    pub(crate) provider: Option<String>,
    /// Also trust the certificates of this PEM file for wss:// (a local `rtclient serve
    /// --tls-cert` server's self-signed certificate, or a TLS-inspecting proxy's CA).
    #[arg(long, value_name = "FILE", help_heading = "Connection")]
    pub(crate) ca_cert: Option<PathBuf>,
    /// Endpoint of the OpenAI-compatible service or Azure resource (overrides the environment).
    #[arg(long, value_name = "URL", help_heading = "Connection")]
    pub(crate) endpoint: Option<String>,
    /// OpenAI model (overrides OPENAI_MODEL).
    #[arg(long, value_name = "MODEL", help_heading = "Connection")]
    pub(crate) model: Option<String>,
    /// Azure deployment (overrides AZURE_OPENAI_DEPLOYMENT).
    #[arg(long, value_name = "NAME", help_heading = "Connection")]
    pub(crate) deployment: Option<String>,
    /// Azure api-version; selects the preview URL and the beta dialect (overrides
    /// AZURE_OPENAI_API_VERSION).
    #[arg(long, value_name = "VERSION", help_heading = "Connection")]
    pub(crate) api_version: Option<String>,
    /// Wire dialect (default: from the provider; Azure preview speaks beta).
    #[arg(long, value_enum, help_heading = "Connection")]
    pub(crate) dialect: Option<DialectArg>,
}

/// Options of `rtclient talk`.
#[derive(Debug, Args)]
#[cfg_attr(not(feature = "audio-io"), allow(dead_code))]
pub(crate) struct TalkArgs {
    /// Where and how to connect.
    #[command(flatten)]
    pub(crate) connection: ConnectionArgs,

    /// Instructions for the model, as text or @FILE.
    #[arg(long, value_name = "TEXT|@FILE", help_heading = "Session")]
    pub(crate) instructions: Option<String>,
    /// Output voice (e.g. alloy, marin, cedar).
    #[arg(long, help_heading = "Session")]
    pub(crate) voice: Option<String>,
    /// Server VAD silence that ends a turn, in ms.
    #[arg(long, value_name = "MS", help_heading = "Session")]
    pub(crate) silence_ms: Option<u32>,
    /// Transcribe what you say with this model (e.g. whisper-1, gpt-4o-transcribe).
    #[arg(long, value_name = "MODEL", help_heading = "Session")]
    pub(crate) transcribe: Option<String>,
    /// Function definitions (a JSON object or array of tools); may be repeated.
    #[arg(long, value_name = "FILE.json", help_heading = "Session")]
    pub(crate) tool: Vec<PathBuf>,
    /// Answers to function calls: a JSON object mapping function name to output; a call
    /// without an answer gets an error output saying so.
    #[arg(long, value_name = "FILE.json", help_heading = "Session")]
    pub(crate) tool_outputs: Option<PathBuf>,

    /// End after this many answered turns, once their audio has played.
    #[arg(long, value_name = "N", help_heading = "Ending")]
    pub(crate) max_turns: Option<u32>,
    /// End after this many seconds.
    #[arg(long, value_name = "SECONDS", help_heading = "Ending")]
    pub(crate) duration: Option<u64>,

    /// The built-in local server's engines (with no credentials or `--provider local`).
    #[command(flatten)]
    pub(crate) engines: crate::engines::EngineArgs,
}

/// Options of `rtclient serve`.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8765", value_name = "HOST:PORT")]
    pub(crate) listen: SocketAddr,
    /// Require this API key from clients (bearer, `api-key` header or query).
    #[arg(long, env = RTCLIENT_SERVER_API_KEY, hide_env_values = true, value_name = "KEY")]
    pub(crate) api_key: Option<String>,
    /// Refuse beta-shaped connections (close 4000), as OpenAI does today.
    #[arg(long)]
    pub(crate) refuse_beta: bool,
    /// The model name shown in the printed URL.
    #[arg(long, default_value = "gpt-realtime")]
    pub(crate) model: String,
    /// Reply (and call tools) by the rules of this YAML or JSON script instead of the default
    /// responder, and inject its faults (stalls, errors, dropped or closed connections, latency,
    /// rate limits); see `rtclient_server::Script`.
    #[arg(long, value_name = "FILE")]
    pub(crate) script: Option<PathBuf>,
    /// Voice activity detector for server VAD (falls back to earshot when Silero's files are
    /// not installed; see scripts/install-engines).
    #[arg(long, value_enum, default_value_t, help_heading = "Engines")]
    pub(crate) vad: rtclient_server::VadChoice,
    /// How fast a reply's audio streams: realtime (as fast as it plays, like a phone line),
    /// Nx (N times faster) or max. Faster than real time, as the service does, by default.
    #[arg(
        long,
        default_value = "4x",
        value_name = "realtime|Nx|max",
        help_heading = "Engines"
    )]
    pub(crate) pace: String,
    /// Serve `wss://` with this PEM certificate chain (needs --tls-key); for clients that only
    /// dial TLS, such as the openai Node SDK.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub(crate) tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub(crate) tls_key: Option<PathBuf>,
    /// Largest message accepted from a client, in bytes.
    #[arg(long, value_name = "BYTES", help_heading = "Limits")]
    pub(crate) max_message_size: Option<usize>,
    /// Most unsent output one connection may hold, in bytes (default 32 MiB); a client that
    /// stops reading, or floods pings without reading the pongs, is dropped once it is full.
    #[arg(long, value_name = "BYTES", help_heading = "Limits")]
    pub(crate) max_write_buffer: Option<usize>,
    /// Connections served at once, counted from accept; more are answered HTTP 503.
    #[arg(long, value_name = "N", help_heading = "Limits")]
    pub(crate) max_connections: Option<usize>,
    /// Time a client has to send its request head after connecting, in seconds (default 5);
    /// slower clients are dropped.
    #[arg(long, value_name = "SECONDS", help_heading = "Limits")]
    pub(crate) header_timeout_secs: Option<u64>,
    /// Session length before the server closes with 1001, in seconds.
    #[arg(long, value_name = "SECONDS", help_heading = "Limits")]
    pub(crate) max_session_secs: Option<u64>,
    /// Interval between server pings, in seconds (default 20); a client that answers none of
    /// two pings in a row is closed with 1011 "keepalive ping timeout" when the next falls due.
    #[arg(long, value_name = "SECONDS", help_heading = "Limits")]
    pub(crate) ping_interval_secs: Option<u64>,
    #[command(flatten)]
    pub(crate) engines: crate::engines::EngineArgs,
}

/// Options of `rtclient inspect`.
#[derive(Debug, Args)]
pub(crate) struct InspectArgs {
    /// The log: our JSONL session log, a JSONL of raw events, or a YAML WebSocket cassette.
    #[arg(value_name = "LOG")]
    pub(crate) log: PathBuf,
    /// Exit 1 naming each frame that is not a known typed event or does not round-trip
    /// losslessly.
    #[arg(long)]
    pub(crate) strict: bool,
    /// Write one JSON object per frame (index, direction, type, checks, summary, frame).
    #[arg(long)]
    pub(crate) json: bool,
    /// Dialect of the frames (default: guessed from the event names and the file name).
    #[arg(long, value_enum)]
    pub(crate) dialect: Option<DialectArg>,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn command_is_well_formed() {
        Cli::command().debug_assert();
    }
}
