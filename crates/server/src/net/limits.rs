//! Connection limits before the upgrade: how many connections are served at once, counted from
//! accept, and how long a client may take to send its request head.
//!
//! [`GatedListener`] wraps the server's listener. Each accepted connection takes a
//! [`ConnectionPermit`] at once and holds it until the connection is fully closed (after an
//! upgrade, until the WebSocket ends), so half-open connections count against
//! `max_connections` too; when no slot is left, the connection is answered HTTP 503 and closed.
//! A connection that has not sent its whole request head within the header timeout is dropped.
//! The same gate tells a shutting-down server when the last connection is gone.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Sleep;

/// Proof that a connection holds one of the server's connection slots; dropping it frees the slot.
#[derive(Debug)]
pub(crate) struct ConnectionPermit(#[allow(dead_code)] OwnedSemaphorePermit);

/// Counts open connections against `max_connections`.
#[derive(Debug, Clone)]
pub(crate) struct ConnectionGate {
    slots: Arc<Semaphore>,
    capacity: u32,
}

impl ConnectionGate {
    /// A gate for `capacity` connections (capped at `u32::MAX`; the config allows far fewer).
    pub(crate) fn new(capacity: usize) -> Self {
        let capacity = u32::try_from(capacity).unwrap_or(u32::MAX);
        Self {
            slots: Arc::new(Semaphore::new(capacity as usize)),
            capacity,
        }
    }

    /// Takes a slot, or `None` when every slot is in use.
    pub(crate) fn try_enter(&self) -> Option<ConnectionPermit> {
        Arc::clone(&self.slots)
            .try_acquire_owned()
            .ok()
            .map(ConnectionPermit)
    }

    /// How many connections hold a slot now.
    pub(crate) fn open(&self) -> usize {
        (self.capacity as usize).saturating_sub(self.slots.available_permits())
    }

    /// Waits until no connection holds a slot.
    pub(crate) async fn wait_idle(&self) {
        // The semaphore is never closed, so this only returns once every slot is free.
        let _all = self.slots.acquire_many(self.capacity).await;
    }
}

/// The JSON body of the 503 a connection over the limit gets, in OpenAI's error shape.
const FULL_BODY: &str = r#"{"error":{"message":"This server is at its connection limit. Retry later.","type":"server_error","param":null,"code":"too_many_connections"}}"#;

/// Largest request head read from a connection that is refused for the limit.
const MAX_REFUSED_HEAD: usize = 16 * 1024;

/// A listener whose connections hold a slot of `gate` from accept and must send their request
/// head within `header_timeout`.
pub(crate) struct GatedListener<L> {
    inner: L,
    gate: ConnectionGate,
    header_timeout: Duration,
}

impl<L> GatedListener<L> {
    /// Gates the connections of `inner`.
    pub(crate) fn new(inner: L, gate: ConnectionGate, header_timeout: Duration) -> Self {
        Self {
            inner,
            gate,
            header_timeout,
        }
    }
}

impl<L: Listener> Listener for GatedListener<L> {
    type Io = Gated<L::Io>;
    type Addr = L::Addr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let (io, addr) = self.inner.accept().await;
            match self.gate.try_enter() {
                Some(permit) => return (Gated::new(io, permit, self.header_timeout), addr),
                None => {
                    tracing::warn!(
                        max = self.gate.capacity,
                        "connection refused: too many connections"
                    );
                    tokio::spawn(refuse_full(io, self.header_timeout));
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// The client address of a gated connection, as axum's connect info.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Peer(pub(crate) SocketAddr);

impl<L: Listener<Addr = SocketAddr>> Connected<IncomingStream<'_, GatedListener<L>>> for Peer {
    fn connect_info(stream: IncomingStream<'_, GatedListener<L>>) -> Self {
        Peer(*stream.remote_addr())
    }
}

/// Reads the request head of a connection over the limit (so closing does not reset it before
/// the client reads the answer), answers 503 and closes.
async fn refuse_full<Io: AsyncRead + AsyncWrite + Unpin>(mut io: Io, header_timeout: Duration) {
    let read_head = async {
        let mut head = HeadEnd::default();
        let mut buf = [0u8; 1024];
        let mut total = 0;
        while !head.complete() && total < MAX_REFUSED_HEAD {
            let n = io.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            head.scan(&buf[..n]);
            total += n;
        }
        io::Result::Ok(())
    };
    if !matches!(
        tokio::time::timeout(header_timeout, read_head).await,
        Ok(Ok(()))
    ) {
        return;
    }
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
         retry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{FULL_BODY}",
        FULL_BODY.len()
    );
    let write = async {
        io.write_all(response.as_bytes()).await?;
        io.shutdown().await
    };
    if let Err(error) = tokio::time::timeout(header_timeout, write).await {
        tracing::debug!(%error, "could not answer a connection over the limit");
    }
}

/// Finds the blank line that ends an HTTP request head, across reads.
#[derive(Debug, Default)]
struct HeadEnd {
    /// How much of `\r\n\r\n` the bytes so far end with.
    matched: usize,
}

impl HeadEnd {
    const END: &'static [u8] = b"\r\n\r\n";

    fn scan(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            if self.complete() {
                return;
            }
            self.matched = if byte == Self::END[self.matched] {
                self.matched + 1
            } else if byte == b'\r' {
                1
            } else {
                0
            };
        }
    }

    fn complete(&self) -> bool {
        self.matched == Self::END.len()
    }
}

/// A connection that holds its slot, and fails its reads once the header timeout passes before
/// its first request head is complete (which makes the HTTP server drop it).
pub(crate) struct Gated<Io> {
    io: Io,
    _permit: ConnectionPermit,
    /// Until the first request head is complete.
    deadline: Option<Pin<Box<Sleep>>>,
    head: HeadEnd,
}

impl<Io> Gated<Io> {
    fn new(io: Io, permit: ConnectionPermit, header_timeout: Duration) -> Self {
        Self {
            io,
            _permit: permit,
            deadline: Some(Box::pin(tokio::time::sleep(header_timeout))),
            head: HeadEnd::default(),
        }
    }
}

impl<Io: AsyncRead + Unpin> AsyncRead for Gated<Io> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Some(deadline) = this.deadline.as_mut()
            && deadline.as_mut().poll(cx).is_ready()
        {
            tracing::debug!("request head not received in time: connection dropped");
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "request head not received in time",
            )));
        }
        let before = buf.filled().len();
        let result = Pin::new(&mut this.io).poll_read(cx, buf);
        if this.deadline.is_some() {
            this.head.scan(&buf.filled()[before..]);
            if this.head.complete() {
                this.deadline = None;
            }
        }
        result
    }
}

impl<Io: AsyncWrite + Unpin> AsyncWrite for Gated<Io> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_head_ends_at_the_first_blank_line_across_reads() {
        let mut head = HeadEnd::default();
        head.scan(b"GET / HTTP/1.1\r\nHost: x\r");
        assert!(!head.complete());
        head.scan(b"\n\r");
        assert!(!head.complete());
        head.scan(b"\nbody");
        assert!(head.complete());
        let mut split = HeadEnd::default();
        split.scan(b"a\r\r\n\r\n");
        assert!(split.complete());
    }

    #[tokio::test]
    async fn gate_counts_and_drains() {
        let gate = ConnectionGate::new(2);
        let first = gate.try_enter().unwrap();
        let second = gate.try_enter().unwrap();
        assert!(gate.try_enter().is_none());
        assert_eq!(gate.open(), 2);
        drop(first);
        assert_eq!(gate.open(), 1);
        let waiter = tokio::spawn({
            let gate = gate.clone();
            async move { gate.wait_idle().await }
        });
        drop(second);
        waiter.await.unwrap();
        assert_eq!(gate.open(), 0);
    }
}
