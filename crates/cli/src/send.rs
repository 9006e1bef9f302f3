//! `rtclient send FILE...`: stream audio files to a Realtime service.
//!
//! Today this resolves the provider and checks every argument and input file (exit 2 on a
//! problem), says which provider it would use, and then stops with exit 2: the streaming loop
//! lands with the typed client and the server's session state machine. It prints no event it did
//! not receive.

use crate::exit::CliError;
use crate::printer::Printer;
use crate::settings::{LocalReason, Provider, SendSettings};

/// Runs `send` with resolved settings.
pub(crate) async fn run(settings: SendSettings, printer: &Printer) -> Result<(), CliError> {
    for file in &settings.files {
        // Opening decodes the container header: unsupported formats fail here, with exit 2.
        rtclient_audio::AudioSource::open(file).map_err(|e| {
            CliError::usage(format!("{}: cannot use this input file", file.display()))
                .caused_by(&e)
                .hint("send WAV, FLAC, OGG Vorbis or MP3 files")
        })?;
    }
    let dialect = match settings.dialect {
        rtclient_protocol::Dialect::Ga => "GA",
        rtclient_protocol::Dialect::Beta => "beta",
    };
    match &settings.provider {
        Provider::Remote { name, config } => printer.note(&format!(
            "provider {name}: {} ({dialect} dialect)",
            config.target().redacted_url()
        )),
        Provider::Local { model, reason } => {
            let why = match reason {
                LocalReason::Asked => "--provider local",
                LocalReason::NoCredentials => "no OpenAI/Azure credentials found",
            };
            printer.note(&format!(
                "{why}: using the built-in local server (model {model}, {dialect} dialect)"
            ));
        }
    }
    Err(CliError::usage("`rtclient send` cannot stream yet")
        .hint("the streaming loop lands with the typed client; use `rtclient serve` and `rtclient inspect` meanwhile"))
}
