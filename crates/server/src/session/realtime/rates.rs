//! [`RateBook`]: a session's request and token budgets, what `rate_limits.updated` reports, and
//! the failure of a response over budget.

use std::time::Duration;

use rtclient_protocol::{ErrorCode, RateLimit, RateLimitName};
use tokio::time::Instant;

use crate::engine::faults::{Failure, RateLimits};

/// What an unlimited session reports (the figures of a typical OpenAI tier).
const REPORTED: RateLimits = RateLimits {
    requests: 5_000,
    tokens: 40_000,
    window: Duration::from_secs(60),
};

/// The budgets used in the current window.
#[derive(Debug)]
pub(crate) struct RateBook {
    /// Enforced limits; `None` reports [`REPORTED`] and never refuses.
    limits: Option<RateLimits>,
    window_start: Option<Instant>,
    requests: u64,
    tokens: u64,
}

impl RateBook {
    /// A book enforcing `limits`, or only reporting when `None`.
    pub(crate) fn new(limits: Option<RateLimits>) -> Self {
        Self {
            limits,
            window_start: None,
            requests: 0,
            tokens: 0,
        }
    }

    fn budget(&self) -> RateLimits {
        self.limits.unwrap_or(REPORTED)
    }

    /// Starts a new window when the current one is over.
    fn roll(&mut self, now: Instant) {
        let window = self.budget().window;
        match self.window_start {
            Some(start) if now.duration_since(start) < window => {}
            _ => {
                self.window_start = Some(now);
                self.requests = 0;
                self.tokens = 0;
            }
        }
    }

    /// Takes one request for a new response, or says which budget is used up.
    pub(crate) fn admit(&mut self, now: Instant) -> Result<(), Failure> {
        self.roll(now);
        if let Some(limits) = self.limits {
            let exhausted = if self.requests >= limits.requests {
                Some(("requests", limits.requests))
            } else if self.tokens >= limits.tokens {
                Some(("tokens", limits.tokens))
            } else {
                None
            };
            if let Some((kind, limit)) = exhausted {
                let wait = self.reset_in(now).as_secs_f64();
                return Err(Failure {
                    kind: kind.to_owned(),
                    code: Some(ErrorCode::RateLimitExceeded.into()),
                    message: format!(
                        "Rate limit reached for {kind} in this session: limit {limit} per {} s. \
                         Please try again in {wait:.3}s.",
                        limits.window.as_secs_f64()
                    ),
                });
            }
        }
        self.requests += 1;
        Ok(())
    }

    /// Counts the tokens a finished response used.
    pub(crate) fn charge(&mut self, tokens: u64) {
        self.tokens = self.tokens.saturating_add(tokens);
    }

    fn reset_in(&self, now: Instant) -> Duration {
        let window = self.budget().window;
        self.window_start.map_or(window, |start| {
            window.saturating_sub(now.duration_since(start))
        })
    }

    /// The `rate_limits` of `rate_limits.updated`.
    pub(crate) fn report(&self, now: Instant) -> Vec<RateLimit> {
        let budget = self.budget();
        // A budget left unlimited (`u64::MAX`) reports an unlimited session's figure, not a
        // limit no client can make sense of.
        let shown = |limit: u64, unlimited: u64| {
            if limit == u64::MAX { unlimited } else { limit }
        };
        let reset = serde_json::Number::from_f64(self.reset_in(now).as_secs_f64());
        let entry = |name, limit: u64, used: u64| RateLimit {
            name: Some(name),
            limit: Some(limit),
            remaining: Some(limit.saturating_sub(used)),
            reset_seconds: reset.clone(),
            ..Default::default()
        };
        vec![
            entry(
                RateLimitName::Requests,
                shown(budget.requests, REPORTED.requests),
                self.requests,
            ),
            entry(
                RateLimitName::Tokens,
                shown(budget.tokens, REPORTED.tokens),
                self.tokens,
            ),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_run_out_and_renew_with_the_window() {
        let limits = RateLimits {
            requests: 2,
            tokens: 100,
            window: Duration::from_secs(10),
        };
        let mut book = RateBook::new(Some(limits));
        let start = Instant::now();
        assert!(book.admit(start).is_ok());
        assert!(book.admit(start).is_ok());
        let refused = book.admit(start + Duration::from_secs(4)).unwrap_err();
        assert_eq!(refused.kind, "requests");
        assert_eq!(refused.code.as_deref(), Some("rate_limit_exceeded"));
        assert!(
            refused.message.contains("try again in 6.000s"),
            "{refused:?}"
        );
        let report = book.report(start + Duration::from_secs(4));
        assert_eq!(report[0].remaining, Some(0));
        // A new window: requests renewed; tokens run out next.
        let later = start + Duration::from_secs(10);
        assert!(book.admit(later).is_ok());
        book.charge(150);
        assert_eq!(book.report(later)[1].remaining, Some(0));
        assert_eq!(book.admit(later).unwrap_err().kind, "tokens");
    }

    #[test]
    fn a_budget_left_unlimited_reports_the_usual_figure() {
        let limits = RateLimits {
            requests: 1,
            tokens: u64::MAX,
            window: Duration::from_secs(60),
        };
        let mut book = RateBook::new(Some(limits));
        let now = Instant::now();
        assert!(book.admit(now).is_ok());
        book.charge(75);
        let report = book.report(now);
        assert_eq!(report[0].limit, Some(1));
        assert_eq!(report[0].remaining, Some(0));
        assert_eq!(report[1].limit, Some(40_000));
        assert_eq!(report[1].remaining, Some(40_000 - 75));
        assert_eq!(book.admit(now).unwrap_err().kind, "requests");
    }

    #[test]
    fn an_unlimited_book_reports_and_never_refuses() {
        let mut book = RateBook::new(None);
        let now = Instant::now();
        for _ in 0..6_000 {
            assert!(book.admit(now).is_ok());
        }
        book.charge(123);
        let report = book.report(now);
        assert_eq!(report[0].limit, Some(5_000));
        assert_eq!(report[0].remaining, Some(0));
        assert_eq!(report[1].remaining, Some(40_000 - 123));
    }
}
