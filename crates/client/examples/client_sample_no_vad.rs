//! Azure's `client_sample_no_vad.py` in Rust: one audio file as one turn, without VAD.
//!
//! ```text
//! cargo run -p rtclient --example client_sample_no_vad -- <audio_file> <instructions_file> <out_dir> [azure|openai|local|URL]
//! ```
//!
//! Configures the instructions, no turn detection and input transcription, appends the whole
//! file, commits it, asks for a response and waits for exactly that response, saving the reply
//! in `out_dir` as `client_sample` does.

mod samples;

use std::{process::ExitCode, time::Duration};

use rtclient::Conversation;
use rtclient::protocol::{Session, TurnDetection};
use rtclient_audio::{AudioSource, WireFormat};
use samples::{BoxError, Provider, Replies};

#[tokio::main]
async fn main() -> ExitCode {
    samples::exit_code(run().await)
}

async fn run() -> Result<(), BoxError> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [audio_file, instructions_file, out_dir, ..] = args.as_slice() else {
        return Err(
            "usage: client_sample_no_vad <audio_file> <instructions_file> <out_dir> \
             [azure|openai|local|URL]"
                .into(),
        );
    };
    let instructions = samples::read_text(instructions_file)?;
    let out = samples::out_dir(out_dir)?;
    let chunks = AudioSource::open(audio_file)?
        .to_wire(WireFormat::default())?
        .chunks(Duration::from_millis(100))?;
    let provider = Provider::from_arg(args.get(3).map(String::as_str)).await?;
    let conversation = Conversation::connect(&provider.config).await?;
    let replies = Replies::new(out);

    replies.log("Configuring Session...");
    let session = Session::realtime()
        .instructions(instructions)
        .turn_detection(None::<TurnDetection>)
        .input_transcription(Some("whisper-1"));
    let commands = conversation.handle().clone();
    commands.update_session(session).await?;
    for chunk in chunks {
        commands.send_audio(chunk?.bytes()).await?;
    }
    commands.commit_audio().await?;
    let response = commands.create_response(None).await?;
    samples::finish_after(response, conversation, replies, provider).await
}
