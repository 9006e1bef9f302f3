//! The seed's `low_level_sample.py`, in Rust: one audio file, one server-VAD turn (or more).
//!
//! ```text
//! cargo run -p rtclient --example low_level_sample -- <audio file> [openai|azure|URL]
//! ```
//!
//! - Configuration comes from the environment and `.env` (`OPENAI_API_KEY`, `OPENAI_MODEL`,
//!   `AZURE_OPENAI_ENDPOINT`, `AZURE_OPENAI_API_KEY`, `AZURE_OPENAI_DEPLOYMENT`,
//!   `AZURE_OPENAI_API_VERSION`). Without a second argument Azure is used when
//!   `AZURE_OPENAI_ENDPOINT` is set, else OpenAI; `openai` or `azure` picks one; a `ws://`,
//!   `wss://`, `http://` or `https://` URL connects there without credentials (e.g. the local
//!   `rtclient-server`).
//! - It sends `session.update` with instructions and server VAD (threshold 0.5, 300 ms prefix
//!   padding, 200 ms silence), then streams the file as PCM16 24 kHz mono in 100 ms
//!   `input_audio_buffer.append` chunks at real time, followed by one second of silence so the
//!   VAD sees the end of the last utterance even when the file stops mid-word.
//! - Meanwhile a second task prints every server event like the Python sample does (transcript
//!   deltas coalesced per item, audio deltas counted in bytes).
//! - It ends after the final `response.done`: all audio sent, no speech in progress, and no
//!   turn left without its response. Ctrl-C closes the connection.
//!
//! Nothing is saved; the CLI does that.

use std::{
    collections::HashMap,
    io::Write,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use rtclient::{
    ClientConfig, ClientEvent, EnvConfig, EventReceiver, EventSender, RealtimeClient, ServerEvent,
    Target,
    protocol::{ContentPart, Item, ServerVad, Session},
};
use rtclient_audio::{AudioSource, Chunk, Pace, Pacer, WireFormat};
use tokio::sync::{Notify, mpsc};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Audio per `input_audio_buffer.append`.
const CHUNK: Duration = Duration::from_millis(100);
/// Silence appended after the file.
const TRAILING_SILENCE: Duration = Duration::from_secs(1);
/// How long to wait for the server after the audio ended when nothing is pending.
const IDLE_GRACE: Duration = Duration::from_secs(3);

const INSTRUCTIONS: &str = "You are a helpful assistant. Answer briefly.";

#[tokio::main]
async fn main() {
    if let Err(error) = run().await {
        eprintln!("error: {error}");
        let mut source = error.source();
        while let Some(cause) = source {
            eprintln!("  caused by: {cause}");
            source = cause.source();
        }
        std::process::exit(1);
    }
}

async fn run() -> Result<(), BoxError> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(path), provider) = (args.first(), args.get(1)) else {
        eprintln!("usage: low_level_sample <audio file> [openai|azure|URL]");
        eprintln!(
            "Without the second argument: Azure if AZURE_OPENAI_ENDPOINT is set, else OpenAI."
        );
        std::process::exit(2);
    };
    let config = config(provider.map(String::as_str))?;

    // Open the file first, so a bad file fails before any network traffic.
    let chunks = AudioSource::open(path)?
        .to_wire(WireFormat::default())?
        .chunks(CHUNK)?;
    match chunks.total_duration() {
        Some(total) => println!("Audio: {path}, {:.1} s", total.as_secs_f64()),
        None => println!("Audio: {path}"),
    }

    println!(
        "Connecting to {} ({:?} dialect)",
        config.target().redacted_url(),
        config.target().dialect()
    );
    let client = RealtimeClient::connect(&config).await?;
    if let Some(id) = client.request_id() {
        println!("  x-ms-client-request-id: {id}");
    }
    let (sender, receiver) = client.split();

    let audio_done = Arc::new(Notify::new());
    let audio_finished = Arc::new(AtomicBool::new(false));
    let send = tokio::spawn(send_audio(
        sender.clone(),
        chunks,
        audio_done.clone(),
        audio_finished.clone(),
    ));
    let receive = tokio::spawn(receive_events(receiver, audio_done, audio_finished));

    tokio::select! {
        received = receive => {
            let mut receiver = received??;
            send.abort();
            sender.close(1000, "done").await?;
            receiver.wait_closed().await?;
        }
        _ = tokio::signal::ctrl_c() => {
            println!("\nInterrupted; closing.");
            send.abort();
            sender.close(1000, "interrupted").await?;
        }
    }
    Ok(())
}

/// The configuration for the optional provider argument.
fn config(provider: Option<&str>) -> Result<ClientConfig, BoxError> {
    let found = match provider {
        None => ClientConfig::from_env()?,
        Some(url) if url.contains("://") => {
            return Ok(ClientConfig::builder(Target::custom(url)?).build());
        }
        Some(name @ ("openai" | "azure")) => {
            // The same lookup as `from_env` (environment first, then `.env`), hiding the other
            // provider's variables so the choice is ours.
            let dotenv: HashMap<String, String> = dotenvy::dotenv_iter()
                .map(|vars| vars.filter_map(Result::ok).collect())
                .unwrap_or_default();
            let hidden = if name == "openai" {
                "AZURE_"
            } else {
                "OPENAI_"
            };
            ClientConfig::from_vars(|var| {
                if var.starts_with(hidden) {
                    return None;
                }
                std::env::var(var).ok().or_else(|| dotenv.get(var).cloned())
            })?
        }
        Some(other) => {
            return Err(format!("unknown provider `{other}`: use openai, azure or a URL").into());
        }
    };
    match found {
        EnvConfig::NoCredentials => Err(
            "no credentials: set OPENAI_API_KEY, or AZURE_OPENAI_ENDPOINT with AZURE_OPENAI_API_KEY \
             and AZURE_OPENAI_DEPLOYMENT (in the environment or .env), or pass a URL"
                .into(),
        ),
        found => found.into_config().ok_or_else(|| "no configuration".into()),
    }
}

/// Sends the session update, then the file and the trailing silence at real time.
async fn send_audio(
    sender: EventSender,
    chunks: rtclient_audio::Chunks,
    audio_done: Arc<Notify>,
    audio_finished: Arc<AtomicBool>,
) -> Result<(), BoxError> {
    let vad = ServerVad {
        threshold: 0.5,
        prefix_padding_ms: 300,
        silence_duration_ms: 200,
        ..ServerVad::default()
    };
    sender
        .send(ClientEvent::session_update(
            Session::realtime()
                .instructions(INSTRUCTIONS)
                .server_vad(vad),
        ))
        .await?;

    // Decoding and resampling are blocking work: a helper thread feeds the chunks.
    let (chunk_tx, mut chunk_rx) = mpsc::channel::<Result<Chunk, rtclient_audio::Error>>(16);
    let decode = tokio::task::spawn_blocking(move || {
        for chunk in chunks {
            if chunk_tx.blocking_send(chunk).is_err() {
                break;
            }
        }
    });

    let mut pacer = Pacer::new(Pace::RealTime)?;
    let mut end = Duration::ZERO;
    let mut sent = 0u64;
    while let Some(chunk) = chunk_rx.recv().await {
        let chunk = chunk?;
        pacer.wait_until(chunk.end()).await;
        end = chunk.end();
        sender
            .send(ClientEvent::append_base64(chunk.base64().to_owned()))
            .await?;
        sent += 1;
    }
    decode.await?;

    // PCM16 silence is zero bytes: 4,800 per 100 ms at 24 kHz.
    let silence_bytes = WireFormat::default().bytes_per_second() * CHUNK.as_millis() as u64 / 1000;
    let silence = vec![0u8; usize::try_from(silence_bytes)?];
    let mut after = Duration::ZERO;
    while after < TRAILING_SILENCE {
        after += CHUNK;
        pacer.wait_until(end + after).await;
        sender.send(ClientEvent::append_audio(&silence)).await?;
        sent += 1;
    }
    println!(
        "[sent {sent} chunks: {:.1} s of audio + {:.1} s of silence]",
        end.as_secs_f64(),
        TRAILING_SILENCE.as_secs_f64()
    );
    audio_finished.store(true, Ordering::SeqCst);
    audio_done.notify_one();
    Ok(())
}

/// Where the conversation stands, to know which `response.done` is the last.
#[derive(Debug, Default)]
struct Turns {
    speaking: bool,
    /// Committed user turns whose response has not been created yet.
    awaiting_response: u32,
    /// Responses created and not done.
    running: u32,
    responses_done: u32,
}

impl Turns {
    fn idle(&self) -> bool {
        !self.speaking && self.awaiting_response == 0 && self.running == 0
    }
}

/// Text and audio gathered per output item, printed once when done.
#[derive(Debug, Default)]
struct Output {
    transcripts: HashMap<String, (String, u32)>,
    audio_bytes: HashMap<String, usize>,
}

/// Prints every event until the final `response.done` (or the end of the connection).
async fn receive_events(
    mut receiver: EventReceiver,
    audio_done: Arc<Notify>,
    audio_finished: Arc<AtomicBool>,
) -> Result<EventReceiver, BoxError> {
    let mut turns = Turns::default();
    let mut output = Output::default();
    loop {
        let finished = audio_finished.load(Ordering::SeqCst);
        let received = tokio::select! {
            received = receiver.recv() => received,
            () = audio_done.notified(), if !finished => continue,
            () = tokio::time::sleep(IDLE_GRACE), if finished && turns.idle() => {
                if turns.responses_done == 0 {
                    println!("No response: the server VAD detected no complete turn in the audio.");
                } else {
                    println!("[audio ended and the server is idle]");
                }
                return Ok(receiver);
            }
        };
        let event = match received {
            Ok(Some(event)) => event,
            Ok(None) => return Ok(receiver),
            Err(error) if error.is_recoverable() => {
                println!("Skipped frame: {error}");
                continue;
            }
            Err(error) => return Err(error.into()),
        };
        let last_done = matches!(event, ServerEvent::ResponseDone(_));
        print_event(event, &mut turns, &mut output);
        if last_done && audio_finished.load(Ordering::SeqCst) && turns.idle() {
            return Ok(receiver);
        }
    }
}

fn print_event(event: ServerEvent, turns: &mut Turns, output: &mut Output) {
    match event {
        ServerEvent::SessionCreated(e) => {
            println!("Session Created Message");
            println!("  Model: {}", e.session.model.as_deref().unwrap_or("-"));
            println!("  Session Id: {}", e.session.id.as_deref().unwrap_or("-"));
        }
        ServerEvent::SessionUpdated(e) => {
            println!("Session Updated Message");
            println!("  Session Id: {}", e.session.id.as_deref().unwrap_or("-"));
        }
        ServerEvent::Error(e) => {
            let error = e.error;
            println!("Error Message");
            println!("  Type: {}", error.kind.as_deref().unwrap_or("-"));
            println!("  Code: {}", nullable(error.code.as_ref()));
            println!("  Message: {}", error.message.as_deref().unwrap_or("-"));
            println!("  Param: {}", nullable(error.param.as_ref()));
            println!("  Caused by event: {}", nullable(error.event_id.as_ref()));
        }
        ServerEvent::InputAudioBufferSpeechStarted(e) => {
            turns.speaking = true;
            println!("Input Audio Buffer Speech Started Message");
            println!("  Item Id: {}", e.item_id);
            println!("  Audio Start [ms]: {}", e.audio_start_ms);
        }
        ServerEvent::InputAudioBufferSpeechStopped(e) => {
            turns.speaking = false;
            println!("Input Audio Buffer Speech Stopped Message");
            println!("  Item Id: {}", e.item_id);
            println!("  Audio End [ms]: {}", e.audio_end_ms);
        }
        ServerEvent::InputAudioBufferCommitted(e) => {
            turns.awaiting_response += 1;
            println!("Input Audio Buffer Committed Message");
            println!("  Item Id: {}", e.item_id);
        }
        ServerEvent::InputAudioBufferCleared(_) => println!("Input Audio Buffer Cleared Message"),
        ServerEvent::ConversationItemCreated(e) => {
            print_item("Conversation Item Created Message", &e.item)
        }
        ServerEvent::ConversationItemAdded(e) => {
            print_item("Conversation Item Added Message", &e.item)
        }
        ServerEvent::ConversationItemDone(e) => {
            print_item("Conversation Item Done Message", &e.item)
        }
        ServerEvent::ConversationItemTruncated(e) => {
            println!("Conversation Item Truncated Message");
            println!("  Id: {}", e.item_id);
            println!("  Content Index: {}", e.content_index);
            println!("  Audio End [ms]: {}", e.audio_end_ms);
        }
        ServerEvent::ConversationItemDeleted(e) => {
            println!("Conversation Item Deleted Message");
            println!("  Id: {}", e.item_id);
        }
        ServerEvent::ConversationItemInputAudioTranscriptionDelta(_) => {}
        ServerEvent::ConversationItemInputAudioTranscriptionCompleted(e) => {
            println!("Input Audio Transcription Completed Message");
            println!("  Id: {}", e.item_id);
            println!("  Content Index: {}", e.content_index);
            println!("  Transcript: {}", e.transcript);
        }
        ServerEvent::ConversationItemInputAudioTranscriptionFailed(e) => {
            println!("Input Audio Transcription Failed Message");
            println!("  Id: {}", e.item_id);
            println!(
                "  Error: {} ({})",
                e.error.message.as_deref().unwrap_or("-"),
                nullable(e.error.code.as_ref())
            );
        }
        ServerEvent::ResponseCreated(e) => {
            turns.awaiting_response = turns.awaiting_response.saturating_sub(1);
            turns.running += 1;
            println!("Response Created Message");
            println!("  Response Id: {}", e.response.id.as_deref().unwrap_or("-"));
        }
        ServerEvent::ResponseOutputItemAdded(e) => {
            println!("Response Output Item Added Message");
            println!("  Response Id: {}", e.response_id);
            println!("  Item Id: {}", e.item.id.as_deref().unwrap_or("-"));
        }
        ServerEvent::ResponseOutputItemDone(e) => {
            println!("Response Output Item Done Message");
            println!("  Response Id: {}", e.response_id);
            println!("  Item Id: {}", e.item.id.as_deref().unwrap_or("-"));
        }
        ServerEvent::ResponseContentPartAdded(e) => {
            println!("Response Content Part Added Message");
            println!("  Response Id: {}", e.response_id);
            println!("  Item Id: {}", e.item_id);
        }
        ServerEvent::ResponseContentPartDone(e) => {
            println!("Response Content Part Done Message");
            println!("  Response Id: {}", e.response_id);
            println!("  Item Id: {}", e.item_id);
        }
        ServerEvent::ResponseOutputAudioTranscriptDelta(e) => {
            let entry = output.transcripts.entry(e.item_id).or_default();
            entry.0.push_str(&e.delta);
            entry.1 += 1;
        }
        ServerEvent::ResponseOutputTextDelta(e) => {
            let entry = output.transcripts.entry(e.item_id).or_default();
            entry.0.push_str(&e.delta);
            entry.1 += 1;
        }
        ServerEvent::ResponseOutputAudioTranscriptDone(e) => {
            let deltas = output.transcripts.remove(&e.item_id).map_or(0, |t| t.1);
            println!("Response Audio Transcript Done Message");
            println!("  Response Id: {}", e.response_id);
            println!("  Item Id: {}", e.item_id);
            println!("  Transcript ({deltas} deltas): {}", e.transcript);
        }
        ServerEvent::ResponseOutputTextDone(e) => {
            let deltas = output.transcripts.remove(&e.item_id).map_or(0, |t| t.1);
            println!("Response Text Done Message");
            println!("  Response Id: {}", e.response_id);
            println!("  Text ({deltas} deltas): {}", e.text);
        }
        ServerEvent::ResponseOutputAudioDelta(e) => {
            *output.audio_bytes.entry(e.item_id).or_default() += base64_decoded_len(&e.delta);
        }
        ServerEvent::ResponseOutputAudioDone(e) => {
            let bytes = output.audio_bytes.remove(&e.item_id).unwrap_or(0);
            println!("Response Audio Done Message");
            println!("  Response Id: {}", e.response_id);
            println!("  Item Id: {}", e.item_id);
            println!(
                "  Audio: {bytes} bytes ({:.2} s of PCM16 24 kHz)",
                bytes as f64 / 48_000.0
            );
        }
        ServerEvent::ResponseDone(e) => {
            turns.running = turns.running.saturating_sub(1);
            turns.responses_done += 1;
            let response = e.response;
            println!("Response Done Message");
            println!("  Response Id: {}", response.id.as_deref().unwrap_or("-"));
            if let Some(status) = &response.status {
                println!("  Status: {status}");
            }
            if let Some(details) = response.status_details.as_ref().and_then(|d| d.value()) {
                let reason = details.reason.as_ref().map(ToString::to_string);
                println!("  Status Details: {}", reason.as_deref().unwrap_or("-"));
            }
            if let Some(usage) = response.usage.as_ref().and_then(|u| u.value()) {
                println!(
                    "  Usage: {} tokens ({} in, {} out)",
                    usage.total_tokens.unwrap_or(0),
                    usage.input_tokens.unwrap_or(0),
                    usage.output_tokens.unwrap_or(0)
                );
            }
        }
        ServerEvent::RateLimitsUpdated(e) => {
            println!("Rate Limits Updated Message");
            for limit in e.rate_limits {
                let name = limit.name.as_ref().map(ToString::to_string);
                println!(
                    "  {}: {} of {} remaining",
                    name.as_deref().unwrap_or("-"),
                    limit.remaining.unwrap_or(0),
                    limit.limit.unwrap_or(0)
                );
            }
        }
        other if other.is_unknown() => println!("Unknown Message: {}", other.kind()),
        other => println!("{} Message", other.kind()),
    }
    // A pipe may be closed; printing more is pointless then, but not an error of the session.
    let _ = std::io::stdout().flush();
}

fn print_item(heading: &str, item: &Item) {
    println!("{heading}");
    println!("  Id: {}", item.id.as_deref().unwrap_or("-"));
    if let Some(kind) = &item.kind {
        println!("  Type: {kind}");
    }
    if let Some(role) = &item.role {
        println!("  Role: {role}");
    }
    for (index, part) in item.content.iter().flatten().enumerate() {
        print_part(index, part);
    }
}

fn print_part(index: usize, part: &ContentPart) {
    println!("  [{index}]:");
    if let Some(kind) = &part.kind {
        println!("    Content Type: {kind}");
    }
    if let Some(text) = &part.text {
        println!("    Text: {text}");
    }
    if let Some(transcript) = part.transcript.as_ref().and_then(|t| t.value()) {
        println!("    Audio Transcript: {transcript}");
    }
}

fn nullable<T: std::fmt::Display>(value: Option<&rtclient::protocol::Nullable<T>>) -> String {
    match value.and_then(|v| v.value()) {
        Some(value) => value.to_string(),
        None => "null".to_owned(),
    }
}

/// How many bytes a base64 string decodes to, without decoding it.
fn base64_decoded_len(base64: &str) -> usize {
    let padding = base64.bytes().rev().take_while(|&b| b == b'=').count();
    (base64.len() / 4 * 3).saturating_sub(padding)
}
