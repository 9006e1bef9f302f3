//! `rtclient send FILE...`: stream audio files to a Realtime service.
//!
//! Resolves the provider and checks every argument and input file (exit 2 on a problem), says
//! which provider it uses (starting the built-in local server in-process when there are no
//! credentials), connects (exit 3 on a connection or authentication failure), then runs the
//! [streaming loop](crate::stream) on the typed client and prints a summary (exit 1 when the
//! service reported an error or a response failed).

use std::future::IntoFuture;

use rtclient::{ClientConfig, RealtimeClient, Target};
use rtclient_server::{RealtimeSession, Serve, ServerConfig, ServerState, VadChoice};

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
    let (config, local) = resolve_target(&settings, printer).await?;
    // Connection and authentication failures end here with exit 3 (the key is never printed).
    let connected = RealtimeClient::connect(&config).await;
    let result = match connected {
        Err(e) => Err(CliError::from(e)),
        Ok(client) => {
            tracing::debug!("connected to {}", config.target().redacted_url());
            crate::stream::run(client, &settings, printer)
                .await
                .and_then(|outcome| crate::outcome::summarize(&outcome, printer))
        }
    };
    if let Some(local) = local {
        local.stop().await;
    }
    result
}

/// The client configuration for the settings' provider, and the built-in local server when
/// that is the provider (started here; stop it when done). Says which provider it uses.
pub(crate) async fn resolve_target(
    settings: &SendSettings,
    printer: &Printer,
) -> Result<(ClientConfig, Option<LocalServer>), CliError> {
    let dialect = match settings.dialect {
        rtclient_protocol::Dialect::Ga => "GA",
        rtclient_protocol::Dialect::Beta => "beta",
    };
    let target = match &settings.provider {
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
    Ok(target)
}

/// The built-in local server, run in-process on a free loopback port.
#[derive(Debug)]
pub(crate) struct LocalServer {
    /// The URL to connect to.
    url: String,
    /// The address it listens on.
    pub(crate) addr: std::net::SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl LocalServer {
    /// Binds `127.0.0.1:0` and starts serving with the default VAD and `engines` (the
    /// speech-to-text engine among them), noting on stderr which engines run and why.
    pub(crate) async fn start(
        model: &str,
        engines: &EngineArgs,
        printer: &Printer,
    ) -> Result<Self, CliError> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| {
                CliError::connection("could not start the built-in local server").caused_by(&e)
            })?;
        let config = ServerConfig::builder().build().map_err(|e| {
            CliError::failure("the built-in local server settings are invalid").caused_by(&e)
        })?;
        let session = engines.apply(VadChoice::default(), RealtimeSession::new(), printer);
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
        let local = Self {
            url: format!("ws://{addr}/v1/realtime?model={model}"),
            addr,
            stop,
            task,
        };
        Ok(local)
    }

    /// Closes open sessions and waits for the server to finish.
    pub(crate) async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}
