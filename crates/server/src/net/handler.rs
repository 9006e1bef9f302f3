//! The boundary between the network layer and a session: the [`SessionHandler`] trait that
//! sessions implement, and [`IdleSession`], a transport-only stand-in.
//!
//! Once a connection is upgraded, authorized and resolved into a [`SessionRequest`], the
//! [connection layer](crate::net::connection) keeps the WebSocket (pings, the close handshake, size
//! limits, the session timer, shutdown) and hands the session two channels:
//!
//! - `incoming`: a [`Stream`] of the client's data messages ([`Message::Text`] and
//!   [`Message::Binary`] only); it ends when the connection ends.
//! - `outgoing`: a [`Sink`] for the server's messages. Send [`Message::Text`] events;
//!   send [`Message::Close`] to end the session with a code and reason, or with
//!   [`CLOSE_ABNORMAL`](crate::net::connection::CLOSE_ABNORMAL) (1006) to drop the connection with no
//!   close frame. Dropping it (or returning) ends the session with a normal close (1000).
//!
//! Because the handler is generic over the two halves, a session state machine can be tested
//! with plain channels and no socket.

use std::future::Future;

use axum::extract::ws::Message;
use futures_util::{Sink, Stream, StreamExt};

use crate::net::endpoint::SessionRequest;

/// Runs one session over a connection that the network layer already accepted.
pub trait SessionHandler: Send + Sync + 'static {
    /// Serves one session until `incoming` ends or the handler decides to stop.
    ///
    /// The future should return soon after `incoming` ends; the connection layer drops it if it
    /// is still running when the close timeout passes.
    fn run<Tx, Rx>(
        &self,
        request: SessionRequest,
        outgoing: Tx,
        incoming: Rx,
    ) -> impl Future<Output = ()> + Send
    where
        Tx: Sink<Message> + Send + Unpin + 'static,
        Rx: Stream<Item = Message> + Send + Unpin + 'static;
}

/// A session that accepts the connection, sends nothing and discards what the client sends.
///
/// The transport still behaves fully (pings, close handshake, limits, session timer). This is
/// the stand-in until the protocol state machine is plugged in; it is also handy to test clients'
/// connection handling.
#[derive(Debug, Clone, Copy, Default)]
pub struct IdleSession;

impl SessionHandler for IdleSession {
    async fn run<Tx, Rx>(&self, request: SessionRequest, outgoing: Tx, mut incoming: Rx)
    where
        Tx: Sink<Message> + Send + Unpin + 'static,
        Rx: Stream<Item = Message> + Send + Unpin + 'static,
    {
        tracing::debug!(dialect = ?request.dialect(), "idle session started");
        while let Some(message) = incoming.next().await {
            match message {
                Message::Text(text) => tracing::trace!(bytes = text.len(), "text frame ignored"),
                Message::Binary(data) => {
                    tracing::trace!(bytes = data.len(), "binary frame ignored");
                }
                _ => {}
            }
        }
        // Keep `outgoing` alive until the client is gone: dropping it would end the session.
        drop(outgoing);
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderMap;
    use futures_util::SinkExt;

    use super::*;
    use crate::net::endpoint::Route;

    #[tokio::test]
    async fn idle_session_runs_over_plain_channels() {
        let request =
            SessionRequest::resolve(Route::OpenAi, Some("model=m"), &HeaderMap::new(), []);
        let (out_tx, mut out_rx) = futures_channel::mpsc::channel::<Message>(4);
        let (mut in_tx, in_rx) = futures_channel::mpsc::channel::<Message>(4);
        let session = tokio::spawn(async move { IdleSession.run(request, out_tx, in_rx).await });
        in_tx.send(Message::text("{}")).await.unwrap();
        in_tx.send(Message::binary(vec![1, 2, 3])).await.unwrap();
        drop(in_tx);
        session.await.unwrap();
        // It sent nothing, and dropped its sender.
        assert!(out_rx.next().await.is_none());
    }
}
