//! `rtclient talk`: a live voice conversation on the default microphone and speaker.
//!
//! The provider is chosen as for `send` (the built-in local server without credentials). The
//! microphone's audio is resampled to the session's 24 kHz PCM16 and streamed; server VAD ends
//! each turn. Reply audio is resampled to the speaker's rate and played; the speaker reports
//! what it really played to a [`ReportedPlayback`], so when the user speaks over a reply the
//! conversation truncates it where the user heard it stop, and the rest is dropped. Transcripts
//! print as they stream; `--tool` functions are answered from `--tool-outputs`. Ctrl-C,
//! `--duration` or `--max-turns` end the session.

use std::io::Write;
use std::time::Duration;

use rtclient::{
    Conversation, ConversationEvent, ConversationHandle, ReportedPlayback, Tool, Tools,
};
use rtclient_audio::{Resampler, clip_to_i16};
use serde_json::Value;

use crate::args::{TalkArgs, VadArg};
use crate::audio_io::{Microphone, Speaker};
use crate::engines::EngineArgs;
use crate::exit::CliError;
use crate::printer::Printer;
use crate::provider::{self, ConnectionSettings};
use crate::session_options::{SessionFlags, SessionOptions, TurnFlags};

/// The session's audio rate (PCM16 mono, both directions).
const SESSION_RATE: u32 = 24_000;

/// How often the end of the last turn's playback is checked once `--max-turns` is reached.
const DRAIN_POLL: Duration = Duration::from_millis(50);

/// Settings of `rtclient talk`.
#[derive(Debug)]
pub(crate) struct TalkSettings {
    /// Where and how to connect.
    connection: ConnectionSettings,
    /// Session options (server VAD, untuned).
    session: SessionOptions,
    /// The built-in local server's engines.
    engines: EngineArgs,
    /// End after this many answered turns.
    max_turns: Option<u32>,
    /// End after this long.
    duration: Option<Duration>,
}

impl TalkSettings {
    /// Resolves flags, the process environment and `.env` as `send` does.
    pub(crate) fn resolve(args: TalkArgs) -> Result<Self, CliError> {
        let connection = ConnectionSettings::resolve(&args.connection, &provider::environment())?;
        let session = SessionFlags {
            instructions: args.instructions,
            voice: args.voice,
            turn: TurnFlags {
                vad: VadArg::Server,
                threshold: None,
                prefix_padding_ms: None,
                silence_ms: args.silence_ms,
            },
            transcribe: args.transcribe,
            tool: args.tool,
            tool_outputs: args.tool_outputs,
        }
        .read()?;
        Ok(Self {
            connection,
            session,
            engines: args.engines,
            max_turns: args.max_turns,
            duration: args.duration.map(Duration::from_secs),
        })
    }
}

/// Runs `talk` with resolved settings.
pub(crate) async fn run(mut settings: TalkSettings, printer: &Printer) -> Result<(), CliError> {
    let tools = tools(&mut settings.session)?;
    let (config, local) = settings
        .connection
        .resolve_target(&settings.engines, printer)
        .await?;
    let result = async {
        let tracker = ReportedPlayback::new();
        let speaker = Speaker::open(tracker.clone())?;
        let (microphone, captured) = Microphone::open()?;
        let mut conversation = Conversation::connect(&config).await?;
        conversation.set_playback(tracker);
        let handle = conversation.handle().clone();
        handle.send(settings.session.session_update()?).await?;
        if let Some(tools) = tools {
            conversation.set_tools(tools).await?;
        }
        printer.note("listening: speak when you are ready (Ctrl-C ends)");
        let mut talk = Talk {
            printer,
            handle,
            input: Resampler::new(microphone.rate(), SESSION_RATE).map_err(resampling)?,
            speaker,
            output: None,
            speaking: None,
            calls: false,
            turns: 0,
            max_turns: settings.max_turns,
        };
        let ended = talk
            .drive(&mut conversation, captured, settings.duration)
            .await;
        let _ = conversation.close(1000, "done").await;
        ended
    }
    .await;
    if let Some(local) = local {
        local.stop().await;
    }
    result
}

/// The `--tool` definitions as tools the conversation runs, each answered with its
/// `--tool-outputs` entry (an error output when there is none). Takes them out of the
/// options so the session update does not offer them twice.
fn tools(session: &mut SessionOptions) -> Result<Option<Tools>, CliError> {
    let definitions = std::mem::take(&mut session.tools);
    if definitions.is_empty() {
        return Ok(None);
    }
    let mut tools = Tools::new();
    for definition in definitions {
        let Some(name) = definition["name"].as_str().map(str::to_owned) else {
            return Err(CliError::usage("a --tool definition has no \"name\"")
                .hint(r#"e.g. {"type":"function","name":"get_weather","parameters":{...}}"#));
        };
        let description = definition["description"].as_str().unwrap_or_default();
        let parameters = match &definition["parameters"] {
            Value::Null => serde_json::json!({"type": "object", "properties": {}}),
            other => other.clone(),
        };
        let answer = match session.tool_outputs.get(&name) {
            Some(Value::String(text)) => Ok(text.clone()),
            Some(other) => Ok(other.to_string()),
            None => Err(format!(
                "no answer for {name} was configured (--tool-outputs)"
            )),
        };
        tools = tools.tool(Tool::new(name, description, parameters, move |_| {
            let answer = answer.clone();
            async move { answer }
        }));
    }
    Ok(Some(tools))
}

/// The live session's state.
struct Talk<'a> {
    printer: &'a Printer,
    handle: ConversationHandle,
    /// Microphone rate to the session's.
    input: Resampler,
    speaker: Speaker,
    /// The assistant item being played and its resampler to the speaker's rate.
    output: Option<(String, Resampler)>,
    /// The response whose transcript is being printed.
    speaking: Option<String>,
    /// Whether the current response called a function (then its follow-up ends the turn).
    calls: bool,
    /// Turns answered so far.
    turns: u32,
    max_turns: Option<u32>,
}

impl Talk<'_> {
    /// Streams the microphone and handles events until Ctrl-C, the deadline, the last turn
    /// played, or the end of the connection.
    async fn drive(
        &mut self,
        conversation: &mut Conversation,
        mut captured: tokio::sync::mpsc::UnboundedReceiver<Vec<f32>>,
        duration: Option<Duration>,
    ) -> Result<(), CliError> {
        let deadline = async {
            match duration {
                Some(duration) => tokio::time::sleep(duration).await,
                None => std::future::pending().await,
            }
        };
        tokio::pin!(deadline);
        let ctrl_c = tokio::signal::ctrl_c();
        tokio::pin!(ctrl_c);
        let mut drain = tokio::time::interval(DRAIN_POLL);
        loop {
            tokio::select! {
                _ = &mut ctrl_c => break,
                () = &mut deadline => break,
                Some(block) = captured.recv(), if !self.finished() => self.send_audio(&block).await?,
                event = conversation.next_event() => match event {
                    Ok(Some(event)) => self.on_event(event)?,
                    Ok(None) => {
                        return Err(CliError::connection("the server closed the connection"));
                    }
                    Err(error) if error.is_recoverable() => tracing::warn!("{error}"),
                    Err(error) => return Err(CliError::from(error)),
                },
                _ = drain.tick(), if self.finished() => {
                    if self.speaker.is_idle() {
                        break;
                    }
                }
            }
        }
        self.end_line();
        Ok(())
    }

    /// Whether `--max-turns` turns were answered.
    fn finished(&self) -> bool {
        self.max_turns.is_some_and(|max| self.turns >= max)
    }

    /// Resamples a microphone block to the session's PCM16 and appends it.
    async fn send_audio(&mut self, block: &[f32]) -> Result<(), CliError> {
        let mut resampled = Vec::new();
        self.input
            .process(block, &mut resampled)
            .map_err(resampling)?;
        if resampled.is_empty() {
            return Ok(());
        }
        let pcm: Vec<u8> = resampled
            .iter()
            .flat_map(|&s| clip_to_i16(s).to_le_bytes())
            .collect();
        self.handle.send_audio(&pcm).await?;
        Ok(())
    }

    fn on_event(&mut self, event: ConversationEvent) -> Result<(), CliError> {
        match event {
            ConversationEvent::AudioDelta { item_id, audio, .. } => self.play(&item_id, &audio)?,
            ConversationEvent::AudioTranscriptDelta {
                response_id, delta, ..
            } => {
                if self.speaking.as_deref() != Some(&response_id) {
                    self.end_line();
                    self.write("assistant: ");
                    self.speaking = Some(response_id);
                }
                self.write(&delta);
            }
            ConversationEvent::InputTranscriptCompleted { transcript, .. } => {
                self.end_line();
                self.printer.out(&format!("you: {}", transcript.trim()));
            }
            ConversationEvent::InputTranscriptFailed { error, .. } => {
                self.end_line();
                let why = error.message.as_deref().unwrap_or("no reason given");
                self.printer
                    .note(&format!("what you said could not be transcribed: {why}"));
            }
            ConversationEvent::BargeIn(_) => {
                self.speaker.stop();
                self.output = None;
                if self.speaking.is_some() {
                    self.write(" [interrupted]");
                }
                self.end_line();
            }
            ConversationEvent::FunctionCall(call) => {
                self.calls = true;
                self.end_line();
                self.printer
                    .note(&format!("calling {}({})", call.name, call.arguments));
            }
            ConversationEvent::ResponseDone { outcome, .. } => {
                self.flush_output()?;
                self.end_line();
                if outcome.is_completed() && !std::mem::take(&mut self.calls) {
                    self.turns += 1;
                }
            }
            ConversationEvent::Error(error) => {
                self.end_line();
                let message = error
                    .message
                    .as_deref()
                    .unwrap_or("an error without a message");
                self.printer
                    .warn(&format!("the service reported: {message}"));
            }
            _ => {}
        }
        Ok(())
    }

    /// Queues PCM16 audio of `item_id` on the speaker, at its rate.
    fn play(&mut self, item_id: &str, audio: &[u8]) -> Result<(), CliError> {
        if self.output.as_ref().is_none_or(|(id, _)| id != item_id) {
            self.flush_output()?;
            let resampler =
                Resampler::new(SESSION_RATE, self.speaker.rate()).map_err(resampling)?;
            self.output = Some((item_id.to_owned(), resampler));
        }
        let samples: Vec<f32> = audio
            .chunks_exact(2)
            .map(|b| f32::from(i16::from_le_bytes([b[0], b[1]])) / 32768.0)
            .collect();
        if let Some((id, resampler)) = &mut self.output {
            let mut out = Vec::new();
            resampler.process(&samples, &mut out).map_err(resampling)?;
            self.speaker.push(id, &out);
        }
        Ok(())
    }

    /// Plays the tail of the item being resampled and forgets it.
    fn flush_output(&mut self) -> Result<(), CliError> {
        if let Some((id, mut resampler)) = self.output.take() {
            let mut out = Vec::new();
            resampler.finish(&mut out).map_err(resampling)?;
            self.speaker.push(&id, &out);
        }
        Ok(())
    }

    /// Writes streamed transcript text to stdout.
    fn write(&self, text: &str) {
        let mut stdout = std::io::stdout().lock();
        // A closed stdout only loses the transcript; the conversation goes on.
        let _ = stdout
            .write_all(text.as_bytes())
            .and_then(|()| stdout.flush());
    }

    /// Ends the transcript line being streamed, if any.
    fn end_line(&mut self) {
        if self.speaking.take().is_some() {
            self.write("\n");
        }
    }
}

/// The error for audio that could not be resampled between the session and a device.
fn resampling(error: rtclient_audio::Error) -> CliError {
    CliError::failure("could not resample the audio between the session and the device")
        .caused_by(&error)
}
