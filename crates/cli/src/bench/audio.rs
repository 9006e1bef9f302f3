//! The input every session streams, and the VAD events it makes the local server send.

use std::path::Path;

use rtclient_audio::{AudioSource, WireFormat};
use rtclient_protocol::event::client::InputAudioBufferAppend;
use rtclient_server::{ResamplingDetector, VadEvent, VadParams};

use super::{CHUNK_BYTES, CHUNK_MS, PREFIX_PADDING_MS, RATE};
use crate::exit::CliError;

/// The looped input: 0.5 s silence, the clip at 24 kHz PCM16, `gap_ms` of silence (rounded up
/// to a chunk); as 100 ms chunks.
pub(super) fn load(path: &Path, gap_ms: u64) -> Result<Vec<Vec<u8>>, CliError> {
    let unreadable = |e: &rtclient_audio::Error| {
        CliError::usage(format!("cannot read the bench audio {}", path.display())).caused_by(e)
    };
    let mut wire = AudioSource::open(path)
        .and_then(|source| source.to_wire(WireFormat::PCM16_24K))
        .map_err(|e| unreadable(&e))?;
    let mut pcm = vec![0u8; CHUNK_BYTES * 5];
    while let Some(bytes) = wire.next_bytes().map_err(|e| unreadable(&e))? {
        pcm.extend_from_slice(bytes);
    }
    let rem = pcm.len() % CHUNK_BYTES;
    if rem != 0 {
        pcm.resize(pcm.len() + CHUNK_BYTES - rem, 0);
    }
    let gap_chunks = gap_ms.div_ceil(CHUNK_MS) as usize;
    pcm.resize(pcm.len() + CHUNK_BYTES * gap_chunks, 0);
    Ok(pcm.chunks(CHUNK_BYTES).map(<[u8]>::to_vec).collect())
}

/// The `input_audio_buffer.append` frame of each chunk.
pub(super) fn appends(chunks: &[Vec<u8>]) -> Vec<String> {
    chunks
        .iter()
        .map(|chunk| InputAudioBufferAppend::json_from_audio(chunk))
        .collect()
}

/// A VAD event the server will emit, and the index of the append after which it emits it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Expected {
    pub(super) started: bool,
    pub(super) append: usize,
}

/// Replays the local server's VAD path ([`ResamplingDetector`] at 24 kHz, same parameters) over
/// the exact append sequence every session sends, so each VAD event can be tied to the append
/// that made the server emit it.
pub(super) fn vad_schedule(
    chunks: &[Vec<u8>],
    streamed: usize,
    tail: usize,
    silence_ms: u32,
) -> Result<Vec<Expected>, CliError> {
    let params = VadParams {
        threshold: 0.5,
        prefix_padding_ms: PREFIX_PADDING_MS,
        silence_duration_ms: silence_ms,
    };
    let failed = |e: &rtclient_audio::Error| {
        CliError::failure("could not replay the server's VAD over the bench audio").caused_by(e)
    };
    let mut vad = ResamplingDetector::new(RATE, params).map_err(|e| failed(&e))?;
    let silence = vec![0u8; CHUNK_BYTES];
    let mut samples = Vec::new();
    let mut events = Vec::new();
    let mut schedule = Vec::new();
    for k in 0..streamed + tail {
        let chunk = if k < streamed {
            &chunks[k % chunks.len()]
        } else {
            &silence
        };
        samples.clear();
        WireFormat::PCM16_24K.decode(chunk, &mut samples);
        events.clear();
        vad.push(&samples, &mut events).map_err(|e| failed(&e))?;
        schedule.extend(events.iter().map(|event| Expected {
            started: matches!(event, VadEvent::SpeechStarted { .. }),
            append: k,
        }));
    }
    Ok(schedule)
}
