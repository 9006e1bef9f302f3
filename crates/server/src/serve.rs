//! The HTTP side: the axum [`Router`] with every Realtime route, and [`serve`] on a bound listener.
//!
//! Each route answers only WebSocket upgrades. Before a session starts, a connection passes, in
//! order:
//!
//! 1. the upgrade check: a plain HTTP request gets 426 with a JSON error body;
//! 2. at accept, the connection limit (over `max_connections`, counted from accept: HTTP 503 with
//!    a JSON error body) and the header timeout (a request head not complete in time: dropped);
//! 3. on the Azure routes, like Azure: a missing or wrong key gets HTTP 401 and a preview URL
//!    without `api-version` HTTP 404, before any upgrade;
//! 4. after the 101 upgrade, like OpenAI: authentication (refusal: `error` event, close 3000),
//!    then the request shape (beta refused by switch, missing or non-UTF-8 model: `error` event,
//!    close 4000).
//!
//! Unknown paths get 404 with OpenAI's JSON error body, other methods on a Realtime route 405.

use std::future::{Future, IntoFuture};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::extract::ws::{WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::serve::ListenerExt;
use serde_json::json;
use tokio::net::TcpListener;

use crate::net::tls::{Tls, TlsListener};
use tokio::sync::watch;
use tracing::Instrument;

use crate::net::auth::authorize;
use crate::net::config::{ServerConfig, WRITE_BUFFER_SIZE};
use crate::net::connection::{self, ConnectionTimers};
use crate::net::endpoint::{BETA_SUBPROTOCOL, LiveLink, Route, SessionRequest};
use crate::net::handler::SessionHandler;
use crate::net::limits::{ConnectionGate, GatedListener, Peer};
use crate::net::refusal::Refusal;
use crate::session::RealtimeSession;

/// The subprotocol the server answers to browser clients (who also offer their key as one).
pub const REALTIME_SUBPROTOCOL: &str = "realtime";

/// Bytes the WebSocket reader asks the socket for at a time. The library zero-fills this much
/// before every read; its 128 KiB default made that fill a visible cost for 100 ms appends
/// (~6 KiB each), while larger messages just take more reads.
const READ_BUFFER_SIZE: usize = 16 * 1024;

/// What every connection shares: the configuration, the session handler, the connection limit
/// and the shutdown signal. Cheap to clone.
#[derive(Debug)]
pub struct ServerState<H = RealtimeSession> {
    inner: Arc<Shared<H>>,
}

impl<H> Clone for ServerState<H> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

#[derive(Debug)]
struct Shared<H> {
    config: ServerConfig,
    handler: Arc<H>,
    gate: ConnectionGate,
    shutdown: watch::Sender<bool>,
    next_connection: AtomicU64,
}

impl ServerState<RealtimeSession> {
    /// State for a server whose sessions are [`RealtimeSession`]s (defaults, `expires_at` from
    /// the configured session duration).
    pub fn new(config: ServerConfig) -> Self {
        let session = RealtimeSession::new().max_duration(config.max_session_duration());
        Self::with_handler(config, session)
    }
}

impl<H: SessionHandler> ServerState<H> {
    /// State for a server that runs `handler` for every accepted session.
    pub fn with_handler(config: ServerConfig, handler: H) -> Self {
        let gate = ConnectionGate::new(config.max_connections());
        Self {
            inner: Arc::new(Shared {
                config,
                handler: Arc::new(handler),
                gate,
                shutdown: watch::Sender::new(false),
                next_connection: AtomicU64::new(1),
            }),
        }
    }

    /// The server's configuration.
    pub fn config(&self) -> &ServerConfig {
        &self.inner.config
    }

    /// How many connections are open (upgraded or being upgraded).
    pub fn open_connections(&self) -> usize {
        self.inner.gate.open()
    }

    /// Asks every open session to close (1001, [`connection::SHUTDOWN_REASON`]); sessions that
    /// start afterwards close at once. [`Serve::with_graceful_shutdown`] calls this.
    pub fn begin_shutdown(&self) {
        self.inner.shutdown.send_replace(true);
    }

    /// Waits until every connection is closed.
    pub async fn wait_idle(&self) {
        self.inner.gate.wait_idle().await;
    }
}

/// Builds the router serving every Realtime route with `state`.
///
/// Serve it with connect info (`into_make_service_with_connect_info::<SocketAddr>()`) to have
/// peer addresses in the logs; [`serve`] does that.
pub fn router<H: SessionHandler>(state: ServerState<H>) -> Router {
    let mut router = Router::new();
    for route in Route::ALL {
        router = router.route(
            route.path(),
            get(
                move |State(state): State<ServerState<H>>, request: Request| {
                    connect(state, route, None, request)
                },
            ),
        );
        let linked = [
            (
                route.attach_path(),
                LiveLink::Attach as fn(String) -> LiveLink,
            ),
            (route.fork_path(), LiveLink::Fork),
        ];
        for (path, link) in linked {
            let Some(path) = path else { continue };
            router = router.route(
                path,
                get(
                    move |State(state): State<ServerState<H>>,
                          Path(session_id): Path<String>,
                          request: Request| {
                        connect(state, route, Some(link(session_id)), request)
                    },
                ),
            );
        }
    }
    router
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(not_found)
        .with_state(state)
}

/// Serves [`RealtimeSession`]s on `listener` with `config`; see [`Serve`].
pub fn serve(listener: TcpListener, config: ServerConfig) -> Serve<RealtimeSession> {
    Serve::new(listener, ServerState::new(config))
}

/// A server on a bound listener; await it (directly, or after
/// [`with_graceful_shutdown`](Serve::with_graceful_shutdown)) to run it.
#[derive(Debug)]
#[must_use = "a server does nothing until awaited"]
pub struct Serve<H = RealtimeSession> {
    listener: TcpListener,
    state: ServerState<H>,
    tls: Option<Tls>,
}

impl<H: SessionHandler> Serve<H> {
    /// A server running `state`'s handler on `listener`.
    pub fn new(listener: TcpListener, state: ServerState<H>) -> Self {
        Self {
            listener,
            state,
            tls: None,
        }
    }

    /// Serves over TLS (`wss://`) with `tls`'s certificate.
    pub fn tls(mut self, tls: Tls) -> Self {
        self.tls = Some(tls);
        self
    }

    /// The address the server listens on (useful after binding port 0).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The shared state, e.g. to count open connections.
    pub fn state(&self) -> &ServerState<H> {
        &self.state
    }

    /// Stops when `signal` completes: the listener stops accepting, every open session is closed
    /// with 1001, and the future ends once the last connection is gone.
    pub fn with_graceful_shutdown<F>(self, signal: F) -> WithGracefulShutdown<H, F>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        WithGracefulShutdown {
            serve: self,
            signal,
        }
    }
}

impl<H: SessionHandler> IntoFuture for Serve<H> {
    type Output = io::Result<()>;
    type IntoFuture = Pin<Box<dyn Future<Output = io::Result<()>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(run(self, std::future::pending()))
    }
}

/// A [`Serve`] that stops gracefully when its signal completes.
#[derive(Debug)]
#[must_use = "a server does nothing until awaited"]
pub struct WithGracefulShutdown<H, F> {
    serve: Serve<H>,
    signal: F,
}

impl<H: SessionHandler, F> WithGracefulShutdown<H, F> {
    /// The address the server listens on.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.serve.local_addr()
    }
}

impl<H, F> IntoFuture for WithGracefulShutdown<H, F>
where
    H: SessionHandler,
    F: Future<Output = ()> + Send + 'static,
{
    type Output = io::Result<()>;
    type IntoFuture = Pin<Box<dyn Future<Output = io::Result<()>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(run(self.serve, self.signal))
    }
}

async fn run<H, F>(serve: Serve<H>, signal: F) -> io::Result<()>
where
    H: SessionHandler,
    F: Future<Output = ()> + Send + 'static,
{
    let Serve {
        listener,
        state,
        tls,
    } = serve;
    if let Ok(addr) = listener.local_addr() {
        let tls = tls.is_some();
        tracing::info!(%addr, tls, "realtime server listening");
    }
    let stopping = state.clone();
    let signal = async move {
        signal.await;
        tracing::info!("shutting down: closing open sessions");
        stopping.begin_shutdown();
    };
    let gate = state.inner.gate.clone();
    let header_timeout = state.inner.config.header_timeout();
    let app = router(state.clone()).into_make_service_with_connect_info::<Peer>();
    match tls {
        Some(tls) => {
            let listener = TlsListener::new(listener, &tls);
            axum::serve(GatedListener::new(listener, gate, header_timeout), app)
                .with_graceful_shutdown(signal)
                .await?;
        }
        None => {
            // Events are small frames written back to back; without TCP_NODELAY, Nagle's
            // algorithm holds each one until the client's (delayed, ~40 ms) ACK of the previous.
            let listener = listener.tap_io(|tcp| {
                if let Err(error) = tcp.set_nodelay(true) {
                    tracing::debug!(%error, "could not set TCP_NODELAY");
                }
            });
            axum::serve(GatedListener::new(listener, gate, header_timeout), app)
                .with_graceful_shutdown(signal)
                .await?;
        }
    }
    // Upgraded connections live outside axum's bookkeeping: wait for them here.
    state.wait_idle().await;
    tracing::info!("server stopped");
    Ok(())
}

/// Answers one request on a Realtime route.
async fn connect<H: SessionHandler>(
    state: ServerState<H>,
    route: Route,
    live_link: Option<LiveLink>,
    request: Request,
) -> Response {
    let (mut parts, _body) = request.into_parts();
    let upgrade = match WebSocketUpgrade::from_request_parts(&mut parts, &()).await {
        Ok(upgrade) => upgrade,
        Err(rejection) => {
            tracing::debug!(path = route.path(), %rejection, "not a websocket upgrade");
            return upgrade_required();
        }
    };
    let id = state.inner.next_connection.fetch_add(1, Ordering::Relaxed);
    let peer = peer_address(&parts);
    let protocols: Vec<String> = upgrade
        .requested_protocols()
        .filter_map(|value| value.to_str().ok())
        .map(str::to_owned)
        .collect();
    let query = parts.uri.query();
    let mut request = SessionRequest::resolve(
        route,
        query,
        &parts.headers,
        protocols.iter().map(String::as_str),
    );
    if let Some(link) = live_link {
        request = request.linked(link);
    }
    let span = tracing::info_span!(
        "connection",
        id = %format_args!("conn_{id}"),
        %peer,
        path = route.path(),
        dialect = ?request.dialect(),
        kind = ?request.kind(),
        model = request.model().unwrap_or(""),
    );
    let config = &state.inner.config;
    let auth = authorize(
        config.api_key(),
        &parts.headers,
        query,
        protocols.iter().map(String::as_str),
    );
    if route.is_azure()
        && let Some(response) = azure_refusal(&request, auth.is_err())
    {
        span.in_scope(|| tracing::info!(status = %response.status(), "connection refused"));
        return response;
    }
    let refusal = auth
        .and_then(|()| request.check(config.refuse_beta()))
        .err();

    let timers = ConnectionTimers {
        max_session_duration: config.max_session_duration(),
        ping_interval: config.ping_interval(),
        close_timeout: config.close_timeout(),
    };
    let handler = Arc::clone(&state.inner.handler);
    let shutdown = state.inner.shutdown.subscribe();
    let failed_span = span.clone();
    upgrade
        .protocols([REALTIME_SUBPROTOCOL, BETA_SUBPROTOCOL])
        .max_frame_size(config.max_frame_size())
        .max_message_size(config.max_message_size())
        .write_buffer_size(WRITE_BUFFER_SIZE)
        .max_write_buffer_size(config.max_write_buffer_size())
        .read_buffer_size(READ_BUFFER_SIZE)
        .on_failed_upgrade(move |error| {
            failed_span.in_scope(|| tracing::warn!(%error, "websocket upgrade failed"));
        })
        .on_upgrade(move |socket| {
            run_upgraded(socket, refusal, request, handler, timers, shutdown, id).instrument(span)
        })
}

/// Runs one upgraded connection: the refusal decided before the upgrade, or the session.
async fn run_upgraded<H: SessionHandler>(
    socket: WebSocket,
    refusal: Option<Refusal>,
    request: SessionRequest,
    handler: Arc<H>,
    timers: ConnectionTimers,
    shutdown: watch::Receiver<bool>,
    id: u64,
) {
    match refusal {
        Some(refusal) => {
            tracing::info!(reason = %refusal.close_reason(), "connection refused");
            connection::refuse(socket, &refusal, id, timers.close_timeout).await;
        }
        None => {
            tracing::info!("session started");
            let ending = connection::drive(socket, request, handler, timers, shutdown).await;
            tracing::info!(?ending, "session ended");
        }
    }
}

/// The client's address, as the listener saw it, for the logs.
fn peer_address(parts: &Parts) -> String {
    parts
        .extensions
        .get::<ConnectInfo<Peer>>()
        .map(|ConnectInfo(Peer(addr))| *addr)
        .or_else(|| {
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| *addr)
        })
        .map_or_else(|| "unknown".to_owned(), |addr| addr.to_string())
}

/// The JSON error body of an HTTP-level refusal, in OpenAI's shape.
fn error_body(status: StatusCode, kind: &str, code: Option<&str>, message: String) -> Response {
    let body = json!({
        "error": { "message": message, "type": kind, "param": null, "code": code }
    });
    (status, axum::Json(body)).into_response()
}

/// What Azure answers before the upgrade, where OpenAI upgrades and then refuses: 401 for a
/// missing or wrong key (its API gateway checks the key; Azure SDKs then take their "status code"
/// path), and 404 for a preview URL without `api-version`. Bodies in Azure's shape
/// `{"error": {"code", "message"}}`.
fn azure_refusal(request: &SessionRequest, unauthorized: bool) -> Option<Response> {
    let (status, message) = if unauthorized {
        (
            StatusCode::UNAUTHORIZED,
            "Access denied due to invalid subscription key or wrong API endpoint. Make sure to \
             provide a valid key for an active subscription and use a correct regional API \
             endpoint for your resource.",
        )
    } else if request.route() == Route::AzurePreview && request.api_version().is_none() {
        (StatusCode::NOT_FOUND, "Resource not found")
    } else {
        return None;
    };
    let body = json!({"error": {"code": status.as_u16().to_string(), "message": message}});
    Some((status, axum::Json(body)).into_response())
}

/// 426 for a plain HTTP request on a WebSocket-only route.
fn upgrade_required() -> Response {
    let mut response = error_body(
        StatusCode::UPGRADE_REQUIRED,
        "invalid_request_error",
        Some("websocket_upgrade_required"),
        "This endpoint only accepts WebSocket connections (GET with `Upgrade: websocket`)."
            .to_owned(),
    );
    response
        .headers_mut()
        .insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    response
}

/// 405 for other methods on a Realtime route (WebRTC `POST` calls are not served).
async fn method_not_allowed(method: Method, uri: Uri) -> Response {
    let mut response = error_body(
        StatusCode::METHOD_NOT_ALLOWED,
        "invalid_request_error",
        None,
        format!(
            "Method {method} is not supported on {}: open a WebSocket with GET.",
            uri.path()
        ),
    );
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("GET"));
    response
}

/// 404 for every other path, with OpenAI's body.
async fn not_found(method: Method, uri: Uri) -> Response {
    error_body(
        StatusCode::NOT_FOUND,
        "invalid_request_error",
        None,
        format!("Invalid URL ({method} {})", uri.path()),
    )
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use http_body_util::BodyExt;
    use serde_json::Value;
    use tower::ServiceExt;

    use super::*;

    async fn call(method: &str, uri: &str) -> (StatusCode, axum::http::HeaderMap, Value) {
        let app = router(ServerState::new(ServerConfig::default()));
        let request = axum::http::Request::builder()
            .method(method)
            .uri(uri)
            .body(Body::empty())
            .unwrap();
        let response = app.oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, headers, serde_json::from_slice(&body).unwrap())
    }

    #[tokio::test]
    async fn unknown_paths_get_openais_404_body() {
        let (status, _, body) = call("GET", "/v1/models").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body["error"]["message"], "Invalid URL (GET /v1/models)");
        assert_eq!(body["error"]["type"], "invalid_request_error");
        assert!(body["error"]["code"].is_null());
    }

    #[tokio::test]
    async fn realtime_routes_want_a_websocket() {
        for route in Route::ALL {
            let (status, headers, body) = call("GET", route.path()).await;
            assert_eq!(status, StatusCode::UPGRADE_REQUIRED, "{route:?}");
            assert_eq!(headers[header::UPGRADE], "websocket");
            assert_eq!(body["error"]["code"], "websocket_upgrade_required");
            let (status, headers, _) = call("POST", route.path()).await;
            assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{route:?}");
            assert_eq!(headers[header::ALLOW], "GET");
        }
    }
}
