//! The streaming loop of `send` on a [`Conversation`]: configure the session, stream the files,
//! print (or `--json`) every received frame, save reply audio and transcripts, record the
//! session log, and wait for the final response of every turn.
//!
//! One task sends (the session update, then the files); the loop selects over the
//! conversation's events, the sending task, Ctrl-C and the deadlines below. The conversation
//! keeps the turn, function call and per-item audio state; its frame hook records the session
//! log and gives the frames to print, as they were on the wire.
//!
//! A turn is done when no response is in progress, every committed turn has had its response
//! started (with VAD, the service creates one for each turn it commits), and (with VAD) the
//! server has been quiet for [`SETTLE`] after the audio ended. With VAD off
//! each file is appended, committed and answered, one response at a time: the sending task
//! waits until the previous file's response (and its tool round) ended.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use indicatif::ProgressBar;
use rtclient::{
    Conversation, ConversationEvent, ConversationHandle, Dialect, RealtimeClient, ResponseOutcome,
    TurnStart,
};
use rtclient_audio::{WavSink, WireFormat};
use rtclient_protocol::{AudioFormatKind, Item, ServerEvent, Session};
use serde_json::Value;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::args::VadArg;
use crate::exit::CliError;
use crate::frames::{Frames, frame_hook, take_frames};
use crate::outcome::Outcome;
use crate::printer::{Printed, Printer};
use crate::render::{Event, Renderer};
use crate::session_log::{Direction, Log};
use crate::settings::SendSettings;
use crate::upload::{self, Plan};

/// Quiet time after the audio ended (VAD on) before the last turn counts as done.
const SETTLE: Duration = Duration::from_secs(3);

/// How long the receiver may explain a failed send (an `error` event, a close code) before the
/// sending side's error is reported.
const EXPLAIN: Duration = Duration::from_secs(2);

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

/// Runs the session on an open connection.
pub(crate) async fn run(
    client: RealtimeClient,
    settings: &SendSettings,
    printer: &Printer,
) -> Result<Outcome, CliError> {
    let log = Log::create(settings.record.as_deref())?;
    let dialect = client.dialect();
    let (mut conversation, frames) = observed(client, log);
    let progress = upload::progress_bar(printer);
    // Responses asked for and not done yet: with VAD off, a file's turn waits until there are
    // none, so it cannot slip in before the previous turn's tool round.
    let open_responses = Arc::new(tokio::sync::watch::Sender::new(0usize));
    let plan = Plan {
        update: settings.session.session_update()?,
        files: settings.files.clone(),
        pace: settings.pace,
        vad: settings.session.turn.vad,
        open_responses: Arc::clone(&open_responses),
        reply_timeout: settings.reply_timeout,
    };
    let commands = conversation.handle().clone();
    let sending = tokio::spawn(upload::send_all(commands.clone(), plan, progress.clone()));
    let mut turn = Turn {
        settings,
        printer,
        progress: &progress,
        renderer: Renderer::new(),
        dialect,
        frames,
        commands,
        open_responses,
        outcome: Outcome::default(),
        wavs: HashMap::new(),
        transcripts: HashMap::new(),
        answers: Vec::new(),
        out_format: WireFormat::default(),
        expected: if settings.session.turn.vad == VadArg::None {
            settings.files.len()
        } else {
            0
        },
        sent_at: None,
        last_event: Instant::now(),
        awaiting_response: false,
    };
    let ended = turn.drive(&mut conversation, sending).await;
    progress.finish_and_clear();
    turn.flush();
    let ended = match ended {
        Ok(ended) => ended,
        Err(error) => {
            turn.finish_items()?;
            return Err(error);
        }
    };
    turn.finish_items()?;
    match ended {
        Ended::Done => {
            let _ = conversation.close(1000, "done").await;
            Ok(turn.outcome)
        }
        Ended::OutputClosed => Ok(turn.outcome),
        Ended::Interrupted => {
            let _ = conversation.close(1000, "done").await;
            Err(CliError::failure("interrupted").hint(format!(
                "{} responses finished; the audio and transcripts received so far were saved",
                turn.outcome.responses
            )))
        }
        Ended::Connection(error) => {
            crate::outcome::print_summary(&turn.outcome, printer);
            let response = conversation.state().active_response().map(str::to_owned);
            Err(connection_ended(error, response.as_deref()))
        }
    }
}

/// A conversation on `client` whose frames go to `log`, and the received ones also to the
/// returned queue for printing.
fn observed(client: RealtimeClient, log: Log) -> (Conversation, Frames) {
    let mut conversation = Conversation::new(client);
    let (hook, frames) = frame_hook(log);
    conversation.observe_frames(hook);
    (conversation, frames)
}

/// How the loop ended.
#[derive(Debug)]
enum Ended {
    /// Every turn had its final response.
    Done,
    /// Standard output was closed (a broken pipe): stop quietly.
    OutputClosed,
    /// Ctrl-C.
    Interrupted,
    /// The connection ended first, with this error (`None`: a close without one).
    Connection(Option<rtclient::Error>),
}

/// The loop's state: what to print, save and count, and when the turn is over.
struct Turn<'a> {
    settings: &'a SendSettings,
    printer: &'a Printer,
    progress: &'a ProgressBar,
    renderer: Renderer,
    dialect: Dialect,
    frames: Frames,
    commands: ConversationHandle,
    open_responses: Arc<tokio::sync::watch::Sender<usize>>,
    outcome: Outcome,
    wavs: HashMap<String, WavSink>,
    /// Transcripts of reply items still streaming, by item.
    transcripts: HashMap<String, String>,
    /// Outputs of this response's function calls, sent when it ends.
    answers: Vec<Item>,
    /// The output audio format the server announced (PCM16 24 kHz until told otherwise).
    out_format: WireFormat,
    /// Responses to wait for (VAD off: one per file, plus one per tool round).
    expected: usize,
    /// When the sending task finished.
    sent_at: Option<Instant>,
    last_event: Instant,
    /// Whether server VAD committed a turn whose response has not started yet: the service
    /// creates one for every turn it commits, however long it takes.
    awaiting_response: bool,
}

impl Turn<'_> {
    /// Selects over the conversation, the sending task, Ctrl-C and the deadlines until the
    /// session is done or ends; the sending task is stopped then if it still runs.
    async fn drive(
        &mut self,
        conversation: &mut Conversation,
        mut sending: JoinHandle<Result<(), CliError>>,
    ) -> Result<Ended, CliError> {
        let ended = self.select(conversation, &mut sending).await;
        sending.abort();
        ended
    }

    async fn select(
        &mut self,
        conversation: &mut Conversation,
        sending: &mut JoinHandle<Result<(), CliError>>,
    ) -> Result<Ended, CliError> {
        let mut sent = false;
        let mut send_failed: Option<(CliError, Instant)> = None;
        let ctrl_c = tokio::signal::ctrl_c();
        tokio::pin!(ctrl_c);
        loop {
            if let Some((_, at)) = &send_failed
                && at.elapsed() > EXPLAIN
                && let Some((error, _)) = send_failed.take()
            {
                return Err(error);
            }
            if let Some(ended) = self.settled(conversation)? {
                return Ok(ended);
            }
            let wake = self.next_check(send_failed.as_ref().map(|(_, at)| *at));
            tokio::select! {
                _ = &mut ctrl_c => return Ok(Ended::Interrupted),
                finished = &mut *sending, if !sent => {
                    sent = true;
                    match finished {
                        Ok(Ok(())) => self.sent_at = Some(Instant::now()),
                        // The receiver usually knows why: keep reading briefly.
                        Ok(Err(e)) if e.status == crate::exit::Status::Connection => {
                            send_failed = Some((e, Instant::now()));
                        }
                        Ok(Err(e)) => return Err(e),
                        Err(e) => {
                            return Err(CliError::failure("the sending task failed").caused_by(&e));
                        }
                    }
                }
                () = tokio::time::sleep_until(wake) => {}
                next = conversation.next_event() => {
                    if let Some(ended) = self.received(next).await? {
                        return Ok(ended);
                    }
                }
            }
        }
    }

    /// Takes in one result of the conversation; `Some` when it ended the loop.
    async fn received(
        &mut self,
        next: Result<Option<ConversationEvent>, rtclient::Error>,
    ) -> Result<Option<Ended>, CliError> {
        let printed = self.print_frames();
        match next {
            Ok(Some(event)) => {
                self.last_event = Instant::now();
                if printed == Printed::Closed {
                    return Ok(Some(Ended::OutputClosed));
                }
                self.on_event(event).await?;
                Ok(None)
            }
            Err(error) if error.is_recoverable() => {
                self.progress
                    .suspend(|| self.printer.warn(&skipped(&error)));
                Ok(None)
            }
            Ok(None) => Ok(Some(Ended::Connection(None))),
            Err(error) => Ok(Some(Ended::Connection(Some(error)))),
        }
    }

    /// `Some` when the session is done, or an error when the server stopped answering.
    fn settled(&self, conversation: &Conversation) -> Result<Option<Ended>, CliError> {
        let Some(sent) = self.sent_at else {
            return Ok(None);
        };
        let quiet = self.last_event.max(sent).elapsed();
        let outcome = &self.outcome;
        let enough = if self.expected > 0 {
            outcome.responses >= self.expected
        } else {
            outcome.responses > 0 && quiet >= SETTLE
        };
        // An error the service will not answer further (e.g. a rejected commit) ends the
        // wait too; the summary turns it into exit 1.
        let stuck_on_error = outcome.errors > 0 && quiet >= SETTLE;
        let in_progress =
            self.awaiting_response || conversation.state().active_response().is_some();
        if !in_progress && (enough || stuck_on_error) {
            return Ok(Some(Ended::Done));
        }
        if quiet >= self.settings.reply_timeout {
            return Err(CliError::failure(format!(
                "no reply from the server for {} s after the audio was sent",
                self.settings.reply_timeout.as_secs()
            ))
            .hint("raise --reply-timeout for a slow service"));
        }
        Ok(None)
    }

    /// When to look again at whether the session is done, with no event coming.
    fn next_check(&self, send_failed: Option<Instant>) -> Instant {
        let far = Instant::now() + self.settings.reply_timeout + SETTLE;
        let mut wake = far;
        if let Some(sent) = self.sent_at {
            let quiet_since = self.last_event.max(sent);
            wake = wake
                .min(quiet_since + SETTLE)
                .min(quiet_since + self.settings.reply_timeout);
        }
        if let Some(at) = send_failed {
            wake = wake.min(at + EXPLAIN);
        }
        wake.max(Instant::now() + Duration::from_millis(10))
    }

    /// Prints the frames received since the last call: as they came with `--json`, rendered
    /// otherwise.
    fn print_frames(&mut self) -> Printed {
        let frames = take_frames(&self.frames);
        let mut printed = Printed::Ok;
        for text in frames {
            printed = self.progress.suspend(|| {
                if self.settings.json {
                    return self.printer.out(&text);
                }
                let Ok(event) = self.dialect.parse_server_event(&text) else {
                    return Printed::Ok;
                };
                let mut printed = Printed::Ok;
                for line in self
                    .renderer
                    .push(Direction::Received, Event::Server(&event))
                {
                    printed = self.printer.out(&line);
                }
                printed
            });
            if printed == Printed::Closed {
                break;
            }
        }
        printed
    }

    /// Prints what the renderer still holds (coalesced deltas).
    fn flush(&mut self) {
        if !self.settings.json {
            for line in self.renderer.flush() {
                self.printer.out(&line);
            }
        }
    }

    /// Counts, saves and answers what one event calls for.
    async fn on_event(&mut self, event: ConversationEvent) -> Result<(), CliError> {
        match event {
            ConversationEvent::ResponseDone { outcome, usage, .. } => {
                self.response_done(&outcome, usage.as_ref()).await?
            }
            ConversationEvent::TurnMetrics(metrics) => {
                if metrics.start != TurnStart::ResponseCreated {
                    self.outcome.latencies.extend(metrics.first_audio);
                    self.outcome.text_latencies.extend(metrics.first_text);
                }
                self.outcome.cached_tokens += metrics.usage.cached_tokens;
            }
            ConversationEvent::FunctionCall(call) => {
                match self.settings.session.tool_outputs.get(&call.name) {
                    Some(output) => {
                        let output = match output {
                            Value::String(text) => text.clone(),
                            other => other.to_string(),
                        };
                        self.answers
                            .push(Item::function_call_output(call.call_id, output));
                    }
                    None => self.progress.suspend(|| {
                        self.printer.note(&format!(
                            "function call {}({}) left unanswered: add \"{}\" to a --tool-outputs file to answer it",
                            call.name, call.arguments, call.name
                        ));
                    }),
                }
            }
            ConversationEvent::InputCommitted { .. } => {
                self.awaiting_response = self.settings.session.turn.vad != VadArg::None;
            }
            ConversationEvent::ResponseStarted { .. } => self.awaiting_response = false,
            ConversationEvent::SessionCreated(session)
            | ConversationEvent::SessionUpdated(session) => {
                if let Some(format) = output_format(&session) {
                    self.out_format = format;
                }
            }
            ConversationEvent::Error(error) => {
                // It may be why no response comes; the wait then ends as for any error.
                self.awaiting_response = false;
                self.outcome.errors += 1;
                self.outcome.add_reason(&error);
            }
            ConversationEvent::AudioDelta { item_id, audio, .. } => {
                self.save_audio(&item_id, &audio)?
            }
            ConversationEvent::AudioTranscriptDelta { item_id, delta, .. } => {
                self.transcripts
                    .entry(item_id)
                    .or_default()
                    .push_str(&delta);
            }
            ConversationEvent::Other(ServerEvent::ResponseOutputAudioTranscriptDone(done)) => {
                self.transcripts.remove(&done.item_id);
                self.write_text(&done.item_id, &done.transcript)?;
            }
            ConversationEvent::InputTranscriptCompleted {
                item_id,
                transcript,
            } => {
                self.write_text(&item_id, &transcript)?;
            }
            _ => {}
        }
        Ok(())
    }

    /// A response ended: count it, close its WAV files, and answer its function calls with one
    /// follow-up response.
    async fn response_done(
        &mut self,
        outcome: &ResponseOutcome,
        usage: Option<&rtclient_protocol::Usage>,
    ) -> Result<(), CliError> {
        self.outcome.responses += 1;
        if let ResponseOutcome::Failed { error } = outcome {
            self.outcome.failed += 1;
            if let Some(error) = error {
                self.outcome.add_reason(error);
            }
        }
        if let Some(usage) = usage {
            self.outcome.tokens.0 += usage.input_tokens.unwrap_or(0);
            self.outcome.tokens.1 += usage.output_tokens.unwrap_or(0);
        }
        self.finish_items()?;
        if !self.answers.is_empty() {
            for item in std::mem::take(&mut self.answers) {
                self.commands.add_item(item).await?;
            }
            self.open_responses.send_modify(|open| *open += 1);
            self.commands.create_response(None).await?;
            self.expected += 1;
        }
        // Only now, so the next file's turn cannot slip in before the answer's response.
        self.open_responses
            .send_modify(|open| *open = open.saturating_sub(1));
        Ok(())
    }

    fn save_audio(&mut self, item_id: &str, audio: &[u8]) -> Result<(), CliError> {
        if !self.wavs.contains_key(item_id) {
            let path = self.out_path(item_id, "wav")?;
            let sink = WavSink::create(&path, self.out_format).map_err(|e| {
                CliError::usage(format!("{}: cannot write", path.display())).caused_by(&e)
            })?;
            self.wavs.insert(item_id.to_owned(), sink);
        }
        if let Some(sink) = self.wavs.get_mut(item_id) {
            sink.push_wire(audio)
                .map_err(|e| CliError::failure("cannot write the reply audio").caused_by(&e))?;
        }
        Ok(())
    }

    /// Closes the WAV files of the items so far, and writes the transcript of each reply cut
    /// before its transcript ended (a dropped connection): what was said of it.
    fn finish_items(&mut self) -> Result<(), CliError> {
        for (item, transcript) in std::mem::take(&mut self.transcripts) {
            self.write_text(&item, &transcript)?;
        }
        for (item, sink) in self.wavs.drain() {
            sink.finish().map_err(|e| {
                CliError::failure(format!("cannot finish the WAV of {item}")).caused_by(&e)
            })?;
            self.outcome
                .files
                .push(self.settings.out.join(format!("{}.wav", safe_name(&item))));
        }
        Ok(())
    }

    fn write_text(&mut self, item: &str, text: &str) -> Result<(), CliError> {
        let path = self.out_path(item, "txt")?;
        std::fs::write(&path, format!("{text}\n")).map_err(|e| {
            CliError::usage(format!("{}: cannot write", path.display())).caused_by(&e)
        })?;
        self.outcome.files.push(path);
        Ok(())
    }

    /// `OUT/ITEM.extension`, creating the output directory.
    fn out_path(&self, item: &str, extension: &str) -> Result<PathBuf, CliError> {
        let out = &self.settings.out;
        std::fs::create_dir_all(out).map_err(|e| {
            CliError::usage(format!(
                "{}: cannot create the output directory",
                out.display()
            ))
            .caused_by(&e)
        })?;
        Ok(out.join(format!("{}.{extension}", safe_name(item))))
    }
}

/// The warning for a frame the conversation skipped.
fn skipped(error: &rtclient::Error) -> String {
    match error {
        rtclient::Error::BinaryFrame { len } => format!("ignored a binary frame of {len} bytes"),
        other => format!("could not parse a server event: {other}"),
    }
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
