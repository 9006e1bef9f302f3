//! The connection limit: how many connections are served at once.
//!
//! Each accepted connection holds a [`ConnectionPermit`] until it is fully closed; when none is
//! left, new connections are answered HTTP 503 before the upgrade. The same gate tells a
//! shutting-down server when the last connection is gone.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

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

#[cfg(test)]
mod tests {
    use super::*;

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
