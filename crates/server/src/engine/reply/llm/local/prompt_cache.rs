//! Prompts the reply model has already read, kept so the next reply reads only what is new.
//!
//! A voice conversation's prompt grows by a turn or two per response: the system turn, the
//! tools and the history stay the same. Reading a prompt is most of a small model's time to its
//! first word (a few hundred tokens at about 150 tokens/s on one core), so the model's state
//! after each reply is kept here, keyed by the tokens it holds. The next prompt starts from the
//! entry it shares the longest beginning with, and only its remaining tokens are read. Entries
//! are shared by every session on the model (sessions with the same instructions share their
//! system turn), evicted least recently used first, within a byte budget.

use std::sync::{Arc, Mutex};

/// Tokens two prompts must share before a cached state is worth restoring.
const MIN_SHARED_TOKENS: usize = 8;

/// Model states by the tokens they hold: the [`LocalLlm`](super::LocalLlm)'s memory of
/// recent prompts. `S` is the saved state; `T` a token.
#[derive(Debug)]
pub(super) struct PromptCache<T, S> {
    entries: Mutex<Entries<T, S>>,
    budget_bytes: usize,
}

#[derive(Debug)]
struct Entries<T, S> {
    list: Vec<Entry<T, S>>,
    /// Counts lookups and stores, to find the least recently used entry.
    clock: u64,
}

#[derive(Debug)]
struct Entry<T, S> {
    tokens: Vec<T>,
    state: Arc<S>,
    bytes: usize,
    used: u64,
}

/// A cached state to start a prompt from.
#[derive(Debug)]
pub(super) struct Hit<S> {
    /// The saved state; it holds [`Hit::held`] tokens.
    pub state: Arc<S>,
    /// How many tokens the state holds (it may go on past the prompt).
    pub held: usize,
    /// How many of them the prompt begins with: reading can start at this position.
    pub shared: usize,
}

impl<T: PartialEq, S> PromptCache<T, S> {
    /// An empty cache that keeps at most `budget_bytes` of states.
    pub(super) fn new(budget_bytes: usize) -> Self {
        Self {
            entries: Mutex::new(Entries {
                list: Vec::new(),
                clock: 0,
            }),
            budget_bytes,
        }
    }

    /// The entry `prompt` shares the longest beginning with, if it shares enough to be worth
    /// restoring. At least the prompt's last token is always left to read, since reading it
    /// gives the first reply token's scores.
    pub(super) fn lookup(&self, prompt: &[T]) -> Option<Hit<S>> {
        let mut entries = self.lock();
        entries.clock += 1;
        let clock = entries.clock;
        let best = entries
            .list
            .iter_mut()
            .map(|entry| (shared_len(&entry.tokens, prompt), entry))
            .max_by_key(|(shared, _)| *shared)?;
        let shared = best.0.min(prompt.len().saturating_sub(1));
        if shared < MIN_SHARED_TOKENS {
            return None;
        }
        let entry = best.1;
        entry.used = clock;
        Some(Hit {
            state: Arc::clone(&entry.state),
            held: entry.tokens.len(),
            shared,
        })
    }

    /// Keeps `state`, which holds `tokens` and takes `bytes`. An entry whose tokens begin the
    /// new ones is dropped (the new one serves every prompt it served); then the least
    /// recently used entries go until the cache fits its budget.
    pub(super) fn store(&self, tokens: Vec<T>, state: S, bytes: usize) {
        if bytes > self.budget_bytes || tokens.len() < MIN_SHARED_TOKENS {
            return;
        }
        let mut entries = self.lock();
        entries.clock += 1;
        let used = entries.clock;
        entries
            .list
            .retain(|entry| !tokens.starts_with(&entry.tokens));
        entries.list.push(Entry {
            tokens,
            state: Arc::new(state),
            bytes,
            used,
        });
        while entries.list.iter().map(|e| e.bytes).sum::<usize>() > self.budget_bytes {
            let Some(oldest) = (0..entries.list.len()).min_by_key(|&i| entries.list[i].used) else {
                break;
            };
            entries.list.swap_remove(oldest);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries<T, S>> {
        // A poisoned lock only means a reply panicked between two statements that each leave
        // the list whole.
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// How many tokens `a` and `b` begin with in common.
fn shared_len<T: PartialEq>(a: &[T], b: &[T]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(range: std::ops::Range<u32>) -> Vec<u32> {
        range.collect()
    }

    #[test]
    fn the_longest_shared_beginning_wins_and_the_last_token_is_left_to_read() {
        let cache = PromptCache::new(1000);
        cache.store(tokens(0..20), "short", 10);
        let mut other = tokens(0..10);
        other.extend(100..130);
        cache.store(other, "other", 10);
        let hit = cache.lookup(&tokens(0..40)).expect("shares 20 tokens");
        assert_eq!((*hit.state, hit.held, hit.shared), ("short", 20, 20));
        // The whole prompt is cached: its last token is still read.
        let hit = cache.lookup(&tokens(0..20)).expect("shares all");
        assert_eq!(hit.shared, 19);
        assert!(cache.lookup(&tokens(50..90)).is_none());
        assert!(
            cache.lookup(&tokens(0..5)).is_none(),
            "too short to be worth it"
        );
    }

    #[test]
    fn a_longer_state_replaces_the_one_it_extends() {
        let cache = PromptCache::new(1000);
        cache.store(tokens(0..20), "turn one", 10);
        cache.store(tokens(0..40), "turn two", 10);
        assert_eq!(cache.lock().list.len(), 1);
        let hit = cache.lookup(&tokens(0..30)).expect("hit");
        assert_eq!((*hit.state, hit.held, hit.shared), ("turn two", 40, 29));
    }

    #[test]
    fn the_least_recently_used_entry_goes_first() {
        let cache = PromptCache::new(25);
        cache.store(tokens(0..10), "a", 10);
        cache.store(tokens(100..110), "b", 10);
        assert!(cache.lookup(&tokens(0..12)).is_some());
        cache.store(tokens(200..210), "c", 10);
        assert!(cache.lookup(&tokens(0..12)).is_some(), "a was used last");
        assert!(cache.lookup(&tokens(100..112)).is_none(), "b was evicted");
        cache.store(tokens(300..310), "too big", 26);
        assert!(cache.lookup(&tokens(300..312)).is_none());
    }
}
