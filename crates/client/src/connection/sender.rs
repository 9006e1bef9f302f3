//! [`Sender`]: the sending half, which hands frames and the close to the driver.

use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, frame::coding::CloseCode};

use super::driver::Command;
use crate::error::Error;

/// The longest close reason a close frame can carry.
const MAX_CLOSE_REASON_BYTES: usize = 123;

/// The sending half of a [`Connection`]. Cheap to clone.
#[derive(Clone)]
pub struct Sender {
    pub(super) commands: mpsc::Sender<Command>,
}

impl Sender {
    /// Sends one text frame and waits until it was written to the socket.
    ///
    /// Fails with [`Error::Disconnected`] once the connection is closed or closing; the
    /// [`Receiver`] reports why it ended.
    pub async fn send_text(&self, text: impl Into<String>) -> Result<(), Error> {
        let (ack, done) = oneshot::channel();
        self.commands
            .send(Command::Text(text.into(), ack))
            .await
            .map_err(|_| Error::Disconnected)?;
        done.await.map_err(|_| Error::Disconnected)?
    }

    /// Starts the close handshake with `code` and `reason` (cut to 123 bytes). The [`Receiver`]
    /// then yields what is still in flight and `Ok(None)` once the server has answered, or
    /// [`Error::CloseTimeout`] if it does not answer within the configured close timeout. Closing
    /// a connection that already ended does nothing.
    pub async fn close(&self, code: u16, reason: &str) -> Result<(), Error> {
        let frame = CloseFrame {
            code: CloseCode::from(code),
            reason: cut_to_char_boundary(reason, MAX_CLOSE_REASON_BYTES)
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

fn cut_to_char_boundary(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_reason_is_cut_on_a_char_boundary() {
        let long = "é".repeat(100);
        let cut = cut_to_char_boundary(&long, MAX_CLOSE_REASON_BYTES);
        assert!(cut.len() <= MAX_CLOSE_REASON_BYTES);
        assert!(cut.chars().all(|c| c == 'é'));
    }
}
