//! What a `send` run came to: the [`Outcome`] the streaming loop fills in, the summary printed
//! from it, and the exit status it leads to.

use std::path::PathBuf;
use std::time::Duration;

use rtclient::protocol::ApiError;

use crate::exit::CliError;
use crate::printer::Printer;

/// What happened, for the summary and the exit code.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    /// Responses finished.
    pub(crate) responses: usize,
    /// Responses that finished with status `failed`.
    pub(crate) failed: usize,
    /// `error` events received.
    pub(crate) errors: usize,
    /// What the errors and failed responses said, each once (`type (code): message`).
    pub(crate) reasons: Vec<String>,
    /// Files written (WAV and transcripts).
    pub(crate) files: Vec<PathBuf>,
    /// Latency from speech end (or commit) to the first audio of the next response, per turn.
    pub(crate) latencies: Vec<Duration>,
    /// Latency from speech end (or commit) to the first text or transcript, per turn.
    pub(crate) text_latencies: Vec<Duration>,
    /// Input and output tokens.
    pub(crate) tokens: (u64, u64),
    /// Input tokens served from the cache.
    pub(crate) cached_tokens: u64,
}

impl Outcome {
    /// Notes what an error object (of an `error` event or a failed response) says, once.
    pub(crate) fn add_reason(&mut self, error: &ApiError) {
        let Some(message) = &error.message else {
            return;
        };
        let kind = error.kind.as_deref().unwrap_or("error");
        let reason = match error.code.as_ref().and_then(|code| code.value()) {
            Some(code) => format!("{kind} ({code}): {message}"),
            None => format!("{kind}: {message}"),
        };
        if !self.reasons.contains(&reason) {
            self.reasons.push(reason);
        }
    }
}

/// Prints the summary on stderr and turns failures into exit 1, with what the service said as
/// the causes.
pub(crate) fn summarize(outcome: &Outcome, printer: &Printer) -> Result<(), CliError> {
    print_summary(outcome, printer);
    if outcome.errors > 0 || outcome.failed > 0 {
        let mut error = CliError::failure(format!(
            "the service reported {} and {}",
            count(outcome.errors, "error"),
            count(outcome.failed, "failed response")
        ))
        .hint(match (outcome.errors, outcome.failed) {
            (_, 0) => "see the error events above",
            (0, _) => "see the failed responses above",
            _ => "see the error events and failed responses above",
        });
        error.causes.clone_from(&outcome.reasons);
        return Err(error);
    }
    Ok(())
}

/// `1 error`, `2 errors`.
fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Prints on stderr how many responses finished, failed and errors came, the tokens (and how
/// many were cached) and the per-turn latencies to the first audio and text (from the
/// conversation's turn metrics), and the files written.
pub(crate) fn print_summary(outcome: &Outcome, printer: &Printer) {
    let latency = latencies("latency to first audio", &outcome.latencies)
        + &latencies("to first text", &outcome.text_latencies);
    let cached = match outcome.cached_tokens {
        0 => String::new(),
        n => format!(" ({n} cached)"),
    };
    printer.note(&format!(
        "{} ({} failed), {}; tokens in/out {}/{}{cached}{latency}",
        count(outcome.responses, "response"),
        outcome.failed,
        count(outcome.errors, "error"),
        outcome.tokens.0,
        outcome.tokens.1
    ));
    for file in &outcome.files {
        printer.note(&format!("wrote {}", file.display()));
    }
}

/// `; LABEL: 120 ms, 95 ms`, or nothing without latencies.
fn latencies(label: &str, all: &[Duration]) -> String {
    if all.is_empty() {
        return String::new();
    }
    let ms: Vec<String> = all
        .iter()
        .map(|d| format!("{} ms", d.as_millis()))
        .collect();
    format!("; {label}: {}", ms.join(", "))
}
