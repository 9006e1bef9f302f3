//! The driver: the background task that owns the open socket. It reads continuously, writes what
//! the [`Sender`]s ask, sends keepalive pings, and hands every way the socket ends to the
//! [`Receiver`] as one final item.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::{
    sync::{
        mpsc::{self, OwnedPermit},
        oneshot,
    },
    time::{Instant, Interval, MissedTickBehavior},
};
use tokio_tungstenite::tungstenite::{
    self, Message,
    error::{CapacityError, ProtocolError},
    protocol::{CloseFrame, frame::coding::CloseCode},
};
use tracing::{Instrument, Span};

use super::handshake::Socket;
use super::{Receiver, Sender};
use crate::{config::ClientConfig, error::Error};

/// How many received messages wait for the application before the driver stops reading.
const INCOMING_CAPACITY: usize = 256;
/// How many send requests may queue up for the driver.
const COMMAND_CAPACITY: usize = 64;
/// How many keepalive intervals in a row may pass without any frame from the server before the
/// connection counts as dead.
const KEEPALIVE_MISSES: u32 = 3;

/// A request from a [`Sender`] to the driver, with the channel for its outcome.
pub(super) enum Command {
    Text(String, oneshot::Sender<Result<(), Error>>),
    Close(CloseFrame, oneshot::Sender<Result<(), Error>>),
}

/// What the driver hands to the [`Receiver`]. `End` and `Failed` are final.
pub(super) enum Incoming {
    Text(String),
    Binary(usize),
    End,
    Failed(Error),
}

/// Spawns the driver for `socket` and returns the two halves that talk to it.
pub(super) fn start(socket: Socket, config: &ClientConfig, span: Span) -> (Sender, Receiver) {
    let (commands_tx, commands_rx) = mpsc::channel(COMMAND_CAPACITY);
    let (incoming_tx, incoming_rx) = mpsc::channel(INCOMING_CAPACITY);
    let driver = Driver {
        socket,
        commands: commands_rx,
        incoming: incoming_tx,
        close_timeout: config.close_timeout,
    };
    let state = State::new(config.keepalive_interval);
    tokio::spawn(driver.run(state).instrument(span.clone()));
    let sender = Sender {
        commands: commands_tx,
    };
    let receiver = Receiver {
        incoming: incoming_rx,
        finished: false,
        span,
    };
    (sender, receiver)
}

/// What to do after one read from the socket.
enum Step {
    Deliver(Incoming),
    Continue,
    Finish(Incoming),
}

/// Owns the socket: reads continuously, writes what senders ask, pings, and reports the end.
struct Driver {
    socket: Socket,
    commands: mpsc::Receiver<Command>,
    incoming: mpsc::Sender<Incoming>,
    close_timeout: Duration,
}

/// Where the driver loop is: who is still there, whether we are closing, and the keepalive.
struct State {
    /// Senders may still send commands (false once every [`Sender`] is dropped).
    commands_open: bool,
    /// The [`Receiver`] was dropped: frames are still read (to answer pings) and discarded.
    receiver_gone: bool,
    /// A reserved slot in the receiver's buffer; without one (buffer full) nothing is read.
    permit: Option<OwnedPermit<Incoming>>,
    /// Our close frame is out and the server must answer by this instant.
    close_deadline: Option<Instant>,
    /// Keepalive pings and how long the server has been silent.
    keepalive: Keepalive,
}

impl State {
    fn new(keepalive: Option<Duration>) -> Self {
        Self {
            commands_open: true,
            receiver_gone: false,
            permit: None,
            close_deadline: None,
            keepalive: Keepalive::new(keepalive),
        }
    }

    fn closing(&self) -> bool {
        self.close_deadline.is_some()
    }

    /// Reading waits for the receiver to make room, unless nobody receives any more.
    fn may_read(&self) -> bool {
        self.permit.is_some() || self.receiver_gone
    }
}

/// The keepalive: our ping schedule and the count of whole silent intervals.
struct Keepalive {
    interval: Option<Interval>,
    pings: u64,
    last_heard: Instant,
    heard_since_tick: bool,
    silent_ticks: u32,
}

impl Keepalive {
    fn new(period: Option<Duration>) -> Self {
        let interval = period.map(|period| {
            let mut interval = tokio::time::interval_at(Instant::now() + period, period);
            interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
            interval
        });
        Self {
            interval,
            pings: 0,
            last_heard: Instant::now(),
            heard_since_tick: false,
            silent_ticks: 0,
        }
    }

    /// A frame (any frame) arrived.
    fn heard(&mut self) {
        self.last_heard = Instant::now();
        self.heard_since_tick = true;
    }

    /// One interval passed. While `paused` (the receiver's buffer full) we are not reading, so
    /// silence proves nothing. Counting whole silent intervals, rather than comparing clocks,
    /// keeps a stalled process from looking like a dead server. `Ok(n)`: send ping `n`;
    /// `Err(silent_for)`: the server is gone.
    fn on_tick(&mut self, paused: bool) -> Result<u64, Duration> {
        self.silent_ticks = if paused || self.heard_since_tick {
            0
        } else {
            self.silent_ticks + 1
        };
        self.heard_since_tick = false;
        if self.silent_ticks >= KEEPALIVE_MISSES {
            return Err(self.last_heard.elapsed());
        }
        self.pings = self.pings.wrapping_add(1);
        Ok(self.pings)
    }
}

impl Driver {
    async fn run(mut self, mut state: State) {
        let last = loop {
            if !state.commands_open && state.receiver_gone {
                // Nobody is left to use the connection: close it politely and stop.
                if !state.closing() {
                    let frame = CloseFrame {
                        code: CloseCode::Normal,
                        reason: "".into(),
                    };
                    let _ = self.socket.close(Some(frame)).await;
                }
                return;
            }
            let closing = state.closing();
            let close_deadline = state.close_deadline.unwrap_or_else(Instant::now);
            let paused = state.permit.is_none() && !state.receiver_gone;
            tokio::select! {
                command = self.commands.recv(), if state.commands_open => match command {
                    None => state.commands_open = false,
                    Some(command) => self.on_command(command, &mut state).await,
                },
                reserved = self.incoming.clone().reserve_owned(), if paused => {
                    match reserved {
                        Ok(reserved) => state.permit = Some(reserved),
                        Err(_) => state.receiver_gone = true,
                    }
                },
                () = self.incoming.closed(), if !state.receiver_gone => state.receiver_gone = true,
                message = self.socket.next(), if state.may_read() => {
                    state.keepalive.heard();
                    match self.on_message(message, closing).await {
                        Step::Deliver(item) => {
                            if let Some(reserved) = state.permit.take() {
                                reserved.send(item);
                            }
                        }
                        Step::Continue => {}
                        Step::Finish(item) => break item,
                    }
                },
                () = tokio::time::sleep_until(close_deadline), if closing => {
                    break Incoming::Failed(Error::CloseTimeout { timeout: self.close_timeout });
                },
                () = next_tick(&mut state.keepalive.interval), if state.keepalive.interval.is_some() && !closing => {
                    if let Some(last) = self.on_tick(&mut state.keepalive, paused).await {
                        break last;
                    }
                },
            }
        };
        self.finish(last, state).await;
    }

    /// Writes a text frame or starts the close, and reports the outcome to the sender.
    async fn on_command(&mut self, command: Command, state: &mut State) {
        match command {
            Command::Text(text, ack) => {
                let result = if state.closing() {
                    Err(Error::Disconnected)
                } else {
                    self.socket
                        .send(Message::text(text))
                        .await
                        .map_err(send_error)
                };
                let _ = ack.send(result);
            }
            Command::Close(frame, ack) => {
                let result = if state.closing() {
                    Ok(())
                } else {
                    state.close_deadline = Some(Instant::now() + self.close_timeout);
                    tracing::debug!(code = u16::from(frame.code), "closing");
                    self.socket.close(Some(frame)).await.map_err(send_error)
                };
                let _ = ack.send(result);
            }
        }
    }

    /// Pings, or closes and returns the final item when the server has been silent too long.
    async fn on_tick(&mut self, keepalive: &mut Keepalive, paused: bool) -> Option<Incoming> {
        match keepalive.on_tick(paused) {
            Ok(pings) => {
                tracing::trace!(pings, "keepalive ping");
                let ping = Message::Ping(pings.to_be_bytes().to_vec().into());
                // A failed write shows up on the next read, which reports it.
                if let Err(error) = self.socket.send(ping).await {
                    tracing::debug!(%error, "keepalive ping failed");
                }
                None
            }
            Err(silent_for) => {
                let frame = CloseFrame {
                    code: CloseCode::Error,
                    reason: "keepalive ping timeout".into(),
                };
                let _ = self.socket.close(Some(frame)).await;
                Some(Incoming::Failed(Error::KeepaliveTimeout { silent_for }))
            }
        }
    }

    /// Refuses what senders still queued, then hands the final item to the receiver.
    async fn finish(mut self, last: Incoming, state: State) {
        match &last {
            Incoming::Failed(error) => tracing::debug!(%error, "connection ended"),
            _ => tracing::debug!("connection closed"),
        }
        self.commands.close();
        while let Ok(command) = self.commands.try_recv() {
            match command {
                Command::Text(_, ack) => {
                    let _ = ack.send(Err(Error::Disconnected));
                }
                Command::Close(_, ack) => {
                    let _ = ack.send(Ok(()));
                }
            }
        }
        match state.permit {
            Some(reserved) => {
                reserved.send(last);
            }
            None if !state.receiver_gone => {
                let _ = self.incoming.send(last).await;
            }
            None => {}
        }
    }

    async fn on_message(
        &mut self,
        message: Option<Result<Message, tungstenite::Error>>,
        closing: bool,
    ) -> Step {
        match message {
            None if closing => Step::Finish(Incoming::End),
            None => Step::Finish(Incoming::Failed(Error::ConnectionLost { source: None })),
            Some(Ok(Message::Text(text))) => {
                Step::Deliver(Incoming::Text(text.as_str().to_owned()))
            }
            Some(Ok(Message::Binary(data))) => Step::Deliver(Incoming::Binary(data.len())),
            Some(Ok(Message::Ping(_))) => {
                // tungstenite queued the pong; write it now rather than at our next send.
                if let Err(error) = self.socket.flush().await {
                    tracing::debug!(%error, "flushing pong failed");
                }
                Step::Continue
            }
            Some(Ok(Message::Pong(_))) => {
                tracing::trace!("pong");
                Step::Continue
            }
            Some(Ok(Message::Frame(_))) => Step::Continue,
            Some(Ok(Message::Close(_))) if closing => Step::Finish(Incoming::End),
            Some(Ok(Message::Close(frame))) => {
                let (code, reason) = frame
                    .map(|frame| (u16::from(frame.code), frame.reason.as_str().to_owned()))
                    .unwrap_or((1005, String::new()));
                // Sends tungstenite's close reply.
                let _ = self.socket.flush().await;
                Step::Finish(Incoming::Failed(Error::Closed { code, reason }))
            }
            Some(Err(error)) => {
                let error = match error {
                    tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed
                        if closing =>
                    {
                        return Step::Finish(Incoming::End);
                    }
                    tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed => {
                        Error::ConnectionLost { source: None }
                    }
                    tungstenite::Error::Capacity(CapacityError::MessageTooLong {
                        size,
                        max_size,
                    }) => {
                        let frame = CloseFrame {
                            code: CloseCode::Size,
                            reason: "message too big".into(),
                        };
                        let _ = self.socket.close(Some(frame)).await;
                        Error::MessageTooLarge {
                            size,
                            limit: max_size,
                        }
                    }
                    error @ (tungstenite::Error::Io(_)
                    | tungstenite::Error::Protocol(
                        ProtocolError::ResetWithoutClosingHandshake,
                    )) => Error::ConnectionLost {
                        source: Some(Box::new(error)),
                    },
                    error => Error::WebSocket {
                        source: Box::new(error),
                    },
                };
                Step::Finish(Incoming::Failed(error))
            }
        }
    }
}

async fn next_tick(interval: &mut Option<Interval>) {
    match interval {
        Some(interval) => {
            interval.tick().await;
        }
        None => std::future::pending().await,
    }
}

fn send_error(error: tungstenite::Error) -> Error {
    match error {
        tungstenite::Error::ConnectionClosed
        | tungstenite::Error::AlreadyClosed
        | tungstenite::Error::Protocol(ProtocolError::SendAfterClosing) => Error::Disconnected,
        error @ tungstenite::Error::Io(_) => Error::ConnectionLost {
            source: Some(Box::new(error)),
        },
        error => Error::WebSocket {
            source: Box::new(error),
        },
    }
}
