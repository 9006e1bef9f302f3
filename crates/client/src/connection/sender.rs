//! [`Sender`]: the sending half, which hands frames and the close to the driver.

use rtclient_protocol::{MAX_CLOSE_REASON_BYTES, cut_at_char_boundary};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, frame::coding::CloseCode};

use super::driver::Command;
use crate::error::Error;

/// The sending half of a [`Connection`](crate::Connection). Cheap to clone.
#[derive(Clone)]
pub struct Sender {
    pub(super) commands: mpsc::Sender<Command>,
}

impl Sender {
    /// Sends one text frame and waits until it was written to the socket.
    ///
    /// Fails with [`Error::Disconnected`] once the connection is closed or closing; the
    /// [`Receiver`](crate::Receiver) reports why it ended.
    pub async fn send_text(&self, text: impl Into<String>) -> Result<(), Error> {
        let (ack, done) = oneshot::channel();
        self.commands
            .send(Command::Text(text.into(), ack))
            .await
            .map_err(|_| Error::Disconnected)?;
        done.await.map_err(|_| Error::Disconnected)?
    }

    /// Starts the close handshake with `code` and `reason` (cut to 123 bytes). The
    /// [`Receiver`](crate::Receiver) then yields what is still in flight and `Ok(None)` once the
    /// server has answered, or [`Error::CloseTimeout`] if it does not answer within the
    /// configured close timeout. Closing a connection that already ended does nothing.
    pub async fn close(&self, code: u16, reason: &str) -> Result<(), Error> {
        let frame = CloseFrame {
            code: CloseCode::from(code),
            reason: cut_at_char_boundary(reason, MAX_CLOSE_REASON_BYTES)
                .to_owned()
                .into(),
        };
        let (ack, done) = oneshot::channel();
        if self
            .commands
            .send(Command::Close(frame, ack))
            .await
            .is_err()
        {
            return Ok(());
        }
        done.await.unwrap_or(Ok(()))
    }
}

impl std::fmt::Debug for Sender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sender")
            .field("open", &!self.commands.is_closed())
            .finish_non_exhaustive()
    }
}
