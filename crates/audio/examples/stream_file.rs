//! Run with `cargo run --release -p rtclient-audio --example stream_file -- FILE [ulaw|alaw|RATE] [--read-ahead]`
//!
//! Streams an audio file to 100 ms base64 chunks of wire audio (PCM16 24 kHz by default) and
//! prints what it read and produced. Used to measure peak memory on long inputs.

use std::time::{Duration, Instant};

use rtclient_audio::{AudioSource, WireFormat};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let all: Vec<String> = std::env::args().skip(1).collect();
    let read_ahead = all.iter().any(|a| a == "--read-ahead");
    let mut args = all.into_iter().filter(|a| a != "--read-ahead");
    let Some(path) = args.next() else {
        eprintln!("usage: stream_file FILE [ulaw|alaw|RATE] [--read-ahead]");
        std::process::exit(2);
    };
    let format = match args.next().as_deref() {
        None => WireFormat::default(),
        Some("ulaw") => WireFormat::G711Ulaw,
        Some("alaw") => WireFormat::G711Alaw,
        Some(rate) => WireFormat::Pcm16 {
            rate: rate.parse()?,
        },
    };

    let started = Instant::now();
    let source = AudioSource::open(&path)?;
    eprintln!(
        "{path}: {} , {} Hz, {} ch, {:?} frames ({:?})",
        source.codec(),
        source.sample_rate(),
        source.channels(),
        source.frames(),
        source.duration()
    );
    let mut wire = source.to_wire(format)?;
    if read_ahead {
        wire = wire.read_ahead()?;
    }
    let chunks = wire.chunks(Duration::from_millis(100))?;
    let total = chunks.total_duration();
    let (mut n, mut bytes, mut b64, mut end) = (0u64, 0u64, 0u64, Duration::ZERO);
    for chunk in chunks {
        let chunk = chunk?;
        n += 1;
        bytes += chunk.bytes().len() as u64;
        b64 += chunk.base64().len() as u64;
        end = chunk.end();
    }
    println!(
        "{format}: {n} chunks, {bytes} bytes, {b64} base64 chars, {end:?} of audio (expected {total:?}) in {:?}",
        started.elapsed()
    );
    Ok(())
}
