//! Chunk sizes, offsets and base64 are exact.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rtclient_audio::{AudioSource, WireFormat, output_len};

use crate::testutil::{Workdir, convert, sox_frames};

#[test]
fn pcm16_24k_chunks_are_4800_bytes_and_6400_base64_chars() {
    let w = Workdir::new();
    let path = w.sox_speech("speech16k.wav", &["-r", "16000"]);
    let total = output_len(16_000, 24_000, sox_frames(&path)) as usize * 2;
    let got = convert(&path, WireFormat::default());
    let n = got.chunks.len();
    assert_eq!(n, total.div_ceil(4_800));
    for (i, c) in got.chunks.iter().enumerate() {
        assert_eq!(c.index(), i as u64);
        assert_eq!(c.start(), Duration::from_millis(100) * i as u32);
        if i + 1 < n {
            assert_eq!(c.bytes().len(), 4_800);
            assert_eq!(c.base64().len(), 6_400);
            assert_eq!(c.duration(), Duration::from_millis(100));
        } else {
            assert_eq!(c.bytes().len(), total - 4_800 * (n - 1));
            assert!(!c.bytes().is_empty());
        }
        assert_eq!(STANDARD.decode(c.base64()).unwrap(), c.bytes());
    }
    let last = got.chunks.last().unwrap();
    assert_eq!(
        last.end(),
        Duration::from_nanos(total as u64 / 2 * 1_000_000_000 / 24_000)
    );
}

#[test]
fn g711_chunks_are_800_bytes_and_other_durations_work() {
    let w = Workdir::new();
    let path = w.sox_speech("speech48k.wav", &["-r", "48000", "-c", "2"]);
    let got = convert(&path, WireFormat::G711Alaw);
    let (last, full) = got.chunks.split_last().unwrap();
    assert!(full.iter().all(|c| c.bytes().len() == 800));
    assert!(last.bytes().len() <= 800);

    // 20 ms chunks at PCM16 16 kHz: 640 bytes.
    let chunks = AudioSource::open(&path)
        .unwrap()
        .to_wire(WireFormat::Pcm16 { rate: 16_000 })
        .unwrap()
        .chunks(Duration::from_millis(20))
        .unwrap();
    assert_eq!(chunks.chunk_bytes(), 640);
    let sizes: Vec<usize> = chunks.map(|c| c.unwrap().bytes().len()).collect();
    assert!(sizes[..sizes.len() - 1].iter().all(|&s| s == 640));
}

#[test]
fn zero_chunk_duration_is_rejected() {
    let w = Workdir::new();
    let err = AudioSource::open(w.path("speech.wav"))
        .unwrap()
        .to_wire(WireFormat::default())
        .unwrap()
        .chunks(Duration::ZERO)
        .unwrap_err();
    assert!(
        matches!(err, rtclient_audio::Error::InvalidArgument { .. }),
        "{err}"
    );
}

/// Decoding on a read-ahead thread gives the same chunks, and errors still arrive.
#[test]
fn read_ahead_gives_identical_output_and_errors() {
    let w = Workdir::new();
    let path = w.sox_speech("speech44.flac", &["-r", "44100", "-c", "2"]);
    let collect = |read_ahead: bool| -> Vec<Result<Vec<u8>, String>> {
        let mut wire = AudioSource::open(&path)
            .unwrap()
            .to_wire(WireFormat::default())
            .unwrap();
        if read_ahead {
            wire = wire.read_ahead().unwrap();
        }
        wire.chunks(Duration::from_millis(100))
            .unwrap()
            .map(|c| c.map(|c| c.into_bytes()).map_err(|e| e.to_string()))
            .collect()
    };
    let inline = collect(false);
    assert!(inline.iter().all(|c| c.is_ok()));
    assert_eq!(collect(true), inline);

    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let inline = collect(false);
    assert!(matches!(inline.last(), Some(Err(e)) if e.contains("truncated")));
    assert_eq!(collect(true), inline);
}

/// `next_bytes` yields the same byte stream as the chunker.
#[test]
fn next_bytes_matches_chunks() {
    let w = Workdir::new();
    let path = w.sox_speech("speech48k.wav", &["-r", "48000"]);
    let mut wire = AudioSource::open(&path)
        .unwrap()
        .to_wire(WireFormat::G711Ulaw)
        .unwrap();
    let mut all = Vec::new();
    while let Some(bytes) = wire.next_bytes().unwrap() {
        assert!(!bytes.is_empty());
        all.extend_from_slice(bytes);
    }
    assert_eq!(wire.decoded_frames(), sox_frames(&path));
    assert_eq!(all, convert(&path, WireFormat::G711Ulaw).bytes);
}
