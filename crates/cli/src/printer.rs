//! Where output goes: the one place that decides what reaches stdout and stderr.
//!
//! - stdout carries the command's result: event lines, `--json` JSONL, the server URL.
//! - stderr carries everything else: notes (`-q` hides them), warnings, errors, progress.
//! - Progress bars show only on a terminal, and not with `-q`, `-v` (they would interleave with
//!   debug logs) or `--no-progress`.
//! - Colour follows `--color auto|always|never`; `auto` means "stderr is a terminal and
//!   `NO_COLOR` is unset".
//!
//! A closed stdout (`rtclient inspect LOG | head`) is not an error: writes report
//! [`Printed::Closed`] and the command stops quietly with exit 0.

use std::io::{IsTerminal, Write};

use clap::ValueEnum;

use crate::exit::CliError;

/// When to use colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ColorChoice {
    /// When writing to a terminal and `NO_COLOR` is unset.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// What happened to a line written to stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Printed {
    /// Written.
    Ok,
    /// The reader went away (broken pipe): stop writing, exit 0.
    Closed,
}

/// Output decisions made once from the global flags.
#[derive(Debug, Clone)]
pub(crate) struct Printer {
    quiet: u8,
    verbose: u8,
    stderr_color: bool,
    no_progress: bool,
}

impl Printer {
    /// Decides from `-q` count, `-v` count, `--color` and `--no-progress`.
    pub(crate) fn new(quiet: u8, verbose: u8, color: ColorChoice, no_progress: bool) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let decide = |is_terminal: bool| match color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => is_terminal && !no_color,
        };
        Self {
            quiet,
            verbose,
            stderr_color: decide(std::io::stderr().is_terminal()),
            no_progress,
        }
    }

    /// The verbosity level: negative with `-q`, positive with `-v`.
    pub(crate) fn verbosity(&self) -> i16 {
        i16::from(self.verbose) - i16::from(self.quiet)
    }

    /// Whether a progress bar may be drawn on stderr.
    pub(crate) fn show_progress(&self) -> bool {
        !self.no_progress && self.quiet == 0 && self.verbose == 0 && std::io::stderr().is_terminal()
    }

    /// Writes one line of the command's result to stdout (even with `-q`; `-qq` silences it).
    pub(crate) fn out(&self, line: &str) -> Printed {
        if self.quiet >= 2 {
            return Printed::Ok;
        }
        let mut stdout = std::io::stdout().lock();
        match writeln!(stdout, "{line}").and_then(|()| stdout.flush()) {
            Ok(()) => Printed::Ok,
            // Broken pipe or a closed stdout: the reader is gone, nothing more to say.
            Err(_) => Printed::Closed,
        }
    }

    /// A note on stderr, hidden by `-q`.
    pub(crate) fn note(&self, message: &str) {
        if self.quiet == 0 {
            eprintln!("{message}");
        }
    }

    /// A warning on stderr, hidden by `-qq`.
    pub(crate) fn warn(&self, message: &str) {
        if self.quiet < 2 {
            let label = self.paint_err("warning:", "1;33");
            eprintln!("{label} {message}");
        }
    }

    /// An error: `error:`, one `Caused by:` line per cause, `hint:`. Always printed.
    pub(crate) fn error(&self, error: &CliError) {
        let mut text = format!("{} {}\n", self.paint_err("error:", "1;31"), error.message);
        for cause in &error.causes {
            text.push_str(&format!("  Caused by: {cause}\n"));
        }
        if let Some(hint) = &error.hint {
            text.push_str(&format!("{} {hint}\n", self.paint_err("hint:", "1;36")));
        }
        let _ = std::io::stderr().lock().write_all(text.as_bytes());
    }

    fn paint_err(&self, text: &str, sgr: &str) -> String {
        if self.stderr_color {
            format!("\x1b[{sgr}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
}
