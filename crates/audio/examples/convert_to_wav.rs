//! Run with `cargo run --release -p rtclient-audio --example convert_to_wav -- IN OUT.wav [ulaw|alaw|RATE]`
//!
//! Converts any supported audio file to exactly what would be sent on the wire (24 kHz PCM16 by
//! default, or G.711), going through base64 chunks and back, and writes it as a WAV file so you
//! can listen to it.

use std::time::Duration;

use rtclient_audio::{AudioSource, WavSink, WireFormat};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(input), Some(output)) = (args.first(), args.get(1)) else {
        eprintln!("usage: convert_to_wav IN OUT.wav [ulaw|alaw|RATE]");
        std::process::exit(2);
    };
    let format = match args.get(2).map(String::as_str) {
        None => WireFormat::default(),
        Some("ulaw") => WireFormat::G711Ulaw,
        Some("alaw") => WireFormat::G711Alaw,
        Some(rate) => WireFormat::Pcm16 {
            rate: rate.parse()?,
        },
    };
    let chunks = AudioSource::open(input)?
        .to_wire(format)?
        .chunks(Duration::from_millis(100))?;
    let mut sink = WavSink::create(output, format)?;
    for chunk in chunks {
        sink.push_base64(chunk?.base64())?;
    }
    let written = sink.finish()?;
    println!("{output}: {written:?} of {format}, stored as PCM16 WAV");
    Ok(())
}
