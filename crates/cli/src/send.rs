//! `rtclient send FILE...`: stream audio files to a Realtime service.
//!
//! Resolves the provider and checks every argument and input file (exit 2 on a problem), says
//! which provider it uses (starting the built-in local server in-process when there are no
//! credentials), connects (exit 3 on a connection or authentication failure), then runs the
//! [streaming loop](crate::stream) on the typed client and prints a summary (exit 1 when the
//! service reported an error or a response failed).

use rtclient::RealtimeClient;

use crate::exit::CliError;
use crate::printer::Printer;
use crate::settings::SendSettings;

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
    let (config, local) = settings
        .connection
        .resolve_target(&settings.engines, printer)
        .await?;
    // Connection and authentication failures end here with exit 3 (the key is never printed).
    let connected = RealtimeClient::connect(&config).await;
    let result = match connected {
        Err(e) => Err(CliError::from(e)),
        Ok(client) => {
            tracing::debug!("connected to {}", config.target().redacted_url());
            crate::stream::run(client, &settings, printer)
                .await
                .and_then(|outcome| crate::outcome::summarize(&outcome, printer))
        }
    };
    if let Some(local) = local {
        local.stop().await;
    }
    result
}
