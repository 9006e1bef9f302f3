//! Azure's `client_sample.py` in Rust: one audio file, server VAD, every reply saved.
//!
//! ```text
//! cargo run -p rtclient --example client_sample -- <audio_file> <out_dir> [azure|openai|local|URL]
//! ```
//!
//! Configures server VAD (threshold 0.5, 300 ms prefix padding, 200 ms silence) and input
//! transcription, sends the file as PCM16 24 kHz mono in 100 ms chunks and one second of
//! silence, and saves each reply in `out_dir` (`ITEM_INDEX.wav`, `ITEM_INDEX.audio_transcript.txt`,
//! `ITEM_INDEX.text.txt`, `ITEM.function_call.json`). It ends after the final response: all
//! audio sent, the user not speaking, every committed turn answered, and the server quiet.

// Shared by the three samples; this one reads no text files.
#[allow(dead_code)]
mod samples;

use std::{process::ExitCode, time::Duration};

use rtclient::protocol::{ServerVad, Session};
use rtclient::{Conversation, ConversationEvent};
use rtclient_audio::{AudioSource, WireFormat};
use samples::{BoxError, Provider, Replies};

const CHUNK: Duration = Duration::from_millis(100);
/// How long the server must stay quiet after the last response before the sample ends.
const SETTLE: Duration = Duration::from_millis(1500);

#[tokio::main]
async fn main() -> ExitCode {
    samples::exit_code(run().await)
}

async fn run() -> Result<(), BoxError> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(audio_file), Some(out_dir)) = (args.first(), args.get(1)) else {
        return Err("usage: client_sample <audio_file> <out_dir> [azure|openai|local|URL]".into());
    };
    let out = samples::out_dir(out_dir)?;
    let audio = AudioSource::open(audio_file)?
        .to_wire(WireFormat::default())?
        .chunks(CHUNK)?
        .map(|chunk| chunk.map(|chunk| chunk.bytes().to_vec()))
        .collect::<Result<Vec<_>, _>>()?;
    let provider = Provider::from_arg(args.get(2).map(String::as_str)).await?;
    let mut conversation = Conversation::connect(&provider.config).await?;
    let mut replies = Replies::new(out);

    replies.log("Configuring Session...");
    let vad = ServerVad {
        threshold: 0.5,
        prefix_padding_ms: 300,
        silence_duration_ms: 200,
        ..ServerVad::default()
    };
    let session = Session::realtime()
        .server_vad(vad)
        .input_transcription(Some("whisper-1"));
    conversation.handle().update_session(session).await?;
    samples::read_until(&mut conversation, &mut replies, |_, event| {
        matches!(event, ConversationEvent::SessionUpdated(_))
    })
    .await?;
    replies.log("Done");

    let input = conversation.handle().clone();
    let mut sending = tokio::spawn(async move {
        let silence = vec![0u8; 4_800];
        for chunk in audio.iter().chain(std::iter::repeat_n(&silence, 10)) {
            input.send_audio(chunk).await?;
        }
        Ok::<_, rtclient::Error>(())
    });
    let mut sent = false;
    let mut turns = Turns::default();
    loop {
        let next = if sent && turns.answered() {
            match tokio::time::timeout(SETTLE, conversation.next_event()).await {
                Ok(next) => next?,
                Err(_) => break,
            }
        } else {
            tokio::select! {
                finished = &mut sending, if !sent => {
                    finished??;
                    sent = true;
                    continue;
                }
                next = conversation.next_event() => next?,
            }
        };
        let Some(event) = next else {
            return Err("the connection ended before the final response".into());
        };
        replies.observe(&event)?;
        turns.observe(&event);
    }
    samples::close(conversation, replies, provider).await
}

/// Where the turns stand, to know which response is the last.
#[derive(Debug, Default)]
struct Turns {
    speaking: bool,
    committed: u32,
    started: u32,
    done: u32,
}

impl Turns {
    fn observe(&mut self, event: &ConversationEvent) {
        match event {
            ConversationEvent::SpeechStarted { .. } => self.speaking = true,
            ConversationEvent::SpeechStopped { .. } => self.speaking = false,
            ConversationEvent::InputCommitted { .. } => self.committed += 1,
            ConversationEvent::ResponseStarted { .. } => self.started += 1,
            ConversationEvent::ResponseDone { .. } => self.done += 1,
            _ => {}
        }
    }

    /// At least one response, none running, no speech, and every committed turn answered.
    fn answered(&self) -> bool {
        self.done > 0
            && self.done == self.started
            && !self.speaking
            && self.started >= self.committed
    }
}
