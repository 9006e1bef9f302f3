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

use rtclient::protocol::{Session, TurnDetection};
use rtclient::{Conversation, ConversationEvent};
use rtclient_audio::{AudioSource, WireFormat};
use samples::{BoxError, Provider, Replies};

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
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
    let mut conversation = Conversation::connect(&provider.config).await?;
    let mut replies = Replies::new(out);

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
    samples::read_until(&mut conversation, &mut replies, |_, event| {
        matches!(event, ConversationEvent::ResponseDone { .. }) && response.state().is_final()
    })
    .await?;
    replies.log(&format!("final response: {:?}", response.state()));
    conversation.close(1000, "done").await?;
    provider.stop();
    println!("wrote {} files", replies.written.len());
    Ok(())
}
