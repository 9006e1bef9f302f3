//! `rtclient send --api live FILE...`: the sample's job on GPT-Live.
//!
//! Connects to the Live endpoint of the resolved provider (or the built-in local server), sends
//! `session.start`, streams the files like a microphone followed by silence (the Live timeline
//! only advances with input audio), prints transcripts, delegations, acks and errors as they
//! arrive, and once the model has answered after the files and then been quiet for two seconds
//! (or `--reply-timeout` passed since the files ended) closes it with `session.close`. It saves
//! the whole output track as `OUT/SESSION_ID.wav` and both transcripts as
//! `OUT/SESSION_ID.input.txt` and `OUT/SESSION_ID.output.txt`. With `--json` every received
//! event is printed as it was on the wire, one JSON line each, instead of the readable lines;
//! `--record FILE` writes the session log `rtclient inspect` reads (every frame both ways).

use std::path::PathBuf;
use std::time::Duration;

use rtclient::live::{LiveClient, LiveEvent, LiveHandle, LiveSession, SessionEnd};
use rtclient::protocol::live::{ClientEvent, InputAudioAppend, SessionConfig};
use rtclient::{ClientConfig, LiveEndpoint, Target};
use rtclient_audio::{WavSink, WireFormat};
use tokio::time::Instant;

use crate::exit::CliError;
use crate::frames::{Frames, frame_hook, take_frames};
use crate::input_files::{InputFile, Timeline};
use crate::local_server::LocalServer;
use crate::printer::Printer;
use crate::provider::Provider;
use crate::session_log::Log;
use crate::settings::SendSettings;

/// The model when `--model` is not given.
const DEFAULT_MODEL: &str = "gpt-live-1";

/// How long the session must be quiet (no transcript) after the files before it is closed.
const QUIET: Duration = Duration::from_secs(2);

/// Runs `send --api live`.
pub(crate) async fn run(
    settings: SendSettings,
    model: Option<String>,
    printer: &Printer,
) -> Result<(), CliError> {
    let (config, local) = match &settings.connection.provider {
        Provider::Remote { name, config } => {
            let target = live_target(config.target())?;
            printer.note(&format!(
                "provider {name}: {} (GPT-Live)",
                target.redacted_url()
            ));
            (
                ClientConfig::clone(config)
                    .into_builder()
                    .target(target)
                    .build(),
                None,
            )
        }
        Provider::Local { .. } => {
            let local = LocalServer::start(DEFAULT_MODEL, &settings.engines, printer).await?;
            let base = format!("http://{}", local.addr);
            let target = Target::openai_live_at(&base, LiveEndpoint::Sessions)?;
            printer.note(&format!(
                "using the built-in local server at {} (GPT-Live)",
                target.redacted_url()
            ));
            (ClientConfig::builder(target).build(), Some(local))
        }
    };
    let mut session = SessionConfig::new(model.unwrap_or_else(|| DEFAULT_MODEL.to_owned()));
    if let Some(instructions) = &settings.session.instructions {
        session = session.instructions(instructions.as_str());
    }
    if let Some(voice) = &settings.session.voice {
        session = session.voice(voice.as_str());
    }
    let result = start_and_converse(&config, session, &settings, printer).await;
    if let Some(local) = local {
        local.stop().await;
    }
    result
}

/// Connects with the frame hook (session log, `--json` frames), starts and runs the session.
async fn start_and_converse(
    config: &ClientConfig,
    session: SessionConfig,
    settings: &SendSettings,
    printer: &Printer,
) -> Result<(), CliError> {
    let log = Log::create(settings.record.as_deref())?;
    let (hook, frames) = frame_hook(log);
    let client = LiveClient::connect(config).await?.observed(hook);
    let started = LiveSession::start_on(client, session).await;
    let out = Output {
        printer,
        frames,
        json: settings.json,
    };
    out.print_frames();
    converse(started?, settings, &out).await
}

/// Where `send --api live` prints: readable lines, or the received frames with `--json`.
struct Output<'a> {
    printer: &'a Printer,
    frames: Frames,
    json: bool,
}

impl Output<'_> {
    /// Prints the frames received so far (with `--json`; otherwise they are dropped).
    fn print_frames(&self) {
        for frame in take_frames(&self.frames) {
            if self.json {
                self.printer.out(&frame);
            }
        }
    }

    /// Prints a readable line for `event` (without `--json`), after the frames so far.
    fn event(&self, event: &LiveEvent) {
        self.print_frames();
        if !self.json
            && let Some(line) = describe(event)
        {
            self.printer.out(&line);
        }
    }
}

/// The Live endpoint at the same host as a resolved Realtime target.
fn live_target(target: &Target) -> Result<Target, CliError> {
    let url = target.url();
    if url.path().contains("/live") {
        return Ok(target.clone());
    }
    let mut origin = url.clone();
    origin.set_path("");
    origin.set_query(None);
    let origin = origin.as_str();
    Ok(if target.kind().is_azure() {
        Target::azure_live(origin, LiveEndpoint::Sessions)?
    } else {
        Target::openai_live_at(origin, LiveEndpoint::Sessions)?
    })
}

/// Streams the files, prints the events, closes, saves the output.
async fn converse(
    mut live: LiveSession,
    settings: &SendSettings,
    out: &Output<'_>,
) -> Result<(), CliError> {
    let printer = out.printer;
    let id = live.session().map(|s| s.id.clone()).unwrap_or_default();
    printer.note(&format!("session {id} started"));
    std::fs::create_dir_all(&settings.out).map_err(|e| {
        CliError::usage(format!("{}: cannot create", settings.out.display())).caused_by(&e)
    })?;
    let wav_path = settings.out.join(format!("{id}.wav"));
    let mut wav = WavSink::create(&wav_path, WireFormat::default()).map_err(|e| {
        CliError::usage(format!("{}: cannot write", wav_path.display())).caused_by(&e)
    })?;
    let (done_tx, done_rx) = tokio::sync::watch::channel(false);
    let mic = tokio::spawn(microphone(
        live.handle(),
        settings.files.clone(),
        settings.pace,
        done_tx,
    ));
    let errors = receive(&mut live, settings, &mut wav, &wav_path, done_rx, out).await?;
    mic.abort();
    let input = live.input_transcript().to_owned();
    let output = live.output_transcript().to_owned();
    let end = live.close().await;
    out.print_frames();
    let end = end?;
    wav.finish().map_err(|e| {
        CliError::failure(format!("{}: cannot write", wav_path.display())).caused_by(&e)
    })?;
    let files = save_transcripts(&settings.out, &id, &input, &output)?;
    summarize(&end, &wav_path, &files, printer);
    if errors.is_empty() {
        Ok(())
    } else {
        let mut error = CliError::failure(format!("the service reported {} errors", errors.len()))
            .hint("see the error events above");
        error.causes = errors;
        Err(error)
    }
}

/// Prints the session's events and records its output track until the model has answered after
/// the files and gone quiet (or `--reply-timeout` passed); returns the error messages seen.
async fn receive(
    live: &mut LiveSession,
    settings: &SendSettings,
    wav: &mut WavSink,
    wav_path: &std::path::Path,
    mut done_rx: tokio::sync::watch::Receiver<bool>,
    out: &Output<'_>,
) -> Result<Vec<String>, CliError> {
    let mut errors = Vec::new();
    let mut last_heard = Instant::now();
    let mut files_done_at: Option<Instant> = None;
    // Whether the model said something since the files ended: the reply to the last turn.
    let mut replied = false;
    loop {
        if files_done_at.is_none() && *done_rx.borrow_and_update() {
            files_done_at = Some(Instant::now());
        }
        let finished = files_done_at.is_some_and(|at| {
            (replied && last_heard.elapsed() >= QUIET) || at.elapsed() >= settings.reply_timeout
        });
        if finished {
            break;
        }
        let event = tokio::time::timeout(Duration::from_millis(200), live.next_event()).await;
        match event {
            Err(_) => {}
            Ok(Ok(Some(event))) => {
                if matches!(
                    event,
                    LiveEvent::InputTranscript(_) | LiveEvent::OutputTranscript(_)
                ) {
                    last_heard = Instant::now();
                }
                if matches!(event, LiveEvent::OutputTranscript(_)) && files_done_at.is_some() {
                    replied = true;
                }
                if let LiveEvent::OutputAudio(audio) = &event {
                    wav.push_wire(&audio.data).map_err(|e| {
                        CliError::failure(format!("{}: cannot write", wav_path.display()))
                            .caused_by(&e)
                    })?;
                }
                if let LiveEvent::Error(error) = &event {
                    errors.push(error.message.clone());
                }
                out.event(&event);
            }
            Ok(Ok(None)) => break,
            Ok(Err(e)) if e.is_recoverable() => out.printer.warn(&e.to_string()),
            Ok(Err(e)) => return Err(CliError::from(e)),
        }
    }
    Ok(errors)
}

/// Streams every file at `pace`, then silence for as long as the session runs (the Live
/// timeline only advances with input audio); says when the files are done.
async fn microphone(
    handle: LiveHandle,
    files: Vec<PathBuf>,
    pace: rtclient_audio::Pace,
    done: tokio::sync::watch::Sender<bool>,
) -> Result<(), CliError> {
    let mut timeline = Timeline::new(pace)?;
    for file in files {
        let chunks = InputFile::open(&file)?;
        timeline.next_file();
        for chunk in chunks {
            let chunk = chunk?;
            timeline.wait_for(&chunk).await;
            let append = InputAudioAppend {
                audio: chunk.base64().to_owned(),
                ..Default::default()
            };
            handle.send(ClientEvent::from(append)).await?;
        }
    }
    let _ = done.send(true);
    // Silence like an open microphone, always at real time.
    let mut real_time = Timeline::new(rtclient_audio::Pace::RealTime)?;
    let silence = vec![0u8; 4_800];
    loop {
        real_time.wait_for_silence(Duration::from_millis(100)).await;
        handle.send_audio(&silence).await?;
    }
}

/// One readable line for an event worth printing.
fn describe(event: &LiveEvent) -> Option<String> {
    Some(match event {
        LiveEvent::InputTranscript(t) => format!("[{} ms] user: {}", t.start_ms, t.text.trim()),
        LiveEvent::OutputTranscript(t) => {
            format!("[{} ms] assistant: {}", t.start_ms, t.text.trim())
        }
        LiveEvent::Delegation(task) => format!(
            "[{} ms] delegation {} ({}): {}",
            task.offset_ms, task.id, task.target, task.request
        ),
        LiveEvent::Appended { kind, start_ms, .. } => format!("[{start_ms} ms] {kind:?} appended"),
        LiveEvent::Usage(usage) => format!("usage: {} s", usage.seconds),
        LiveEvent::Error(error) => format!(
            "error {}: {}",
            error.code.value().map_or("(no code)", String::as_str),
            error.message
        ),
        LiveEvent::Muted => "input muted".to_owned(),
        LiveEvent::Unmuted => "input unmuted".to_owned(),
        LiveEvent::Other(other) => format!("{} event", other.kind()),
        _ => return None,
    })
}

/// Writes both transcripts; returns the files written.
fn save_transcripts(
    out: &std::path::Path,
    id: &str,
    input: &str,
    output: &str,
) -> Result<Vec<PathBuf>, CliError> {
    let mut files = Vec::new();
    for (which, text) in [("input", input), ("output", output)] {
        let path = out.join(format!("{id}.{which}.txt"));
        std::fs::write(&path, format!("{}\n", text.trim())).map_err(|e| {
            CliError::usage(format!("{}: cannot write", path.display())).caused_by(&e)
        })?;
        files.push(path);
    }
    Ok(files)
}

/// How the session ended and what was written, on stderr.
fn summarize(end: &SessionEnd, wav: &std::path::Path, files: &[PathBuf], printer: &Printer) {
    printer.note(&format!(
        "session closed ({}), {} s billed",
        end.reason, end.usage.seconds
    ));
    printer.note(&format!("wrote {}", wav.display()));
    for file in files {
        printer.note(&format!("wrote {}", file.display()));
    }
}
