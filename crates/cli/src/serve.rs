//! `rtclient serve`: the local Realtime-compatible server until Ctrl-C or SIGTERM.
//!
//! The URL to connect to is printed plainly on stdout (one line, so scripts can read it); logs
//! go to stderr. On Ctrl-C or SIGTERM the listener stops, open sessions are closed with 1001 and
//! the command exits 0 once the last connection is gone.

use rtclient_server::{RealtimeSession, Serve, ServerState};
use tokio::net::TcpListener;

use crate::exit::CliError;
use crate::printer::Printer;
use crate::settings::ServeSettings;

/// Binds, prints the URL and serves until a shutdown signal.
pub(crate) async fn run(settings: ServeSettings, printer: &Printer) -> Result<(), CliError> {
    let addr = settings.config.listen_addr();
    let listener = TcpListener::bind(addr).await.map_err(|e| {
        CliError::connection(format!("could not listen on {addr}"))
            .caused_by(&e)
            .hint("is another server using that port? choose another with --listen HOST:PORT")
    })?;
    let auth = settings.config.api_key().is_some();
    let session = RealtimeSession::new()
        .max_duration(settings.config.max_session_duration())
        .pace(settings.pace);
    let mut session = settings.engines.apply(settings.vad, session, printer);
    if let Some(script) = settings.script {
        session = session.script(script);
    }
    let shutdown = shutdown_signal()?;
    let scheme = if settings.tls.is_some() { "wss" } else { "ws" };
    let mut server = Serve::new(
        listener,
        ServerState::with_handler(settings.config, session),
    );
    if let Some(tls) = settings.tls {
        server = server.tls(tls);
    }
    let local = server
        .local_addr()
        .map_err(|e| CliError::connection("could not read the listening address").caused_by(&e))?;
    printer.out(&format!(
        "{scheme}://{local}/v1/realtime?model={}",
        settings.model
    ));
    printer.note(&format!(
        "Realtime server on {scheme}://{local} (auth {}); Azure paths /openai/v1/realtime and /openai/realtime are served too. Ctrl-C stops it.",
        if auth { "on" } else { "off" }
    ));
    server
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|e| CliError::connection("the server stopped with an error").caused_by(&e))?;
    printer.note("server stopped");
    Ok(())
}

/// Listens for Ctrl-C (SIGINT) and, on Unix, SIGTERM from the moment it is made, so a signal
/// that arrives right after the URL is printed is not lost; the future completes on the first.
fn shutdown_signal() -> Result<impl std::future::Future<Output = ()>, CliError> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let listen_error =
            |e: std::io::Error| CliError::connection("could not listen for signals").caused_by(&e);
        let mut interrupt = signal(SignalKind::interrupt()).map_err(listen_error)?;
        let mut terminate = signal(SignalKind::terminate()).map_err(listen_error)?;
        Ok(async move {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}
