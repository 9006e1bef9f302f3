//! Speed of the reply and speech engines: Piper text to speech (times real time) and the local
//! reply model (its load time; the prompt's tokens and the time to the first piece of text, which
//! is the prompt read plus one token; then pieces per second, one per generated token), with the
//! process's peak memory.
//!
//! Run with `cargo run --release -p rtclient-server --example reply_engines [-- --rounds N]`
//! after `scripts/install-engines`. Each round speaks three sentences and answers two prompts.

use std::time::Instant;

use rtclient_server::ModelsDir;
use rtclient_server::PiperSynthesizer;
use rtclient_server::Synthesizer;
use rtclient_server::{LocalLlm, render_chatml};
use rtclient_server::{Prompt, Responder};

const SENTENCES: [&str; 3] = [
    "The quick brown fox jumps over the lazy dog.",
    "Please turn off the lights in the kitchen.",
    "Sure. The weather in Paris is sunny today, with a light breeze.",
];

const PROMPTS: [&str; 2] = [
    "What is the weather like in Paris today?",
    "Tell me about the moon in two sentences.",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rounds: usize = std::env::args()
        .skip_while(|a| a != "--rounds")
        .nth(1)
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(3);
    let models = ModelsDir::from_env()?;

    let started = Instant::now();
    let piper = PiperSynthesizer::load(&models)?;
    println!("piper: loaded in {:.2} s", started.elapsed().as_secs_f64());
    for round in 0..rounds {
        for text in SENTENCES {
            let started = Instant::now();
            let speech = piper.synthesize(text, "alloy")?;
            let took = started.elapsed().as_secs_f64();
            let audio = speech.duration_ms() as f64 / 1000.0;
            println!(
                "piper round {round}: {audio:.2} s of speech in {took:.3} s = {:.1}x real time",
                audio / took
            );
        }
    }

    let started = Instant::now();
    let llm = LocalLlm::from_models(&models)?;
    println!("llm: loaded in {:.3} s", started.elapsed().as_secs_f64());
    for round in 0..rounds {
        for text in PROMPTS {
            let prompt = Prompt {
                user_text: Some(text),
                ..Prompt::default()
            };
            let prompt_tokens = llm.token_count(&render_chatml(&prompt));
            let started = Instant::now();
            let mut first = None;
            let mut pieces = 0usize;
            let answer = llm.stream(&prompt, &mut |_| {
                first.get_or_insert_with(|| started.elapsed().as_secs_f64());
                pieces += 1;
                true
            });
            let total = started.elapsed().as_secs_f64();
            let first = first.unwrap_or(total);
            let rate = pieces.saturating_sub(1) as f64 / (total - first).max(1e-9);
            println!(
                "llm round {round}: {prompt_tokens} prompt tokens, first text after {first:.3} s \
                 ({:.0} prompt tokens/s), {pieces} pieces at {rate:.1}/s: {:?}",
                prompt_tokens as f64 / first,
                answer.reply
            );
        }
    }
    println!("peak memory: {} MB", peak_rss_kb().unwrap_or(0) / 1024);
    Ok(())
}

/// The process's peak resident set size (Linux `VmHWM`), in kB.
fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kb| kb.parse().ok())
}
