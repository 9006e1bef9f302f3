//! Test servers on `127.0.0.1:0`.

use std::{future::Future, time::Duration};

use http::HeaderMap;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};
use tokio_tungstenite::{
    WebSocketStream, accept_hdr_async_with_config,
    tungstenite::{
        handshake::server::{Request, Response},
        protocol::WebSocketConfig,
    },
};

/// The upgrade request as the server saw it.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    pub(crate) path: String,
    pub(crate) query: Option<String>,
    pub(crate) headers: HeaderMap,
}

impl Seen {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }
}

/// A listener on a free loopback port and its `http://127.0.0.1:PORT` base.
pub(crate) async fn listen() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    (listener, base)
}

/// Accepts one WebSocket connection and records its request.
pub(crate) async fn accept(listener: &TcpListener) -> (WebSocketStream<TcpStream>, Seen) {
    let (stream, _) = listener.accept().await.unwrap();
    let mut seen = None;
    // The error type is tungstenite's; this callback never fails.
    #[allow(clippy::result_large_err)]
    let callback = |request: &Request, response: Response| {
        seen = Some(Seen {
            path: request.uri().path().to_owned(),
            query: request.uri().query().map(str::to_owned),
            headers: request.headers().clone(),
        });
        Ok(response)
    };
    // The test server accepts anything large; the client's limits are what is tested.
    let config = WebSocketConfig::default()
        .max_message_size(None)
        .max_frame_size(None);
    let socket = accept_hdr_async_with_config(stream, callback, Some(config))
        .await
        .unwrap();
    (socket, seen.unwrap())
}

/// Accepts one TCP connection, reads the upgrade request head and answers `response` verbatim.
/// Returns the request head.
pub(crate) async fn refuse(listener: &TcpListener, response: String) -> String {
    let (mut stream, _) = listener.accept().await.unwrap();
    let mut head = Vec::new();
    let mut buffer = [0u8; 1024];
    while !head.windows(4).any(|window| window == b"\r\n\r\n") {
        let read = stream.read(&mut buffer).await.unwrap();
        if read == 0 {
            break;
        }
        head.extend_from_slice(&buffer[..read]);
    }
    stream.write_all(response.as_bytes()).await.unwrap();
    stream.shutdown().await.unwrap();
    String::from_utf8_lossy(&head).into_owned()
}

/// An HTTP error response with a JSON body and extra header lines.
pub(crate) fn http_error(
    status: u16,
    reason: &str,
    extra_headers: &[(&str, &str)],
    body: &str,
) -> String {
    let mut response = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for (name, value) in extra_headers {
        response.push_str(&format!("{name}: {value}\r\n"));
    }
    response.push_str("\r\n");
    response.push_str(body);
    response
}

/// Fails the test instead of hanging when something never happens (not a timing assertion).
pub(crate) async fn within<T>(future: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(20), future)
        .await
        .expect("test did not finish within 20 s")
}

/// The server side of one test connection.
pub(crate) type Server = WebSocketStream<TcpStream>;
