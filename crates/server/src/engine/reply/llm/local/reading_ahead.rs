//! The prompts being read ahead on a model ([`Responder::prepare`]), so that a reply to one of
//! them waits for that read (the state it leaves is where the reply starts) instead of reading
//! the prompt again, while replies to other prompts (other sessions) go on at once.
//!
//! [`Responder::prepare`]: crate::engine::reply::Responder::prepare

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

/// The rendered prompts being read ahead now.
#[derive(Debug, Default)]
pub(super) struct ReadingAhead {
    prompts: Mutex<Vec<String>>,
    done: Condvar,
}

/// A prompt being read ahead; dropping it ends the read and wakes the replies that wait for it.
pub(super) struct Reading<'a> {
    owner: &'a ReadingAhead,
    prompt: String,
}

impl ReadingAhead {
    /// Marks `prompt` as being read until the returned guard is dropped.
    pub(super) fn start(&self, prompt: &str) -> Reading<'_> {
        self.lock().push(prompt.to_owned());
        Reading {
            owner: self,
            prompt: prompt.to_owned(),
        }
    }

    /// Waits while a prompt that `prompt` begins with is being read ahead.
    pub(super) fn wait_for(&self, prompt: &str) {
        let mut prompts = self.lock();
        while prompts.iter().any(|read| prompt.starts_with(read.as_str())) {
            prompts = self
                .done
                .wait(prompts)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    fn lock(&self) -> MutexGuard<'_, Vec<String>> {
        // A poisoned lock only means a read-ahead panicked between two statements that each
        // leave the list whole.
        self.prompts.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Reading<'_> {
    fn drop(&mut self) {
        let mut prompts = self.owner.lock();
        if let Some(at) = prompts.iter().position(|read| *read == self.prompt) {
            prompts.swap_remove(at);
        }
        self.owner.done.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;

    #[test]
    fn a_reply_waits_only_for_the_read_of_its_own_prompt() {
        let reading = Arc::new(ReadingAhead::default());
        let guard = reading.start("system user:hello");
        // Another prompt (another session's) does not wait.
        reading.wait_for("system user:bye");
        let waited = Arc::new(AtomicBool::new(false));
        let waiter = {
            let (reading, waited) = (Arc::clone(&reading), Arc::clone(&waited));
            std::thread::spawn(move || {
                reading.wait_for("system user:hello assistant:");
                waited.store(true, Ordering::SeqCst);
            })
        };
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert!(
            !waited.load(Ordering::SeqCst),
            "returned while its prompt was read"
        );
        drop(guard);
        waiter.join().unwrap();
        assert!(waited.load(Ordering::SeqCst));
    }
}
