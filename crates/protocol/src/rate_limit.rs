//! Rate limits reported by `rate_limits.updated`.

use crate::wire::{string_enum, wire_struct};

wire_struct! {
    /// One rate limit entry.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct RateLimit [object] {
        /// `requests` or `tokens`.
        opt name: RateLimitName = "name",
        /// The limit.
        opt limit: u64 = "limit",
        /// What is left.
        opt remaining: u64 = "remaining",
        /// Seconds until reset (kept as `f64`, e.g. `2.03` round-trips exactly).
        opt reset_seconds: serde_json::Number = "reset_seconds",
    }
}

string_enum! {
    /// The name of a rate limit.
    pub enum RateLimitName {
        /// Requests.
        Requests = "requests",
        /// Tokens.
        Tokens = "tokens",
    }
}
