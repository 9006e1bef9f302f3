//! What the three high-level samples share: the provider argument, the built-in local server,
//! and saving each reply the way Azure's Python samples do.
//!
//! Providers: `azure` (the default, as in the Python samples) and `openai` read the
//! environment and `.env`; `local` starts the local server in-process on a free loopback port
//! (the samples may use it: it is a dev-dependency, the library never depends on it); a
//! `ws://` or `wss://` URL connects there without credentials.

use std::{
    collections::HashMap,
    future::IntoFuture,
    path::{Path, PathBuf},
    process::ExitCode,
    time::Instant,
};

use rtclient::{ClientConfig, Conversation, ConversationEvent, EnvConfig, ResponseHandle, Target};
use rtclient_audio::{WavSink, WireFormat};

pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A sample's exit status: success, or the error and its causes on stderr and failure.
pub(crate) fn exit_code(result: Result<(), BoxError>) -> ExitCode {
    let Err(error) = result else {
        return ExitCode::SUCCESS;
    };
    eprintln!("error: {error}");
    let mut source = error.source();
    while let Some(cause) = source {
        eprintln!("  caused by: {cause}");
        source = cause.source();
    }
    ExitCode::FAILURE
}

/// A connection's configuration, and the local server behind it when the provider is `local`.
pub(crate) struct Provider {
    pub(crate) config: ClientConfig,
    local: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Provider {
    /// The provider named by the optional argument (`azure` when absent).
    pub(crate) async fn from_arg(arg: Option<&str>) -> Result<Self, BoxError> {
        let name = arg.unwrap_or("azure");
        if name.starts_with("ws://") || name.starts_with("wss://") {
            let config = ClientConfig::builder(Target::custom(name)?).build();
            return Ok(Self {
                config,
                local: None,
            });
        }
        if name == "local" {
            return Self::local().await;
        }
        let hidden = match name {
            "azure" => "OPENAI_",
            "openai" => "AZURE_",
            other => {
                return Err(format!(
                    "unknown provider `{other}`: use azure, openai, local or a URL"
                )
                .into());
            }
        };
        // The environment first, then `.env`, hiding the other provider's variables.
        let dotenv: HashMap<String, String> = dotenvy::dotenv_iter()
            .map(|vars| vars.filter_map(Result::ok).collect())
            .unwrap_or_default();
        let found = ClientConfig::from_vars(|var| {
            if var.starts_with(hidden) {
                return None;
            }
            std::env::var(var).ok().or_else(|| dotenv.get(var).cloned())
        })?;
        match found {
            EnvConfig::NoCredentials => Err(format!(
                "no {name} credentials in the environment or .env; or use `local` or a URL"
            )
            .into()),
            found => Ok(Self {
                config: found.into_config().ok_or("no configuration")?,
                local: None,
            }),
        }
    }

    async fn local() -> Result<Self, BoxError> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let server = rtclient_server::serve(listener, rtclient_server::ServerConfig::default());
        let addr = server.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let serving = server.with_graceful_shutdown(async move {
            let _ = stopped.await;
        });
        tokio::spawn(serving.into_future());
        let url = format!("ws://{addr}/v1/realtime?model=gpt-realtime");
        println!("Using the local server at {url}");
        Ok(Self {
            config: ClientConfig::builder(Target::custom(&url)?).build(),
            local: Some(stop),
        })
    }

    /// Stops the local server, if there is one.
    pub(crate) fn stop(self) {
        if let Some(stop) = self.local {
            let _ = stop.send(());
        }
    }
}

/// Reads a text file whole (instructions, a message).
pub(crate) fn read_text(path: &str) -> Result<String, BoxError> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}").into())
}

/// Checks that `dir` is a directory, as the Python samples do.
pub(crate) fn out_dir(dir: &str) -> Result<PathBuf, BoxError> {
    let path = PathBuf::from(dir);
    if !path.is_dir() {
        return Err(format!("the output directory {dir} does not exist").into());
    }
    Ok(path)
}

/// Writes each reply as it arrives: `ITEM_INDEX.wav` and `ITEM_INDEX.audio_transcript.txt` for
/// audio parts, `ITEM_INDEX.text.txt` for text parts, `ITEM.function_call.json` for calls.
pub(crate) struct Replies {
    dir: PathBuf,
    start: Instant,
    wavs: HashMap<(String, u32), WavSink>,
    /// The audio content part of each item, for its transcript's file name.
    audio_parts: HashMap<String, u32>,
    transcripts: HashMap<String, String>,
    texts: HashMap<String, String>,
    /// Files written.
    pub(crate) written: Vec<PathBuf>,
}

impl Replies {
    pub(crate) fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            start: Instant::now(),
            wavs: HashMap::new(),
            audio_parts: HashMap::new(),
            transcripts: HashMap::new(),
            texts: HashMap::new(),
            written: Vec::new(),
        }
    }

    /// Prints a line prefixed with the time since the start, like `sample_text_input.py`.
    pub(crate) fn log(&self, line: &str) {
        println!("{} [ms]: {line}", self.start.elapsed().as_millis());
    }

    /// Takes in one event: prints what the Python samples print and keeps the reply parts.
    pub(crate) fn observe(&mut self, event: &ConversationEvent) -> Result<(), BoxError> {
        match event {
            ConversationEvent::InputTranscriptCompleted {
                item_id,
                transcript,
            } => self.log(&format!("[input_item={item_id}] Transcript: {transcript}")),
            ConversationEvent::SpeechStarted {
                item_id,
                audio_start_ms,
            } => self.log(&format!(
                "[input_item={item_id}] Audio Start [ms]: {audio_start_ms}"
            )),
            ConversationEvent::SpeechStopped {
                item_id,
                audio_end_ms,
            } => self.log(&format!(
                "[input_item={item_id}] Audio End [ms]: {audio_end_ms}"
            )),
            ConversationEvent::AudioDelta {
                item_id,
                content_index,
                audio,
                ..
            } => {
                let key = (item_id.clone(), *content_index);
                self.audio_parts.insert(item_id.clone(), *content_index);
                if !self.wavs.contains_key(&key) {
                    let path = self.path(item_id, Some(*content_index), "wav");
                    self.wavs
                        .insert(key.clone(), WavSink::create(path, WireFormat::default())?);
                }
                if let Some(wav) = self.wavs.get_mut(&key) {
                    wav.push_wire(audio)?;
                }
            }
            ConversationEvent::AudioTranscriptDelta { item_id, delta, .. } => {
                self.transcripts
                    .entry(item_id.clone())
                    .or_default()
                    .push_str(delta);
            }
            ConversationEvent::TextDelta { item_id, delta, .. } => {
                self.texts
                    .entry(item_id.clone())
                    .or_default()
                    .push_str(delta);
            }
            ConversationEvent::FunctionCall(call) => {
                let path = self.path(&call.item_id, None, "function_call.json");
                std::fs::write(&path, &call.arguments)?;
                self.written.push(path);
            }
            ConversationEvent::ResponseStarted { response_id } => {
                self.log(&format!("[response={response_id}] started"));
            }
            ConversationEvent::ResponseDone {
                response_id,
                outcome,
                ..
            } => {
                self.finish_items()?;
                self.log(&format!(
                    "[response={response_id}] Response completed ({outcome:?})"
                ));
            }
            ConversationEvent::Error(error) => {
                self.log(&format!(
                    "error: {}",
                    error.message.as_deref().unwrap_or("")
                ));
            }
            _ => {}
        }
        Ok(())
    }

    /// Closes the WAV files and writes the transcripts and texts of the items so far.
    fn finish_items(&mut self) -> Result<(), BoxError> {
        for ((item_id, index), wav) in self.wavs.drain() {
            let length = wav.finish()?;
            self.written
                .push(self.dir.join(format!("{item_id}_{index}.wav")));
            println!("[item={item_id}] Audio received with length: {length:?}");
        }
        let transcripts: Vec<_> = self.transcripts.drain().collect();
        for (item_id, transcript) in transcripts {
            println!("[item={item_id}] Audio Transcript: {transcript}");
            let index = self.audio_parts.remove(&item_id).unwrap_or(0);
            let path = self.path(&item_id, Some(index), "audio_transcript.txt");
            std::fs::write(&path, transcript)?;
            self.written.push(path);
        }
        let texts: Vec<_> = self.texts.drain().collect();
        for (item_id, text) in texts {
            println!("[item={item_id}] Text: {text}");
            let path = self.path(&item_id, Some(0), "text.txt");
            std::fs::write(&path, text)?;
            self.written.push(path);
        }
        Ok(())
    }

    fn path(&self, item_id: &str, index: Option<u32>, suffix: &str) -> PathBuf {
        let name = match index {
            Some(index) => format!("{item_id}_{index}.{suffix}"),
            None => format!("{item_id}.{suffix}"),
        };
        self.dir.join(Path::new(&name))
    }
}

/// Reads events into `replies` until `done` says the conversation has what it waited for.
pub(crate) async fn read_until(
    conversation: &mut Conversation,
    replies: &mut Replies,
    mut done: impl FnMut(&Conversation, &ConversationEvent) -> bool,
) -> Result<(), BoxError> {
    while let Some(event) = conversation.next_event().await? {
        replies.observe(&event)?;
        if done(conversation, &event) {
            return Ok(());
        }
    }
    Err("the connection ended before the final response".into())
}

/// Reads events into `replies` until `response` is done, then closes the conversation and the
/// local server and says how many files the replies wrote.
pub(crate) async fn finish_after(
    response: ResponseHandle,
    mut conversation: Conversation,
    mut replies: Replies,
    provider: Provider,
) -> Result<(), BoxError> {
    read_until(&mut conversation, &mut replies, |_, event| {
        matches!(event, ConversationEvent::ResponseDone { .. }) && response.state().is_final()
    })
    .await?;
    replies.log(&format!("final response: {:?}", response.state()));
    close(conversation, replies, provider).await
}

/// Closes the conversation and the local server, and says how many files the replies wrote.
pub(crate) async fn close(
    conversation: Conversation,
    replies: Replies,
    provider: Provider,
) -> Result<(), BoxError> {
    conversation.close(1000, "done").await?;
    provider.stop();
    println!("wrote {} files", replies.written.len());
    Ok(())
}
