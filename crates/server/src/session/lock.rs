//! How every session takes its locks, and what a poisoned lock means.
//!
//! A session keeps the state its tasks share behind a [`Mutex`]: the Realtime session state
//! that its read loop and its response task both change, the speech cache the engines share,
//! a GPT-Live session's state and the registry its sidebands find it in. A lock is poisoned
//! when a thread panicked while holding it, which only a bug does.
//!
//! The policy: take the guard anyway ([`PoisonError::into_inner`]), as the engines and the
//! client crate do. Each handler changes the state in steps that each leave it whole (an event
//! sent and recorded together, an item stored with its audio), so between events the state is
//! valid even after a panic; the panic costs the work of the task it happened in, and the
//! session goes on answering the client. The other choices are worse: returning early drops
//! the client's events with no answer, and ending the session takes down what still works.
//! Every session lock goes through [`lock`].

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Locks `mutex`, recovering the guard of a poisoned one (see the module doc).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
