//! `rtclient`: send audio files to the OpenAI / Azure OpenAI Realtime API, run the local
//! Realtime-compatible server, and read session logs.
//!
//! The binary is glue: [`args`] parses, [`settings`] resolves flags, environment and `.env` once,
//! [`printer`] decides where output goes, [`exit`] maps failures to exit codes, and one module per
//! subcommand ([`send`], `talk`, [`serve`], [`inspect`], [`bench`]) does the work with the `rtclient`,
//! `rtclient-server`, `rtclient-protocol` and `rtclient-audio` crates. The verbs that open a
//! session share [`provider`] (where to connect, starting the [`local_server`] when that is the
//! choice) and [`session_options`] (what the session is asked to be). [`stream`] is `send`'s
//! streaming loop and [`live`] its GPT-Live run, both recording through [`frames`]; [`render`]
//! turns events into readable lines and [`session_log`] defines the JSONL session log format.
//! Usage and exit codes: `crates/cli/README.md`.

use std::process::ExitCode;

use clap::Parser;

mod args;
#[cfg(feature = "audio-io")]
mod audio_io;
mod bench;
mod engines;
mod exit;
mod frames;
mod input_files;
mod inspect;
mod live;
mod local_server;
mod outcome;
mod printer;
mod provider;
mod render;
mod send;
mod serve;
mod session_log;
mod session_options;
mod settings;
mod stream;
#[cfg(feature = "audio-io")]
mod talk;
mod upload;

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
    init_logging(
        &printer,
        matches!(cli.command, Command::Serve(_)),
        global.log_payloads,
    );
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
        Command::Send(args) if args.api == args::ApiArg::Live => {
            let model = args.connection.model.clone();
            let settings = settings::SendSettings::resolve(*args)?;
            runtime.block_on(live::run(settings, model, printer))
        }
        Command::Send(args) => {
            let settings = settings::SendSettings::resolve(*args)?;
            runtime.block_on(send::run(settings, printer))
        }
        // The bench runs its own runtimes, so that server and client CPU are counted apart.
        Command::Bench(args) => bench::run(args),
        #[cfg(feature = "audio-io")]
        Command::Talk(args) => {
            let settings = talk::TalkSettings::resolve(*args)?;
            runtime.block_on(talk::run(settings, printer))
        }
        #[cfg(not(feature = "audio-io"))]
        Command::Talk(_) => Err(CliError::usage(
            "this rtclient was built without microphone and speaker support",
        )
        .hint("build it with `cargo install --path crates/cli --features audio-io` (on Linux: apt-get install libasound2-dev)")),
    }
}

/// Logs go to stderr. `serve` logs at info by default, other commands only warnings; `-v` adds
/// debug, `-vv` trace, `-q` keeps errors only. The WebSocket library logs whole frames at trace,
/// so it is held at info unless `log_payloads`. `RUST_LOG`, when set, wins.
fn init_logging(printer: &Printer, serving: bool, log_payloads: bool) {
    use tracing_subscriber::EnvFilter;
    let level = match (printer.verbosity(), serving) {
        (v, _) if v < 0 => "error",
        (0, true) => "info",
        (0, false) => "warn",
        (1, _) => "debug",
        _ => "trace",
    };
    // The audio decoder logs probe failures that our own error message already explains;
    // llama.cpp logs every detail of loading the reply model at info.
    let llama = if level == "error" { "error" } else { "warn" };
    let mut default =
        format!("{level},symphonia_core=off,symphonia=off,llama_cpp_2={llama},llama-cpp-2={llama}");
    if !log_payloads {
        default.push_str(",tungstenite=info,tokio_tungstenite=info");
    }
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
}
