//! The streaming loop of `send` on the typed [`rtclient::RealtimeClient`]: configure the session,
//! stream the files, print (or `--json`) every received event, save reply audio and
//! transcripts, record the session log, and wait for the final response of every turn.
//!
//! A turn is done when no response is in progress, every committed turn has had its response,
//! and (with VAD) the server has been quiet for [`SETTLE`] after the audio ended. With VAD off each
//! file is appended, committed and answered, one response at a time (the service refuses a
//! `response.create` while a response is in progress): the loop waits for one `response.done`
//! per file.

use std::collections::HashMap;
use std::fs::File;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rtclient::{EventSender, RawEvent, RealtimeClient};
use rtclient_audio::{AudioSource, Pacer, WavSink, WireFormat};
use rtclient_protocol::event::server::{SessionCreated, SessionUpdated};
use rtclient_protocol::{
    AudioFormatKind, ClientEvent, Item, Nullable, ResponseStatus, ServerEvent, ServerVad, Session,
    Tool, TurnDetection,
};
use serde_json::Value;

use crate::args::VadArg;
use crate::exit::CliError;
use crate::printer::{Printed, Printer};
use crate::render::Renderer;
use crate::session_log::{Direction, Record};
use crate::settings::SendSettings;

/// Quiet time after the audio ended (VAD on) before the last turn counts as done.
const SETTLE: Duration = Duration::from_secs(3);

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
    /// Input and output tokens.
    pub(crate) tokens: (u64, u64),
}

impl Outcome {
    /// Notes what an error object (of an `error` event or a failed response) says, once.
    fn add_reason(&mut self, error: &Value) {
        let Some(message) = error["message"].as_str() else {
            return;
        };
        let kind = error["type"].as_str().unwrap_or("error");
        let reason = match error["code"].as_str() {
            Some(code) => format!("{kind} ({code}): {message}"),
            None => format!("{kind}: {message}"),
        };
        if !self.reasons.contains(&reason) {
            self.reasons.push(reason);
        }
    }
}

/// The error for a connection that ended before the session was done (`error` is `None` when
/// it ended without one): what ended it, during which response, and what to do.
fn connection_ended(error: Option<rtclient::Error>, response: Option<&str>) -> CliError {
    let mut out = match error {
        None => CliError::connection("the server closed the connection"),
        // The client's own advice ("reconnect") is the hint's job here.
        Some(rtclient::Error::ConnectionLost { source }) => {
            let lost = CliError::connection("the connection was lost without a close frame");
            match &source {
                Some(source) => lost.caused_by(source.as_ref()),
                None => lost,
            }
        }
        Some(error) => CliError::from(error),
    };
    if let Some(id) = response {
        out.message.push_str(&format!(" during response {id}"));
    }
    if out.hint.is_none() {
        out.hint = Some(
            "the server or the network dropped the session; what arrived before was saved; run send again to retry"
                .to_owned(),
        );
    }
    out
}

/// The session log, shared by the sending and receiving halves.
#[derive(Debug, Clone)]
struct Log {
    file: Option<Arc<Mutex<File>>>,
    start: Instant,
}

impl Log {
    fn write(&self, dir: Direction, text: &str) {
        let Some(file) = &self.file else { return };
        let frame: Value = serde_json::from_str(text).unwrap_or(Value::String(text.to_owned()));
        let line = Record {
            t: self.start.elapsed().as_secs_f64(),
            dir,
            frame,
        }
        .to_line();
        if let Ok(mut file) = file.lock() {
            let _ = writeln!(file, "{line}");
        }
    }
}

/// Runs the session on an open connection.
pub(crate) async fn run(
    client: RealtimeClient,
    settings: &SendSettings,
    printer: &Printer,
) -> Result<Outcome, CliError> {
    let start = Instant::now();
    let log = Log {
        file: match &settings.record {
            None => None,
            Some(path) => Some(Arc::new(Mutex::new(File::create(path).map_err(|e| {
                CliError::usage(format!("{}: cannot create the session log", path.display()))
                    .caused_by(&e)
            })?))),
        },
        start,
    };
    let (sender, mut receiver) = client.split();
    let progress = progress_bar(printer);
    // Responses asked for and not done yet: with VAD off, a file's turn waits until there are
    // none, since the service refuses a response.create while another response is in progress.
    let open_responses = Arc::new(tokio::sync::watch::Sender::new(0usize));
    let plan = Plan {
        update: session_update(settings)?,
        files: settings.files.clone(),
        pace: settings.pace,
        vad: settings.session.vad,
        open_responses: Arc::clone(&open_responses),
        reply_timeout: settings.reply_timeout,
    };
    let answer_sender = sender.clone();
    let sending = tokio::spawn(send_all(sender, plan, log.clone(), progress.clone()));
    let mut call_names: HashMap<String, String> = HashMap::new();
    let mut answers: Vec<ClientEvent> = Vec::new();
    let mut sending = Some(sending);
    let mut sender: Option<EventSender> = None;
    let mut send_failed: Option<(CliError, Instant)> = None;
    let mut sent_at: Option<Instant> = None;
    let mut outcome = Outcome::default();
    let mut renderer = Renderer::new();
    let mut in_progress = 0usize;
    // The response being streamed, to say where a lost connection cut in.
    let mut current: Option<String> = None;
    let mut wavs: HashMap<String, WavSink> = HashMap::new();
    let mut turn_end: Option<Instant> = None;
    // The output audio format the server announced (PCM16 24 kHz until told otherwise).
    let mut out_format = WireFormat::default();
    let mut expected = if settings.session.vad == VadArg::None {
        settings.files.len()
    } else {
        0
    };
    let mut last_event = Instant::now();
    // Ctrl-C stops streaming but still saves what arrived and closes the session cleanly.
    let interrupted = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let on_signal = Arc::clone(&interrupted);
    let signal_task = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_signal.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    });
    loop {
        if interrupted.load(std::sync::atomic::Ordering::SeqCst) {
            if let Some(task) = sending.take() {
                task.abort();
            }
            break;
        }
        if let Some(task) = &mut sending
            && task.is_finished()
        {
            let task = sending.take();
            if let Some(task) = task {
                match task.await {
                    Ok(Ok(done)) => {
                        sent_at = Some(Instant::now());
                        sender = Some(done);
                    }
                    // The receiver usually knows why (an `error` event, a close code):
                    // keep reading briefly before reporting the sending side's view.
                    Ok(Err(e)) if e.status == crate::exit::Status::Connection => {
                        send_failed = Some((e, Instant::now()));
                    }
                    Ok(Err(e)) => return Err(e),
                    Err(e) => {
                        return Err(CliError::failure("the sending task failed").caused_by(&e));
                    }
                }
            }
        }
        if let Some((_, at)) = &send_failed
            && at.elapsed() > Duration::from_secs(2)
            && let Some((error, _)) = send_failed.take()
        {
            return Err(error);
        }
        if let Some(sent) = sent_at {
            let quiet = last_event.max(sent).elapsed();
            let enough = if expected > 0 {
                outcome.responses >= expected
            } else {
                outcome.responses > 0 && quiet >= SETTLE
            };
            // An error the service will not answer further (e.g. a rejected commit) ends the
            // wait too; the summary turns it into exit 1.
            let stuck_on_error = outcome.errors > 0 && quiet >= SETTLE;
            if in_progress == 0 && (enough || stuck_on_error) {
                break;
            }
            if quiet >= settings.reply_timeout {
                return Err(CliError::failure(format!(
                    "no reply from the server for {} s after the audio was sent",
                    settings.reply_timeout.as_secs()
                ))
                .hint("raise --reply-timeout for a slow service"));
            }
        }
        let next = tokio::time::timeout(Duration::from_millis(200), receiver.recv_raw()).await;
        let RawEvent { text, event } = match next {
            Err(_) => continue,
            Ok(Ok(Some(raw))) => raw,
            Ok(Err(rtclient::Error::BinaryFrame { len })) => {
                printer.warn(&format!("ignored a binary frame of {len} bytes"));
                continue;
            }
            Ok(ended) => {
                progress.finish_and_clear();
                if !settings.json {
                    for line in renderer.flush() {
                        printer.out(&line);
                    }
                }
                for (item, sink) in wavs.drain() {
                    finish_wav(item, sink, settings, &mut outcome)?;
                }
                crate::send::print_summary(&outcome, printer);
                return Err(connection_ended(ended.err(), current.as_deref()));
            }
        };
        last_event = Instant::now();
        log.write(Direction::Received, &text);
        let event = match event {
            Ok(event) => event,
            Err(e) => {
                printer.warn(&format!("could not parse a server event: {e}"));
                continue;
            }
        };
        let printed = progress.suspend(|| {
            if settings.json {
                printer.out(&text)
            } else {
                let ga = serde_json::to_value(&event).unwrap_or(Value::Null);
                let mut printed = Printed::Ok;
                for line in renderer.push(Direction::Received, event.kind(), &ga) {
                    printed = printer.out(&line);
                }
                printed
            }
        });
        if printed == Printed::Closed {
            return Ok(outcome);
        }
        match &event {
            ServerEvent::ResponseCreated(created) => {
                in_progress += 1;
                current.clone_from(&created.response.id);
            }
            ServerEvent::ResponseDone(done) => {
                in_progress = in_progress.saturating_sub(1);
                current = None;
                outcome.responses += 1;
                if done.response.status == Some(ResponseStatus::Failed) {
                    outcome.failed += 1;
                    let error = done
                        .response
                        .status_details
                        .as_ref()
                        .and_then(Nullable::value)
                        .and_then(|details| details.error.as_ref());
                    if let Some(error) = error {
                        outcome.add_reason(error);
                    }
                }
                if let Some(usage) = done.response.usage.as_ref().and_then(Nullable::value) {
                    outcome.tokens.0 += usage.input_tokens.unwrap_or(0);
                    outcome.tokens.1 += usage.output_tokens.unwrap_or(0);
                }
                for (item, sink) in wavs.drain() {
                    finish_wav(item, sink, settings, &mut outcome)?;
                }
                // Answer the function calls of this response, then ask for the next one.
                if !answers.is_empty() {
                    for item in answers.drain(..) {
                        send_event(&answer_sender, &log, item).await?;
                    }
                    open_responses.send_modify(|open| *open += 1);
                    send_event(&answer_sender, &log, ClientEvent::create_response()).await?;
                    expected += 1;
                }
                // Only now, so the next file's turn cannot slip in before the answer's response.
                open_responses.send_modify(|open| *open = open.saturating_sub(1));
            }
            ServerEvent::ResponseOutputItemAdded(added) => {
                if let (Some(call), Some(name)) = (&added.item.call_id, &added.item.name) {
                    call_names.insert(call.clone(), name.clone());
                }
            }
            ServerEvent::ResponseFunctionCallArgumentsDone(call) => {
                let name = call
                    .name
                    .clone()
                    .or_else(|| call_names.get(&call.call_id).cloned())
                    .unwrap_or_default();
                match settings.session.tool_outputs.get(&name) {
                    Some(output) => {
                        let output = match output {
                            Value::String(text) => text.clone(),
                            other => other.to_string(),
                        };
                        answers.push(ClientEvent::create_item(Item::function_call_output(
                            call.call_id.clone(),
                            output,
                        )));
                    }
                    None => progress.suspend(|| {
                        printer.note(&format!(
                            "function call {name}({}) left unanswered: add \"{name}\" to a --tool-outputs file to answer it",
                            call.arguments
                        ))
                    }),
                }
            }
            ServerEvent::SessionCreated(SessionCreated { session, .. })
            | ServerEvent::SessionUpdated(SessionUpdated { session, .. }) => {
                if let Some(format) = output_format(session) {
                    out_format = format;
                }
            }
            ServerEvent::Error(event) => {
                outcome.errors += 1;
                outcome.add_reason(&serde_json::to_value(&event.error).unwrap_or(Value::Null));
            }
            ServerEvent::InputAudioBufferSpeechStopped(_)
            | ServerEvent::InputAudioBufferCommitted(_) => {
                turn_end.get_or_insert_with(Instant::now);
            }
            ServerEvent::ResponseOutputAudioDelta(d) => {
                if let Some(end) = turn_end.take() {
                    outcome.latencies.push(end.elapsed());
                }
                if !wavs.contains_key(&d.item_id) {
                    std::fs::create_dir_all(&settings.out).map_err(|e| {
                        CliError::usage(format!(
                            "{}: cannot create the output directory",
                            settings.out.display()
                        ))
                        .caused_by(&e)
                    })?;
                    let path = settings.out.join(format!("{}.wav", safe_name(&d.item_id)));
                    let sink = WavSink::create(&path, out_format).map_err(|e| {
                        CliError::usage(format!("{}: cannot write", path.display())).caused_by(&e)
                    })?;
                    wavs.insert(d.item_id.clone(), sink);
                }
                if let Some(sink) = wavs.get_mut(&d.item_id) {
                    sink.push_base64(&d.delta).map_err(|e| {
                        CliError::failure("the server sent audio that does not decode")
                            .caused_by(&e)
                    })?;
                }
            }
            ServerEvent::ResponseOutputAudioTranscriptDone(d) => {
                write_text(&d.item_id, &d.transcript, settings, &mut outcome)?;
            }
            ServerEvent::ConversationItemInputAudioTranscriptionCompleted(d) => {
                write_text(&d.item_id, &d.transcript, settings, &mut outcome)?;
            }
            _ => {}
        }
    }
    progress.finish_and_clear();
    if !settings.json {
        for line in renderer.flush() {
            printer.out(&line);
        }
    }
    for (item, sink) in wavs.drain() {
        finish_wav(item, sink, settings, &mut outcome)?;
    }
    signal_task.abort();
    let _ = sender
        .as_ref()
        .unwrap_or(&answer_sender)
        .close(1000, "done")
        .await;
    if interrupted.load(std::sync::atomic::Ordering::SeqCst) {
        return Err(CliError::failure("interrupted").hint(format!(
            "{} responses finished; the audio and transcripts received so far were saved",
            outcome.responses
        )));
    }
    Ok(outcome)
}

/// The wire format of a session's `audio.output.format`; G.711 is decoded to PCM16 WAV.
fn output_format(session: &Session) -> Option<WireFormat> {
    let format = session.audio.as_ref()?.output.as_ref()?.format.as_ref()?;
    match format.kind.as_ref()? {
        AudioFormatKind::Pcmu => Some(WireFormat::G711Ulaw),
        AudioFormatKind::Pcma => Some(WireFormat::G711Alaw),
        AudioFormatKind::Pcm => Some(WireFormat::Pcm16 {
            rate: format.rate.unwrap_or(24_000),
        }),
        AudioFormatKind::Other(_) => None,
    }
}

/// A progress bar over the audio sent, in ms, on stderr; hidden unless the printer allows it.
fn progress_bar(printer: &Printer) -> ProgressBar {
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

fn safe_name(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn finish_wav(
    item: String,
    sink: WavSink,
    settings: &SendSettings,
    outcome: &mut Outcome,
) -> Result<(), CliError> {
    sink.finish()
        .map_err(|e| CliError::failure(format!("cannot finish the WAV of {item}")).caused_by(&e))?;
    outcome
        .files
        .push(settings.out.join(format!("{}.wav", safe_name(&item))));
    Ok(())
}

fn write_text(
    item: &str,
    text: &str,
    settings: &SendSettings,
    outcome: &mut Outcome,
) -> Result<(), CliError> {
    std::fs::create_dir_all(&settings.out).map_err(|e| {
        CliError::usage(format!(
            "{}: cannot create the output directory",
            settings.out.display()
        ))
        .caused_by(&e)
    })?;
    let path = settings.out.join(format!("{}.txt", safe_name(item)));
    std::fs::write(&path, format!("{text}\n"))
        .map_err(|e| CliError::usage(format!("{}: cannot write", path.display())).caused_by(&e))?;
    outcome.files.push(path);
    Ok(())
}

/// The `session.update` built from the settings.
fn session_update(settings: &SendSettings) -> Result<ClientEvent, CliError> {
    let s = &settings.session;
    let mut session = Session::realtime();
    if let Some(text) = &s.instructions {
        session = session.instructions(text.clone());
    }
    if let Some(voice) = &s.voice {
        session = session.voice(voice.as_str());
    }
    session = match s.vad {
        VadArg::Server => {
            let d = ServerVad::default();
            session.server_vad(ServerVad {
                threshold: s.threshold.unwrap_or(d.threshold),
                prefix_padding_ms: s.prefix_padding_ms.map_or(d.prefix_padding_ms, u64::from),
                silence_duration_ms: s.silence_ms.map_or(d.silence_duration_ms, u64::from),
                ..d
            })
        }
        VadArg::Semantic => session.semantic_vad(rtclient_protocol::Eagerness::Auto),
        VadArg::None => session.turn_detection(None::<TurnDetection>),
    };
    if let Some(model) = &s.transcribe {
        session = session.input_transcription(Some(model));
    }
    if !s.tools.is_empty() {
        let tools = s
            .tools
            .iter()
            .map(|t| serde_json::from_value::<Tool>(t.clone()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| {
                CliError::usage("a --tool definition is not a valid tool").caused_by(&e)
            })?;
        session = session.tools(tools);
    }
    Ok(ClientEvent::session_update(session))
}

/// Encodes one client event in the connection's dialect (with an `event_id`), records it and
/// sends it.
async fn send_event(sender: &EventSender, log: &Log, event: ClientEvent) -> Result<(), CliError> {
    let encoded = sender
        .encode(event)
        .map_err(|e| CliError::failure("could not write an event").caused_by(&e))?;
    log.write(Direction::Sent, &encoded.text);
    sender.send_text(encoded.text).await.map_err(CliError::from)
}

/// What the sending half sends.
#[derive(Debug)]
struct Plan {
    update: ClientEvent,
    files: Vec<PathBuf>,
    pace: rtclient_audio::Pace,
    vad: VadArg,
    /// Responses asked for and not done yet (see [`run`]).
    open_responses: Arc<tokio::sync::watch::Sender<usize>>,
    /// How long a turn waits for the previous response to finish.
    reply_timeout: Duration,
}

/// Sends the session update, then every file (and with VAD off: commit and response.create
/// after each file, once the previous file's response is done; with VAD on: trailing silence
/// so the last turn ends).
async fn send_all(
    sender: EventSender,
    plan: Plan,
    log: Log,
    progress: ProgressBar,
) -> Result<EventSender, CliError> {
    let Plan {
        update,
        files,
        pace,
        vad,
        open_responses,
        reply_timeout,
    } = plan;
    let send = |event: ClientEvent| send_event(&sender, &log, event);
    send(update).await?;
    let mut pacer =
        Pacer::new(pace).map_err(|e| CliError::usage("invalid --pace").caused_by(&e))?;
    let mut offset = Duration::ZERO;
    for file in files {
        let open_error = |e: rtclient_audio::Error| {
            CliError::usage(format!("{}: cannot use this input file", file.display())).caused_by(&e)
        };
        let chunks = AudioSource::open(&file)
            .and_then(|s| s.to_wire(WireFormat::default()))
            .and_then(|w| w.chunks(rtclient_audio::DEFAULT_CHUNK))
            .map_err(open_error)?;
        let base = offset;
        if let Some(total) = chunks.total_duration() {
            let length = progress.length().unwrap_or(0);
            progress.set_length(length + total.as_millis() as u64);
        }
        for chunk in chunks {
            let chunk = chunk.map_err(open_error)?;
            pacer.wait_until(base + chunk.end()).await;
            offset = base + chunk.end();
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
            send(ClientEvent::create_response()).await?;
        }
    }
    if vad != VadArg::None {
        // One second of silence lets the detector end the last turn.
        let silence = vec![0u8; 48_000];
        for piece in silence.chunks(4_800) {
            offset += Duration::from_millis(100);
            pacer.wait_until(offset).await;
            send(ClientEvent::append_audio(piece)).await?;
        }
    }
    Ok(sender)
}

#[cfg(test)]
mod tests {
    use rtclient_protocol::AudioFormat;

    use super::*;

    #[test]
    fn output_format_follows_the_session() {
        let with = |format: AudioFormat| output_format(&Session::realtime().output_format(format));
        assert_eq!(with(AudioFormat::pcmu()), Some(WireFormat::G711Ulaw));
        assert_eq!(with(AudioFormat::pcma()), Some(WireFormat::G711Alaw));
        assert_eq!(
            with(AudioFormat::pcm()),
            Some(WireFormat::Pcm16 { rate: 24_000 })
        );
        assert_eq!(output_format(&Session::realtime()), None);
    }
}
