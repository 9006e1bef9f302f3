//! The sending half of `send`: the session update, then every file in chunks (paced), with a
//! commit and a response request per file when VAD is off, or trailing silence when it is on.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rtclient::ConversationHandle;
use rtclient_protocol::ClientEvent;

use crate::args::VadArg;
use crate::exit::CliError;
use crate::input_files::{InputFile, Timeline};
use crate::printer::Printer;

/// A progress bar over the audio sent, in ms, on stderr; hidden unless the printer allows it.
pub(crate) fn progress_bar(printer: &Printer) -> ProgressBar {
    if !printer.show_progress() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} sending {bar:30} {pos}/{len} ms audio ({elapsed})")
    {
        bar.set_style(style);
    }
    bar
}

/// What the sending half sends.
#[derive(Debug)]
pub(crate) struct Plan {
    pub(crate) update: ClientEvent,
    pub(crate) files: Vec<PathBuf>,
    pub(crate) pace: rtclient_audio::Pace,
    pub(crate) vad: VadArg,
    /// Responses asked for and not done yet (see [`crate::stream::run`]).
    pub(crate) open_responses: Arc<tokio::sync::watch::Sender<usize>>,
    /// How long a turn waits for the previous response to finish.
    pub(crate) reply_timeout: Duration,
}

/// Sends the session update, then every file (and with VAD off: commit and response.create
/// after each file, once the previous file's response is done; with VAD on: trailing silence
/// so the last turn ends).
pub(crate) async fn send_all(
    commands: ConversationHandle,
    plan: Plan,
    progress: ProgressBar,
) -> Result<(), CliError> {
    let Plan {
        update,
        files,
        pace,
        vad,
        open_responses,
        reply_timeout,
    } = plan;
    let send = |event: ClientEvent| {
        let commands = commands.clone();
        async move { commands.send(event).await.map(drop).map_err(CliError::from) }
    };
    send(update).await?;
    let mut timeline = Timeline::new(pace)?;
    for file in files {
        let chunks = InputFile::open(&file)?;
        timeline.next_file();
        if let Some(total) = chunks.total_duration() {
            let length = progress.length().unwrap_or(0);
            progress.set_length(length + total.as_millis() as u64);
        }
        for chunk in chunks {
            let chunk = chunk?;
            timeline.wait_for(&chunk).await;
            send(ClientEvent::append_base64(chunk.base64().to_owned())).await?;
            progress.inc(chunk.duration().as_millis() as u64);
        }
        if vad == VadArg::None {
            let mut open = open_responses.subscribe();
            let idle = tokio::time::timeout(reply_timeout, open.wait_for(|open| *open == 0))
                .await
                .is_ok_and(|waited| waited.is_ok());
            if !idle {
                return Err(CliError::failure(format!(
                    "no reply from the server for {} s: the previous response did not finish",
                    reply_timeout.as_secs()
                ))
                .hint("raise --reply-timeout for a slow service"));
            }
            send(ClientEvent::commit()).await?;
            open_responses.send_modify(|open| *open += 1);
            commands.create_response(None).await?;
        }
    }
    if vad != VadArg::None {
        // One second of silence lets the detector end the last turn.
        let silence = vec![0u8; 48_000];
        for piece in silence.chunks(4_800) {
            timeline.wait_for_silence(Duration::from_millis(100)).await;
            send(ClientEvent::append_audio(piece)).await?;
        }
    }
    Ok(())
}
