//! [`Receiver`]: the receiving half, which takes what the driver read.

use std::{
    pin::Pin,
    task::{Context, Poll},
};

use futures_util::Stream;
use tokio::sync::mpsc;
use tracing::Span;

use super::driver::Incoming;
use crate::error::Error;

/// The receiving half of a [`Connection`](crate::Connection).
///
/// Call [`recv_text`](Receiver::recv_text) steadily: up to 256 received messages wait here, and
/// while that buffer is full the connection stops reading (and so stops answering pings). Dropping
/// the receiver discards whatever arrives later.
pub struct Receiver {
    pub(super) incoming: mpsc::Receiver<Incoming>,
    pub(super) finished: bool,
    pub(super) span: Span,
}

impl Receiver {
    /// Receives the next text frame.
    ///
    /// - `Ok(Some(text))`: one frame (one JSON event).
    /// - `Ok(None)`: the connection ended cleanly after *our* close, or an error ending it was
    ///   already returned.
    /// - `Err(Error::Closed { code, reason })`: the server closed (3000 auth, 4000 request shape,
    ///   1001 max duration, even 1000) without us asking.
    /// - `Err(Error::ConnectionLost { .. })`: the socket ended without a close frame.
    /// - `Err(Error::MessageTooLarge { .. })`: a message over the configured limit.
    /// - `Err(Error::KeepaliveTimeout { .. })`: nothing heard for three keepalive intervals.
    /// - `Err(Error::BinaryFrame { .. })`: not fatal; call again.
    pub async fn recv_text(&mut self) -> Result<Option<String>, Error> {
        std::future::poll_fn(|cx| self.poll_recv_text(cx)).await
    }

    /// Polls for the next text frame: the poll form of [`recv_text`](Receiver::recv_text), with
    /// the same results. Cancel-safe: a frame is only taken when it is returned.
    pub fn poll_recv_text(&mut self, cx: &mut Context<'_>) -> Poll<Result<Option<String>, Error>> {
        if self.finished {
            return Poll::Ready(Ok(None));
        }
        let item = std::task::ready!(self.incoming.poll_recv(cx));
        Poll::Ready(match item {
            Some(Incoming::Text(text)) => Ok(Some(text)),
            Some(Incoming::Binary(len)) => Err(Error::BinaryFrame { len }),
            Some(Incoming::End) => {
                self.finished = true;
                Ok(None)
            }
            Some(Incoming::Failed(error)) => {
                self.finished = true;
                Err(error)
            }
            None => {
                self.finished = true;
                Err(Error::ConnectionLost { source: None })
            }
        })
    }

    /// After our close: discards what is still in flight until the server's close reply.
    pub(crate) async fn drain_after_close(&mut self) -> Result<(), Error> {
        loop {
            match self.recv_text().await {
                Ok(None) => return Ok(()),
                Ok(Some(_)) => {}
                Err(error) if error.is_recoverable() => {}
                Err(error) => return Err(error),
            }
        }
    }

    /// The `tracing` span of this connection.
    pub fn span(&self) -> &Span {
        &self.span
    }

    /// Records the session id (from `session.created`) on the connection's span.
    pub fn record_session_id(&self, session_id: &str) {
        self.span.record("session_id", session_id);
    }
}

/// The frames as a stream: `Ok(text)` per frame, `Err` for a binary frame (then the stream goes
/// on) or for the error that ended the connection (then the stream ends).
impl Stream for Receiver {
    type Item = Result<String, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_recv_text(cx).map(Result::transpose)
    }
}

impl std::fmt::Debug for Receiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Receiver")
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}
