//! The built-in local server that `send` and `talk` start in-process when there are no
//! credentials or `--provider local` asks for it.

use std::future::IntoFuture;

use rtclient_server::{RealtimeSession, Serve, ServerConfig, ServerState, VadChoice};

use crate::engines::EngineArgs;
use crate::exit::CliError;
use crate::printer::Printer;

/// The built-in local server, run in-process on a free loopback port.
#[derive(Debug)]
pub(crate) struct LocalServer {
    /// The Realtime URL to connect to.
    pub(crate) url: String,
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
