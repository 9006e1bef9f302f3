//! Azure's `sample_text_input.py` in Rust: a typed message, one response, every reply saved.
//!
//! ```text
//! cargo run -p rtclient --example sample_text_input -- <instructions_file> <message_file> <out_dir> [azure|openai|local|URL]
//! ```
//!
//! Configures the instructions, adds the message as a user item, asks for a response and waits
//! for exactly that response, saving the reply in `out_dir` as `client_sample` does. Each line
//! it prints starts with the milliseconds since the start.

mod samples;

use std::process::ExitCode;

use rtclient::Conversation;
use rtclient::protocol::Session;
use samples::{BoxError, Provider, Replies};

#[tokio::main]
async fn main() -> ExitCode {
    samples::exit_code(run().await)
}

async fn run() -> Result<(), BoxError> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [instructions_file, message_file, out_dir, ..] = args.as_slice() else {
        return Err(
            "usage: sample_text_input <instructions_file> <message_file> <out_dir> \
             [azure|openai|local|URL]"
                .into(),
        );
    };
    let instructions = samples::read_text(instructions_file)?;
    let message = samples::read_text(message_file)?;
    let out = samples::out_dir(out_dir)?;
    let provider = Provider::from_arg(args.get(3).map(String::as_str)).await?;
    let conversation = Conversation::connect(&provider.config).await?;
    let replies = Replies::new(out);

    replies.log("Configuring Session...");
    let commands = conversation.handle().clone();
    commands
        .update_session(Session::realtime().instructions(instructions))
        .await?;
    commands.add_user_text(message.trim()).await?;
    let response = commands.create_response(None).await?;
    samples::finish_after(response, conversation, replies, provider).await
}
