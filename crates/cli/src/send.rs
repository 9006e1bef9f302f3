//! `rtclient send FILE...`: stream audio files to a Realtime service.
//!
//! Resolves the provider and checks every argument and input file (exit 2 on a problem), says
//! which provider it uses (starting the built-in local server in-process when there are no
//! credentials), connects (exit 3 on a connection or authentication failure), then runs the
//! [streaming loop](crate::stream) on the typed client and prints a summary (exit 1 when the
//! service reported an error or a response failed).

use std::future::IntoFuture;

use rtclient::{ClientConfig, RealtimeClient, Target};
use rtclient_server::{RealtimeSession, Serve, ServerConfig, ServerState};

use crate::engines::EngineArgs;
use crate::exit::CliError;
use crate::printer::Printer;
use crate::settings::{LocalReason, Provider, SendSettings};

/// Runs `send` with resolved settings.
pub(crate) async fn run(settings: SendSettings, printer: &Printer) -> Result<(), CliError> {
    for file in &settings.files {
        // Opening decodes the container header: unsupported formats fail here, with exit 2.
        rtclient_audio::AudioSource::open(file).map_err(|e| {
            CliError::usage(format!("{}: cannot use this input file", file.display()))
                .caused_by(&e)
                .hint("send WAV, FLAC, OGG Vorbis or MP3 files")
        })?;
    }
    let dialect = match settings.dialect {
        rtclient_protocol::Dialect::Ga => "GA",
        rtclient_protocol::Dialect::Beta => "beta",
    };
    let (config, local) = match &settings.provider {
        Provider::Remote { name, config } => {
            printer.note(&format!(
                "provider {name}: {} ({dialect} dialect)",
                config.target().redacted_url()
            ));
            (ClientConfig::clone(config), None)
        }
        Provider::Local { model, reason } => {
            let local = LocalServer::start(model, &settings.engines, printer).await?;
            let why = match reason {
                LocalReason::Asked => "--provider local",
                LocalReason::NoCredentials => "no OpenAI/Azure credentials found",
            };
            printer.note(&format!(
                "{why}: using the built-in local server at {} ({dialect} dialect)",
                local.url
            ));
            let target = Target::custom(&local.url)?.with_dialect(settings.dialect);
            (ClientConfig::builder(target).build(), Some(local))
        }
    };
    // Connection and authentication failures end here with exit 3 (the key is never printed).
    let connected = RealtimeClient::connect(&config).await;
    let result = match connected {
        Err(e) => Err(CliError::from(e)),
        Ok(client) => {
            tracing::debug!("connected to {}", config.target().redacted_url());
            crate::stream::run(client, &settings, printer)
                .await
                .and_then(|outcome| summarize(&outcome, printer))
        }
    };
    if let Some(local) = local {
        local.stop().await;
    }
    result
}

/// The built-in local server, run in-process on a free loopback port.
#[derive(Debug)]
struct LocalServer {
    /// The URL to connect to.
    url: String,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl LocalServer {
    /// Binds `127.0.0.1:0` and starts serving with `engines`.
    async fn start(model: &str, engines: &EngineArgs, printer: &Printer) -> Result<Self, CliError> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| {
                CliError::connection("could not start the built-in local server").caused_by(&e)
            })?;
        let config = ServerConfig::builder().build().map_err(|e| {
            CliError::failure("the built-in local server settings are invalid").caused_by(&e)
        })?;
        let session = engines.apply(RealtimeSession::new(), printer);
        let server = Serve::new(listener, ServerState::with_handler(config, session));
        let addr = server.local_addr().map_err(|e| {
            CliError::connection("could not start the built-in local server").caused_by(&e)
        })?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(
            server
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .into_future(),
        );
        Ok(Self {
            url: format!("ws://{addr}/v1/realtime?model={model}"),
            stop,
            task,
        })
    }

    /// Closes open sessions and waits for the server to finish.
    async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

/// Prints the summary on stderr and turns failures into exit 1, with what the service said as
/// the causes.
fn summarize(outcome: &crate::stream::Outcome, printer: &Printer) -> Result<(), CliError> {
    print_summary(outcome, printer);
    if outcome.errors > 0 || outcome.failed > 0 {
        let mut error = CliError::failure(format!(
            "the service reported {} and {}",
            count(outcome.errors, "error"),
            count(outcome.failed, "failed response")
        ))
        .hint(match (outcome.errors, outcome.failed) {
            (_, 0) => "see the error events above",
            (0, _) => "see the failed responses above",
            _ => "see the error events and failed responses above",
        });
        error.causes.clone_from(&outcome.reasons);
        return Err(error);
    }
    Ok(())
}

/// `1 error`, `2 errors`.
fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Prints on stderr how many responses finished, failed and errors came, the tokens and
/// latencies, and the files written.
pub(crate) fn print_summary(outcome: &crate::stream::Outcome, printer: &Printer) {
    let latency = match outcome.latencies.as_slice() {
        [] => String::new(),
        all => {
            let ms: Vec<String> = all
                .iter()
                .map(|d| format!("{} ms", d.as_millis()))
                .collect();
            format!("; latency to first audio: {}", ms.join(", "))
        }
    };
    printer.note(&format!(
        "{} ({} failed), {}; tokens in/out {}/{}{latency}",
        count(outcome.responses, "response"),
        outcome.failed,
        count(outcome.errors, "error"),
        outcome.tokens.0,
        outcome.tokens.1
    ));
    for file in &outcome.files {
        printer.note(&format!("wrote {}", file.display()));
    }
}
