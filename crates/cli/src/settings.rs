//! Arguments, environment and `.env` resolved once into plain values, before any work.
//!
//! Each command receives one settings struct and never looks at flags or the environment itself;
//! the connection ([`provider`]) and session options ([`crate::session_options`]) that `send` and
//! `talk` share resolve in their own modules. `Debug` of every struct is safe to print:
//! keys are held in [`rtclient::Secret`] / [`rtclient_server::ApiKey`], which leave them out.

use std::path::PathBuf;
use std::time::Duration;

use rtclient_audio::Pace;
use rtclient_protocol::Dialect;
use rtclient_server::Script;
use rtclient_server::Tls;
use rtclient_server::{ApiKey, ServerConfig};

use crate::args::{InspectArgs, SendArgs, ServeArgs};
use crate::exit::CliError;
use crate::provider::{self, ConnectionSettings};
use crate::session_options::{SessionFlags, SessionOptions, TurnFlags};

/// Settings of `rtclient serve`.
#[derive(Debug)]
pub(crate) struct ServeSettings {
    /// The validated server configuration.
    pub(crate) config: ServerConfig,
    /// The model name shown in the printed URL.
    pub(crate) model: String,
    /// The reply script, when `--script` was given.
    pub(crate) script: Option<Script>,
    /// TLS, when `--tls-cert` and `--tls-key` were given.
    pub(crate) tls: Option<Tls>,
    /// The voice activity detector asked for.
    pub(crate) vad: rtclient_server::VadChoice,
    /// The reply and speech engines.
    pub(crate) engines: crate::engines::EngineArgs,
    /// How fast replies stream.
    pub(crate) pace: Pace,
}

impl ServeSettings {
    /// Builds the server configuration from the flags (and `RTCLIENT_SERVER_API_KEY`).
    pub(crate) fn resolve(args: ServeArgs) -> Result<Self, CliError> {
        let mut builder = ServerConfig::builder()
            .listen_addr(args.listen)
            .refuse_beta(args.refuse_beta);
        if let Some(key) = args.api_key.filter(|key| !key.is_empty()) {
            builder = builder.api_key(ApiKey::new(key));
        }
        if let Some(bytes) = args.max_message_size {
            builder = builder.max_message_size(bytes).max_frame_size(bytes);
        }
        if let Some(bytes) = args.max_write_buffer {
            builder = builder.max_write_buffer_size(bytes);
        }
        if let Some(n) = args.max_connections {
            builder = builder.max_connections(n);
        }
        if let Some(secs) = args.header_timeout_secs {
            builder = builder.header_timeout(Duration::from_secs(secs));
        }
        if let Some(secs) = args.max_session_secs {
            builder = builder.max_session_duration(Duration::from_secs(secs));
        }
        if let Some(secs) = args.ping_interval_secs {
            builder = builder.ping_interval(Duration::from_secs(secs));
        }
        let config = builder.build().map_err(|e| {
            CliError::usage("invalid server settings")
                .caused_by(&e)
                .hint("see `rtclient serve --help`")
        })?;
        let script = match args.script {
            Some(path) => Some(Script::load(&path).map_err(|e| {
                CliError::usage("invalid --script")
                    .caused_by(&e)
                    .hint("see the Script docs of rtclient-server for the format")
            })?),
            None => None,
        };
        let tls = match (args.tls_cert, args.tls_key) {
            (Some(cert), Some(key)) => Some(Tls::from_pem_files(&cert, &key).map_err(|e| {
                CliError::usage("invalid --tls-cert or --tls-key")
                    .caused_by(&e)
                    .hint("both must be PEM files: the certificate chain and its private key")
            })?),
            _ => None,
        };
        let pace = parse_pace(&args.pace)?;
        Ok(Self {
            config,
            model: args.model,
            script,
            tls,
            pace,
            vad: args.vad,
            engines: args.engines,
        })
    }
}

/// Settings of `rtclient inspect`.
#[derive(Debug)]
pub(crate) struct InspectSettings {
    /// The log file.
    pub(crate) path: PathBuf,
    /// Fail on untyped or lossy frames.
    pub(crate) strict: bool,
    /// JSONL output.
    pub(crate) json: bool,
    /// The dialect, when given; otherwise guessed.
    pub(crate) dialect: Option<Dialect>,
}

impl InspectSettings {
    /// Takes the flags as they are.
    pub(crate) fn resolve(args: InspectArgs) -> Self {
        Self {
            path: args.log,
            strict: args.strict,
            json: args.json,
            dialect: args.dialect.map(Dialect::from),
        }
    }
}

/// Settings of `rtclient send`.
#[derive(Debug)]
pub(crate) struct SendSettings {
    /// Input files, checked to exist.
    pub(crate) files: Vec<PathBuf>,
    /// Where and how to connect.
    pub(crate) connection: ConnectionSettings,
    /// Session options.
    pub(crate) session: SessionOptions,
    /// Streaming pace.
    pub(crate) pace: Pace,
    /// How long to wait for the server once all audio is sent.
    pub(crate) reply_timeout: Duration,
    /// Output directory.
    pub(crate) out: PathBuf,
    /// JSONL output.
    pub(crate) json: bool,
    /// Session log path.
    pub(crate) record: Option<PathBuf>,
    /// The built-in local server's engines.
    pub(crate) engines: crate::engines::EngineArgs,
}

impl SendSettings {
    /// Resolves flags, the process environment and `.env`.
    pub(crate) fn resolve(args: SendArgs) -> Result<Self, CliError> {
        Self::resolve_with(args, provider::environment())
    }

    /// Resolves with variables looked up by `lookup` (the environment, in tests a map).
    pub(crate) fn resolve_with(
        args: SendArgs,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, CliError> {
        for file in &args.files {
            check_input_file(file)?;
        }
        let pace = parse_pace(&args.pace)?;
        let flags = SessionFlags {
            instructions: args.instructions,
            voice: args.voice,
            turn: TurnFlags {
                vad: args.vad,
                threshold: args.threshold,
                prefix_padding_ms: args.prefix_padding_ms,
                silence_ms: args.silence_ms,
            },
            transcribe: args.transcribe,
            tool: args.tool,
            tool_outputs: args.tool_outputs,
        };
        flags.turn.check()?;
        let connection = ConnectionSettings::resolve(&args.connection, &lookup)?;
        let session = flags.read()?;
        Ok(Self {
            files: args.files,
            connection,
            session,
            pace,
            reply_timeout: Duration::from_secs(args.reply_timeout.max(1)),
            out: args.out,
            json: args.json,
            engines: args.engines,
            record: args.record,
        })
    }
}

/// Parses `realtime`, `Nx` (e.g. `4x`, `1.5x`) or `max`.
pub(crate) fn parse_pace(text: &str) -> Result<Pace, CliError> {
    let bad = || {
        CliError::usage(format!("invalid --pace `{text}`"))
            .hint("use realtime, max, or a speed such as 2x or 0.5x")
    };
    match text.trim().to_ascii_lowercase().as_str() {
        "realtime" | "real-time" | "1x" => Ok(Pace::RealTime),
        "max" => Ok(Pace::Max),
        other => {
            let n: f64 = other
                .strip_suffix('x')
                .ok_or_else(bad)?
                .parse()
                .map_err(|_| bad())?;
            if n.is_finite() && n > 0.0 {
                Ok(Pace::Speed(n))
            } else {
                Err(bad())
            }
        }
    }
}

/// Checks that an input file exists, is a file and is readable; the audio format is checked
/// when it is opened for streaming.
fn check_input_file(path: &std::path::Path) -> Result<(), CliError> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() => Ok(()),
        Ok(_) => Err(CliError::usage(format!("{}: not a file", path.display()))),
        Err(e) => Err(
            CliError::usage(format!("{}: cannot read the input file", path.display()))
                .caused_by(&e)
                .hint("check the path"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use clap::Parser;

    use super::*;
    use crate::args::{Cli, Command};
    use crate::provider::{LocalReason, Provider};

    fn send_args(argv: &[&str]) -> SendArgs {
        let mut full = vec!["rtclient", "send"];
        full.extend_from_slice(argv);
        match Cli::parse_from(full).command {
            Command::Send(args) => *args,
            other => panic!("{other:?}"),
        }
    }

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    const FILE: &str = "Cargo.toml"; // exists in the crate directory where tests run

    #[test]
    fn no_credentials_means_local() {
        let s = SendSettings::resolve_with(send_args(&[FILE]), vars(&[])).unwrap();
        assert!(matches!(
            s.connection.provider,
            Provider::Local {
                reason: LocalReason::NoCredentials,
                ..
            }
        ));
        assert_eq!(s.connection.dialect, Dialect::Ga);
    }

    #[test]
    fn openai_from_env_and_debug_hides_the_key() {
        let s = SendSettings::resolve_with(
            send_args(&[FILE, "--model", "m1"]),
            vars(&[("OPENAI_API_KEY", "sk-secret-123")]),
        )
        .unwrap();
        let Provider::Remote { name, config } = &s.connection.provider else {
            panic!("{s:?}")
        };
        assert_eq!(*name, "openai");
        assert_eq!(
            config.target().url().as_str(),
            "wss://api.openai.com/v1/realtime?model=m1"
        );
        let debug = format!("{s:?}");
        assert!(!debug.contains("sk-secret-123"), "{debug}");
    }

    #[test]
    fn azure_preview_is_beta() {
        let s = SendSettings::resolve_with(
            send_args(&[FILE, "--api-version", "2024-10-01-preview"]),
            vars(&[
                ("AZURE_OPENAI_ENDPOINT", "https://res.openai.azure.com"),
                ("AZURE_OPENAI_API_KEY", "az-secret"),
                ("AZURE_OPENAI_DEPLOYMENT", "dep"),
            ]),
        )
        .unwrap();
        assert_eq!(s.connection.dialect, Dialect::Beta);
        assert!(!format!("{s:?}").contains("az-secret"));
    }

    #[test]
    fn provider_openai_without_key_is_usage() {
        let e = SendSettings::resolve_with(send_args(&[FILE, "--provider", "openai"]), vars(&[]))
            .unwrap_err();
        assert_eq!(e.status, crate::exit::Status::Usage);
    }

    #[test]
    fn bad_url_and_pace_are_usage() {
        for argv in [
            &[FILE, "--provider", "ftp://x"][..],
            &[FILE, "--provider", "nonsense"][..],
            &[FILE, "--pace", "fast"][..],
            &[FILE, "--pace", "0x"][..],
            &[FILE, "--threshold", "2"][..],
            &[FILE, "--vad", "none", "--silence-ms", "100"][..],
            &["missing.wav"][..],
        ] {
            let e = SendSettings::resolve_with(send_args(argv), vars(&[])).unwrap_err();
            assert_eq!(e.status, crate::exit::Status::Usage, "{argv:?}");
        }
    }

    #[test]
    fn pace_values() {
        assert_eq!(parse_pace("realtime").unwrap(), Pace::RealTime);
        assert_eq!(parse_pace("max").unwrap(), Pace::Max);
        assert_eq!(parse_pace("2.5x").unwrap(), Pace::Speed(2.5));
    }
}
