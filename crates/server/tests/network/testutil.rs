//! A server on an ephemeral port, a test session handler, and a raw WebSocket client.

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message as ServerMessage};
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use rtclient_server::{Serve, ServerConfigBuilder, ServerState, SessionHandler, SessionRequest};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::client::Response;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// The client side of a test connection.
pub(crate) type Client = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Generous limit for anything that must happen.
pub(crate) const PATIENCE: Duration = Duration::from_secs(20);

/// A test session: first sends one JSON text frame describing its [`SessionRequest`], then
/// echoes `close` requests: text `close` makes it close with 4100 "bye", text `quit` makes it
/// return (a normal close). Everything else is ignored.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ReportSession;

impl SessionHandler for ReportSession {
    async fn run<Tx, Rx>(&self, request: SessionRequest, mut outgoing: Tx, mut incoming: Rx)
    where
        Tx: Sink<ServerMessage> + Send + Unpin + 'static,
        Rx: Stream<Item = ServerMessage> + Send + Unpin + 'static,
    {
        let report = json!({
            "route": format!("{:?}", request.route()),
            "dialect": format!("{:?}", request.dialect()),
            "kind": request.kind().as_str(),
            "model": request.model(),
            "azure": request.is_azure(),
            "api_version": request.api_version(),
            "call_id": request.call_id(),
        });
        if outgoing
            .send(ServerMessage::text(report.to_string()))
            .await
            .is_err()
        {
            return;
        }
        while let Some(message) = incoming.next().await {
            if let ServerMessage::Text(text) = message {
                match text.as_str() {
                    "close" => {
                        let frame = CloseFrame {
                            code: 4100,
                            reason: "bye".into(),
                        };
                        let _ = outgoing.send(ServerMessage::Close(Some(frame))).await;
                    }
                    "quit" => return,
                    _ => {}
                }
            }
        }
    }
}

/// A running server and the means to stop it.
pub(crate) struct TestServer<H = ReportSession> {
    pub(crate) addr: SocketAddr,
    pub(crate) state: ServerState<H>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

/// Starts a server running [`ReportSession`]s with `config`, on 127.0.0.1:0.
pub(crate) async fn start(config: ServerConfigBuilder) -> TestServer {
    start_with(config, ReportSession).await
}

/// Starts a server running `handler` with `config`, on 127.0.0.1:0.
pub(crate) async fn start_with<H: SessionHandler>(
    config: ServerConfigBuilder,
    handler: H,
) -> TestServer<H> {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let state = ServerState::with_handler(config.build().unwrap(), handler);
    let serve = Serve::new(listener, state.clone());
    let addr = serve.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(
        serve
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .into_future(),
    );
    TestServer {
        addr,
        state,
        stop: Some(stop),
        task,
    }
}

impl<H> TestServer<H> {
    /// The `ws://` URL of `path_and_query` on this server.
    pub(crate) fn url(&self, path_and_query: &str) -> String {
        format!("ws://{}{path_and_query}", self.addr)
    }

    /// Signals graceful shutdown.
    pub(crate) fn begin_stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    /// Signals graceful shutdown and waits (bounded) for the serve future to end.
    pub(crate) async fn stop(mut self) {
        self.begin_stop();
        let result = tokio::time::timeout(PATIENCE, self.task).await;
        result.expect("serve future ends").unwrap().unwrap();
    }

    /// Waits (bounded) for the serve future to end after [`TestServer::begin_stop`].
    pub(crate) async fn finished(self) {
        let result = tokio::time::timeout(PATIENCE, self.task).await;
        result.expect("serve future ends").unwrap().unwrap();
    }
}

use std::future::IntoFuture;

/// Dials `url` with extra headers and offered subprotocols.
pub(crate) async fn dial(
    url: &str,
    headers: &[(&'static str, &str)],
    protocols: &[&str],
) -> Result<(Client, Response), WsError> {
    let mut request = url.into_client_request().unwrap();
    for (name, value) in headers {
        request
            .headers_mut()
            .append(*name, HeaderValue::from_str(value).unwrap());
    }
    if !protocols.is_empty() {
        request.headers_mut().insert(
            "sec-websocket-protocol",
            HeaderValue::from_str(&protocols.join(", ")).unwrap(),
        );
    }
    tokio::time::timeout(PATIENCE, tokio_tungstenite::connect_async(request))
        .await
        .expect("handshake in time")
}

/// The next message that is not a ping or pong.
pub(crate) async fn next_data(client: &mut Client) -> Option<Message> {
    loop {
        let next = tokio::time::timeout(PATIENCE, client.next())
            .await
            .expect("message in time");
        match next {
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(message)) => return Some(message),
            Some(Err(_)) | None => return None,
        }
    }
}

/// Reads (bounded) until a pong arrives and returns its payload.
pub(crate) async fn next_pong(client: &mut Client) -> Vec<u8> {
    let pong = tokio::time::timeout(PATIENCE, async {
        loop {
            match client.next().await {
                Some(Ok(Message::Pong(payload))) => break payload,
                Some(Ok(_)) => continue,
                other => panic!("connection ended before the pong: {other:?}"),
            }
        }
    })
    .await
    .expect("a pong arrives");
    pong.to_vec()
}

/// The next message, parsed as JSON text.
pub(crate) async fn next_json(client: &mut Client) -> Value {
    match next_data(client).await {
        Some(Message::Text(text)) => serde_json::from_str(&text).unwrap(),
        other => panic!("expected a JSON text frame, got {other:?}"),
    }
}

/// Expects a close frame next and returns its code and reason; then reads the stream to its end
/// (which completes the close handshake).
pub(crate) async fn expect_close(client: &mut Client) -> (u16, String) {
    let frame = match next_data(client).await {
        Some(Message::Close(Some(frame))) => frame,
        other => panic!("expected a close frame, got {other:?}"),
    };
    let _ = tokio::time::timeout(PATIENCE, async { while client.next().await.is_some() {} }).await;
    (u16::from(frame.code), frame.reason.to_string())
}

/// Expects a refusal: one `error` event, then a close. Returns (event, close code, reason, raw
/// event text).
pub(crate) async fn expect_refusal(client: &mut Client) -> (Value, u16, String, String) {
    let text = match next_data(client).await {
        Some(Message::Text(text)) => text.to_string(),
        other => panic!("expected the error event, got {other:?}"),
    };
    let event: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(event["type"], "error", "{event}");
    let (code, reason) = expect_close(client).await;
    (event, code, reason, text)
}

/// Opens a session and reads the [`ReportSession`] report.
pub(crate) async fn report(
    url: &str,
    headers: &[(&'static str, &str)],
    protocols: &[&str],
) -> Value {
    let (mut client, _) = dial(url, headers, protocols).await.unwrap();
    let report = next_json(&mut client).await;
    client.close(None).await.unwrap();
    report
}

/// Closes a client politely with 1000.
pub(crate) async fn close_normally(client: &mut Client) {
    client
        .close(Some(tokio_tungstenite::tungstenite::protocol::CloseFrame {
            code: CloseCode::Normal,
            reason: "".into(),
        }))
        .await
        .unwrap();
}

/// Sends a raw HTTP/1.1 request and returns the whole response as text.
pub(crate) async fn raw_http(addr: SocketAddr, request: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    tokio::time::timeout(PATIENCE, stream.read_to_end(&mut response))
        .await
        .expect("response in time")
        .unwrap();
    String::from_utf8_lossy(&response).into_owned()
}

/// The JSON body of an HTTP error the WebSocket handshake got.
pub(crate) fn http_error(error: WsError) -> (u16, Value) {
    match error {
        WsError::Http(response) => {
            let status = response.status().as_u16();
            let body = response.body().clone().unwrap_or_default();
            (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
        }
        other => panic!("expected an HTTP error, got {other:?}"),
    }
}
