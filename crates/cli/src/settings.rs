//! Arguments, environment and `.env` resolved once into plain values, before any work.
//!
//! Precedence for `send`: flags, then the process environment, then `.env` (current directory or
//! a parent), then the built-in local server. Each command receives one settings struct and
//! never looks at flags or the environment itself. `Debug` of every struct is safe to print:
//! keys are held in [`rtclient::Secret`] / [`rtclient_server::ApiKey`], which leave them out.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rtclient::{ClientConfig, Credential, EnvConfig, OpenAiSession, Secret, Target, env};
use rtclient_audio::Pace;
use rtclient_protocol::Dialect;
use rtclient_server::Script;
use rtclient_server::Tls;
use rtclient_server::{ApiKey, ServerConfig};

use crate::args::{ConnectionArgs, DialectArg, InspectArgs, SendArgs, ServeArgs, VadArg};
use crate::exit::CliError;

impl From<DialectArg> for Dialect {
    fn from(dialect: DialectArg) -> Self {
        match dialect {
            DialectArg::Ga => Dialect::Ga,
            DialectArg::Beta => Dialect::Beta,
        }
    }
}

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

/// Where `send` connects.
#[derive(Debug)]
pub(crate) enum Provider {
    /// A remote service (OpenAI, Azure or a URL) with its credential.
    Remote {
        /// `openai`, `azure` or `url`, for messages.
        name: &'static str,
        /// Target, credential and limits (boxed: far larger than the other variant).
        config: Box<ClientConfig>,
    },
    /// The built-in local server, started in-process.
    Local {
        /// The model name to ask for.
        model: String,
        /// Why the local server was chosen (said plainly on stderr).
        reason: LocalReason,
    },
}

/// Why `send` uses the built-in local server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LocalReason {
    /// `--provider local`.
    Asked,
    /// No OpenAI or Azure credentials in the environment or `.env`.
    NoCredentials,
}

/// Session options of `send`.
#[derive(Debug)]
pub(crate) struct SessionSettings {
    /// Instructions text (read from the file for `@FILE`).
    pub(crate) instructions: Option<String>,
    /// Output voice.
    pub(crate) voice: Option<String>,
    /// Turn detection mode.
    pub(crate) vad: VadArg,
    /// Server VAD threshold.
    pub(crate) threshold: Option<f64>,
    /// Server VAD prefix padding.
    pub(crate) prefix_padding_ms: Option<u32>,
    /// Server VAD silence duration.
    pub(crate) silence_ms: Option<u32>,
    /// Input transcription model.
    pub(crate) transcribe: Option<String>,
    /// Function definitions.
    pub(crate) tools: Vec<serde_json::Value>,
    /// Answers to function calls by name.
    pub(crate) tool_outputs: serde_json::Map<String, serde_json::Value>,
}

/// Settings of `rtclient send`.
#[derive(Debug)]
pub(crate) struct SendSettings {
    /// Input files, checked to exist.
    pub(crate) files: Vec<PathBuf>,
    /// Where to connect.
    pub(crate) provider: Provider,
    /// The wire dialect.
    pub(crate) dialect: Dialect,
    /// Session options.
    pub(crate) session: SessionSettings,
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
        let dotenv = rtclient_dotenv().unwrap_or_default();
        Self::resolve_with(args, |name| {
            std::env::var(name)
                .ok()
                .or_else(|| dotenv.get(name).cloned())
        })
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
        validate_vad(&args)?;
        let provider = resolve_provider(&args.connection, &lookup)?;
        let dialect = resolve_dialect(args.connection.dialect, &provider);
        let provider = apply_connection_flags(provider, &args.connection, dialect)?;
        let instructions = match args.instructions {
            Some(text) => Some(read_instructions(&text)?),
            None => None,
        };
        let tools = read_tools(&args.tool)?;
        let tool_outputs = read_tool_outputs(args.tool_outputs.as_deref())?;
        Ok(Self {
            files: args.files,
            provider,
            dialect,
            session: SessionSettings {
                instructions,
                voice: args.voice,
                vad: args.vad,
                threshold: args.threshold,
                prefix_padding_ms: args.prefix_padding_ms,
                silence_ms: args.silence_ms,
                transcribe: args.transcribe,
                tools,
                tool_outputs,
            },
            pace,
            reply_timeout: Duration::from_secs(args.reply_timeout.max(1)),
            out: args.out,
            json: args.json,
            engines: args.engines,
            record: args.record,
        })
    }
}

/// The wire dialect: `--dialect`, else the one a remote target implies (beta for an Azure
/// preview endpoint), else GA.
fn resolve_dialect(flag: Option<DialectArg>, provider: &Provider) -> Dialect {
    match (flag, provider) {
        (Some(dialect), _) => Dialect::from(dialect),
        (None, Provider::Remote { config, .. }) if config.target().dialect() == Dialect::Beta => {
            Dialect::Beta
        }
        (None, _) => Dialect::Ga,
    }
}

/// A remote `provider` with `--dialect` (when given) and the certificates of `--ca-cert`
/// applied; any other provider as it is.
fn apply_connection_flags(
    provider: Provider,
    args: &ConnectionArgs,
    dialect: Dialect,
) -> Result<Provider, CliError> {
    let provider = match provider {
        Provider::Remote { name, config } if args.dialect.is_some() => Provider::Remote {
            name,
            config: Box::new(rebuild_with_dialect(*config, dialect)),
        },
        other => other,
    };
    match (provider, &args.ca_cert) {
        (Provider::Remote { name, config }, Some(ca_cert)) => Ok(Provider::Remote {
            name,
            config: Box::new(trust(*config, ca_cert)?),
        }),
        (other, _) => Ok(other),
    }
}

/// The function definitions of the `--tool` files, each an object or an array of them.
fn read_tools(paths: &[PathBuf]) -> Result<Vec<serde_json::Value>, CliError> {
    let mut tools = Vec::new();
    for path in paths {
        match read_json(path, "--tool")? {
            serde_json::Value::Array(list) => tools.extend(list),
            value @ serde_json::Value::Object(_) => tools.push(value),
            _ => {
                return Err(CliError::usage(format!(
                    "{}: expected a JSON object or an array of function definitions",
                    path.display()
                ))
                .hint(r#"e.g. {"type":"function","name":"get_weather","parameters":{...}}"#));
            }
        }
    }
    Ok(tools)
}

/// The answers to function calls by name of the `--tool-outputs` file, if any.
fn read_tool_outputs(
    path: Option<&Path>,
) -> Result<serde_json::Map<String, serde_json::Value>, CliError> {
    let Some(path) = path else {
        return Ok(serde_json::Map::new());
    };
    match read_json(path, "--tool-outputs")? {
        serde_json::Value::Object(map) => Ok(map),
        _ => Err(CliError::usage(format!(
            "{}: expected a JSON object mapping function names to outputs",
            path.display()
        ))),
    }
}

/// The variables of a `.env` file in the current directory or a parent, read the way
/// [`ClientConfig::from_env`] reads them (the process environment is not modified).
fn rtclient_dotenv() -> Option<HashMap<String, String>> {
    let iter = dotenvy::dotenv_iter().ok()?;
    Some(iter.filter_map(Result::ok).collect())
}

/// Where `send` connects: `--provider` (`local`, `openai`, `azure` or a URL), else OpenAI or
/// Azure when the environment has their credentials, else the built-in local server.
fn resolve_provider(
    args: &ConnectionArgs,
    lookup: &impl Fn(&str) -> Option<String>,
) -> Result<Provider, CliError> {
    let overlay = |name: &str| flag_or_lookup(args, lookup, name);
    match args.provider.as_deref().map(str::trim) {
        Some("local") => Ok(Provider::Local {
            model: local_model(args),
            reason: LocalReason::Asked,
        }),
        Some("openai") => openai_provider(args, &overlay),
        Some("azure") => azure_provider(&overlay),
        Some(url) if url.contains("://") => custom_provider(url, lookup),
        Some(other) => Err(CliError::usage(format!("unknown provider `{other}`"))
            .hint("use --provider openai, azure, local, or a ws:// / wss:// URL")),
        None => match ClientConfig::from_vars(overlay)? {
            EnvConfig::OpenAi(config) => Ok(Provider::Remote {
                name: "openai",
                config: Box::new(config),
            }),
            EnvConfig::Azure(config) => Ok(Provider::Remote {
                name: "azure",
                config: Box::new(config),
            }),
            _ => Ok(Provider::Local {
                model: local_model(args),
                reason: LocalReason::NoCredentials,
            }),
        },
    }
}

/// The model the built-in local server announces: `--model`, else the default OpenAI model.
fn local_model(args: &ConnectionArgs) -> String {
    args.model
        .clone()
        .unwrap_or_else(|| env::DEFAULT_OPENAI_MODEL.to_owned())
}

/// The variable `name`, from its flag when one was given (flags override their environment
/// variables), else from `lookup`.
fn flag_or_lookup(
    args: &ConnectionArgs,
    lookup: &impl Fn(&str) -> Option<String>,
    name: &str,
) -> Option<String> {
    let flag = match name {
        env::OPENAI_MODEL => args.model.clone(),
        env::AZURE_OPENAI_DEPLOYMENT => args.deployment.clone(),
        env::AZURE_OPENAI_API_VERSION => args.api_version.clone(),
        env::AZURE_OPENAI_ENDPOINT => args
            .endpoint
            .clone()
            .filter(|_| args.provider.as_deref() == Some("azure")),
        _ => None,
    };
    flag.or_else(|| lookup(name))
}

/// `--provider openai`: its key and model from `overlay`, at `--endpoint` if given.
fn openai_provider(
    args: &ConnectionArgs,
    overlay: &impl Fn(&str) -> Option<String>,
) -> Result<Provider, CliError> {
    let key = overlay(env::OPENAI_API_KEY)
        .filter(|key| !key.trim().is_empty())
        .ok_or_else(|| {
            CliError::usage("--provider openai needs an API key, and OPENAI_API_KEY is not set")
                .hint("export OPENAI_API_KEY=... or put it in a .env file")
        })?;
    let model = overlay(env::OPENAI_MODEL).unwrap_or_else(|| env::DEFAULT_OPENAI_MODEL.to_owned());
    let session = OpenAiSession::model(model.trim());
    let target = match &args.endpoint {
        Some(endpoint) => Target::openai_at(endpoint, session)?,
        None => Target::openai(session),
    };
    let config = ClientConfig::builder(target)
        .credential(Credential::BearerKey(Secret::new(key.trim())))
        .build();
    Ok(Provider::Remote {
        name: "openai",
        config: Box::new(config),
    })
}

/// `--provider azure`: the Azure settings from `overlay`, which must be complete.
fn azure_provider(overlay: &impl Fn(&str) -> Option<String>) -> Result<Provider, CliError> {
    if overlay(env::AZURE_OPENAI_ENDPOINT).is_none() {
        return Err(CliError::usage(
            "--provider azure needs an endpoint, and AZURE_OPENAI_ENDPOINT is not set",
        )
        .hint("set AZURE_OPENAI_ENDPOINT, AZURE_OPENAI_API_KEY and AZURE_OPENAI_DEPLOYMENT, or pass --endpoint and --deployment"));
    }
    match ClientConfig::from_vars(overlay)? {
        EnvConfig::Azure(config) => Ok(Provider::Remote {
            name: "azure",
            config: Box::new(config),
        }),
        _ => Err(CliError::usage("the Azure settings are incomplete")
            .hint("set AZURE_OPENAI_ENDPOINT, AZURE_OPENAI_API_KEY and AZURE_OPENAI_DEPLOYMENT")),
    }
}

/// `--provider URL`: a custom server, with the key of [`RTCLIENT_API_KEY`] if set.
fn custom_provider(
    url: &str,
    lookup: &impl Fn(&str) -> Option<String>,
) -> Result<Provider, CliError> {
    let target = Target::custom(url)?;
    // A key for a custom URL is never taken from the provider variables: it could leak
    // an OpenAI or Azure key to a third party. Use RTCLIENT_API_KEY.
    let credential = match lookup(RTCLIENT_API_KEY).filter(|k| !k.trim().is_empty()) {
        Some(key) => Credential::BearerKey(Secret::new(key.trim())),
        None => Credential::None,
    };
    Ok(Provider::Remote {
        name: "url",
        config: Box::new(ClientConfig::builder(target).credential(credential).build()),
    })
}

/// Bearer key sent to a `--provider URL` server.
pub(crate) const RTCLIENT_API_KEY: &str = "RTCLIENT_API_KEY";

fn rebuild_with_dialect(config: ClientConfig, dialect: Dialect) -> ClientConfig {
    let target = config.target().clone().with_dialect(dialect);
    config.into_builder().target(target).build()
}

/// `config`, also trusting the certificates of `--ca-cert`.
fn trust(config: ClientConfig, ca_cert: &Path) -> Result<ClientConfig, CliError> {
    let builder = config
        .into_builder()
        .add_root_certificates_pem_file(ca_cert)
        .map_err(|e| {
            CliError::usage("invalid --ca-cert")
                .caused_by(&e)
                .hint("give a PEM file of the certificates to trust")
        })?;
    Ok(builder.build())
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

fn validate_vad(args: &SendArgs) -> Result<(), CliError> {
    if let Some(t) = args.threshold
        && !(0.0..=1.0).contains(&t)
    {
        return Err(CliError::usage(format!("--threshold {t} is out of range"))
            .hint("use a value from 0.0 to 1.0"));
    }
    let server_only =
        args.threshold.is_some() || args.prefix_padding_ms.is_some() || args.silence_ms.is_some();
    if server_only && args.vad != VadArg::Server {
        return Err(CliError::usage(
            "--threshold, --prefix-padding-ms and --silence-ms apply to --vad server only",
        ));
    }
    Ok(())
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

fn read_instructions(text: &str) -> Result<String, CliError> {
    match text.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path).map_err(|e| {
            CliError::usage(format!("{path}: cannot read the --instructions file"))
                .caused_by(&e)
                .hint("use --instructions TEXT, or @FILE with an existing file")
        }),
        None => Ok(text.to_owned()),
    }
}

fn read_json(path: &std::path::Path, option: &str) -> Result<serde_json::Value, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        CliError::usage(format!("{}: cannot read the {option} file", path.display())).caused_by(&e)
    })?;
    serde_json::from_str(&text).map_err(|e| {
        CliError::usage(format!(
            "{}: the {option} file is not valid JSON",
            path.display()
        ))
        .caused_by(&e)
    })
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::args::{Cli, Command};

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
            s.provider,
            Provider::Local {
                reason: LocalReason::NoCredentials,
                ..
            }
        ));
        assert_eq!(s.dialect, Dialect::Ga);
    }

    #[test]
    fn openai_from_env_and_debug_hides_the_key() {
        let s = SendSettings::resolve_with(
            send_args(&[FILE, "--model", "m1"]),
            vars(&[("OPENAI_API_KEY", "sk-secret-123")]),
        )
        .unwrap();
        let Provider::Remote { name, config } = &s.provider else {
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
        assert_eq!(s.dialect, Dialect::Beta);
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
