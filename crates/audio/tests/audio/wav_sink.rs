//! Writing wire audio back to WAV.

use std::time::Duration;

use rtclient_audio::{WavSink, WireFormat, decode_delta, g711};

use crate::testutil::{Workdir, convert, pcm16};

fn read_wav(path: &std::path::Path) -> (hound::WavSpec, Vec<i16>) {
    let mut r = hound::WavReader::open(path).unwrap();
    let spec = r.spec();
    let samples = r.samples::<i16>().map(|s| s.unwrap()).collect();
    (spec, samples)
}

#[test]
fn base64_chunks_round_trip_to_wav() {
    let w = Workdir::new();
    let got = convert(&w.path("speech.wav"), WireFormat::default());
    let out = w.path("out.wav");
    let mut sink = WavSink::create(&out, WireFormat::default()).unwrap();
    for c in &got.chunks {
        sink.push_base64(c.base64()).unwrap();
    }
    let duration = sink.finish().unwrap();
    assert_eq!(Some(duration), got.total_duration);
    let (spec, samples) = read_wav(&out);
    assert_eq!(
        (spec.channels, spec.sample_rate, spec.bits_per_sample),
        (1, 24_000, 16)
    );
    assert_eq!(samples, pcm16(&got.bytes));
}

#[test]
fn odd_sized_pcm16_deltas_are_joined() {
    let w = Workdir::new();
    let out = w.path("odd.wav");
    let samples: Vec<i16> = (0..1000).map(|i| (i * 37 - 9000) as i16).collect();
    let bytes: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()).collect();
    let mut sink = WavSink::create(&out, WireFormat::default()).unwrap();
    for piece in bytes.chunks(333) {
        sink.push_pcm16(piece).unwrap();
    }
    sink.finish().unwrap();
    assert_eq!(read_wav(&out).1, samples);
}

#[test]
fn g711_deltas_are_decoded_to_pcm16() {
    let w = Workdir::new();
    let got = convert(&w.path("speech.wav"), WireFormat::G711Ulaw);
    let out = w.path("ulaw.wav");
    let mut sink = WavSink::create(&out, WireFormat::G711Ulaw).unwrap();
    let mut expected = Vec::new();
    for c in &got.chunks {
        sink.push_base64(c.base64()).unwrap();
        decode_delta(c.base64(), WireFormat::G711Ulaw, &mut expected).unwrap();
    }
    sink.finish().unwrap();
    let (spec, samples) = read_wav(&out);
    assert_eq!(spec.sample_rate, 8_000);
    let direct: Vec<i16> = got.bytes.iter().map(|&b| g711::ulaw_decode(b)).collect();
    assert_eq!(samples, direct);
    assert_eq!(samples, expected);
}

/// Stopping early: a dropped sink finalizes the file; a sink that never runs its destructor
/// (process killed) still leaves a valid WAV with every whole second written so far.
#[test]
fn file_stays_valid_if_the_stream_stops_early() {
    let w = Workdir::new();
    let second = vec![1234i16; 24_000];

    let dropped = w.path("dropped.wav");
    {
        let mut sink = WavSink::create(&dropped, WireFormat::default()).unwrap();
        sink.push_samples(&second).unwrap();
        sink.push_samples(&second[..12_000]).unwrap();
        // No finish(): dropped here, as on an early return or a panic.
    }
    assert_eq!(read_wav(&dropped).1.len(), 36_000);

    let killed = w.path("killed.wav");
    let mut sink = WavSink::create(&killed, WireFormat::default()).unwrap();
    sink.push_samples(&second).unwrap();
    sink.push_samples(&second).unwrap();
    sink.push_samples(&second[..12_000]).unwrap();
    assert_eq!(sink.duration(), Duration::from_millis(2_500));
    std::mem::forget(sink); // no destructor: like a killed process
    let (_, samples) = read_wav(&killed);
    assert!(samples.len() >= 48_000, "{} samples", samples.len());
    assert!(samples.iter().all(|&s| s == 1234));

    // An explicit flush makes everything so far durable.
    let flushed = w.path("flushed.wav");
    let mut sink = WavSink::create(&flushed, WireFormat::default()).unwrap();
    sink.push_samples(&second[..5_000]).unwrap();
    sink.flush().unwrap();
    std::mem::forget(sink);
    assert_eq!(read_wav(&flushed).1.len(), 5_000);
}

#[test]
fn bad_base64_is_an_error() {
    let w = Workdir::new();
    let mut sink = WavSink::create(w.path("bad.wav"), WireFormat::default()).unwrap();
    let err = sink.push_base64("not base64!").unwrap_err();
    assert!(matches!(err, rtclient_audio::Error::Base64 { .. }), "{err}");
    let err = sink.push_pcm16(&[]).map(|_| ());
    assert!(err.is_ok());
    let mut ulaw = WavSink::create(w.path("u.wav"), WireFormat::G711Ulaw).unwrap();
    assert!(ulaw.push_pcm16(&[0, 0]).is_err());
}
