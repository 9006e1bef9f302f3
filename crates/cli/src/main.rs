//! `rtclient`: send audio files to the OpenAI / Azure OpenAI Realtime API, run the local
//! Realtime-compatible server, and read session logs.
//!
//! The binary is glue: [`args`] parses, [`settings`] resolves flags, environment and `.env` once,
//! [`printer`] decides where output goes, [`exit`] maps failures to exit codes, and one module per
//! subcommand ([`send`], [`serve`], [`inspect`]) does the work with the `rtclient`,
//! `rtclient-server`, `rtclient-protocol` and `rtclient-audio` crates. [`stream`] is `send`'s
//! streaming loop, [`render`] turns events into readable lines and [`session_log`] defines the
//! JSONL session log format. Usage and exit codes: `crates/cli/README.md`.

use std::process::ExitCode;

use clap::Parser;

mod args;
mod engines;
mod exit;
mod inspect;
mod printer;
mod render;
mod send;
mod serve;
mod session_log;
mod settings;
mod stream;

use args::{Cli, Command};
use exit::{CliError, Status};
use printer::Printer;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // clap prints help/version (exit 0) or the usage error (exit 2) itself.
        Err(e) => e.exit(),
    };
    let global = &cli.global;
    let printer = Printer::new(
        global.quiet,
        global.verbose,
        global.color,
        global.no_progress,
    );
    init_logging(&printer, matches!(cli.command, Command::Serve(_)));
    match run(cli.command, &printer) {
        Ok(()) => Status::Success.into(),
        Err(error) => {
            printer.error(&error);
            error.status.into()
        }
    }
}

/// Runs one subcommand on a tokio runtime.
fn run(command: Command, printer: &Printer) -> Result<(), CliError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::failure("could not start the async runtime").caused_by(&e))?;
    match command {
        Command::Inspect(args) => inspect::run(settings::InspectSettings::resolve(args), printer),
        Command::Serve(args) => {
            let settings = settings::ServeSettings::resolve(*args)?;
            runtime.block_on(serve::run(settings, printer))
        }
        Command::Send(args) => {
            let settings = settings::SendSettings::resolve(*args)?;
            runtime.block_on(send::run(settings, printer))
        }
    }
}

/// Logs go to stderr. `serve` logs at info by default, other commands only warnings; `-v` adds
/// debug, `-vv` trace, `-q` keeps errors only. `RUST_LOG`, when set, wins.
fn init_logging(printer: &Printer, serving: bool) {
    use tracing_subscriber::EnvFilter;
    let level = match (printer.verbosity(), serving) {
        (v, _) if v < 0 => "error",
        (0, true) => "info",
        (0, false) => "warn",
        (1, _) => "debug",
        _ => "trace",
    };
    // The audio decoder logs probe failures that our own error message already explains.
    let default = format!("{level},symphonia_core=off,symphonia=off");
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
}
