//! Every supported input decodes to the exact number of wire samples.

use rtclient_audio::{AudioSource, RawPcm16, WireFormat, output_len};

use crate::testutil::{Workdir, convert, pcm16, sox_frames};

/// Speech at 8/16/22.05/44.1/48 kHz, mono and stereo, to 24 kHz PCM16: sample count is exactly
/// round(frames * 24000 / rate), and the stream knows its total duration up front.
#[test]
fn wav_speech_at_all_rates_and_layouts_has_exact_length() {
    let w = Workdir::new();
    for rate in [8_000u32, 16_000, 22_050, 44_100, 48_000] {
        for channels in [1u32, 2] {
            let name = format!("speech_{rate}_{channels}.wav");
            let path = w.sox_speech(
                &name,
                &["-r", &rate.to_string(), "-c", &channels.to_string()],
            );
            let frames = sox_frames(&path);
            let source = AudioSource::open(&path).unwrap();
            assert_eq!(source.sample_rate(), rate);
            assert_eq!(source.channels(), channels as usize);
            assert_eq!(source.frames(), Some(frames));
            let want = output_len(rate, 24_000, frames);
            let got = convert(&path, WireFormat::default());
            assert_eq!(got.bytes.len() as u64, want * 2, "{name}: {frames} frames");
            let total = got.total_duration.unwrap();
            assert_eq!(got.chunks.last().unwrap().end(), total, "{name}");
            // Speech, not silence.
            let peak = pcm16(&got.bytes)
                .iter()
                .map(|s| s.unsigned_abs())
                .max()
                .unwrap();
            assert!(peak > 3_000, "{name}: peak {peak}");
        }
    }
}

/// Every WAV sample encoding sox writes, plus FLAC and OGG Vorbis: exact lengths, and the
/// lossless ones give the same audio as the 16-bit original.
#[test]
fn wav_encodings_flac_and_vorbis() {
    let w = Workdir::new();
    let original = convert(&w.path("speech.wav"), WireFormat::default());
    let reference = pcm16(&original.bytes);
    let frames = sox_frames(&w.path("speech.wav"));
    let want = output_len(22_050, 24_000, frames) as usize;
    assert_eq!(reference.len(), want);

    // (file, sox options, max sample difference from the 16-bit original after conversion)
    let cases: &[(&str, &[&str], i32)] = &[
        ("u8.wav", &["-b", "8"], 400),
        ("s24.wav", &["-b", "24"], 0),
        ("s32.wav", &["-b", "32"], 0),
        ("f32.wav", &["-e", "floating-point", "-b", "32"], 0),
        ("f64.wav", &["-e", "floating-point", "-b", "64"], 0),
        ("mulaw.wav", &["-e", "mu-law"], 1_100),
        ("alaw.wav", &["-e", "a-law"], 1_100),
        ("speech.flac", &[], 0),
    ];
    for (name, opts, tolerance) in cases {
        let path = w.sox_speech(name, opts);
        let got = pcm16(&convert(&path, WireFormat::default()).bytes);
        assert_eq!(got.len(), want, "{name}");
        let max_diff = got
            .iter()
            .zip(&reference)
            .map(|(a, b)| (i32::from(*a) - i32::from(*b)).abs())
            .max()
            .unwrap();
        assert!(max_diff <= *tolerance, "{name}: max difference {max_diff}");
    }

    // Vorbis is lossy: length exact, content close (correlation).
    let ogg = w.sox_speech("speech.ogg", &["-r", "48000", "-c", "2"]);
    let src = AudioSource::open(&ogg).unwrap();
    assert_eq!(src.codec(), "vorbis");
    let got = pcm16(&convert(&ogg, WireFormat::default()).bytes);
    let ogg_frames = sox_frames(&ogg);
    assert_eq!(got.len() as u64, output_len(48_000, 24_000, ogg_frames));
    assert!(correlation(&got, &reference) > 0.95);
}

/// MP3 (sox writes it with LAME): length within one MP3 frame of sox's count, same audio.
#[test]
fn mp3() {
    let w = Workdir::new();
    let reference = pcm16(&convert(&w.path("speech.wav"), WireFormat::default()).bytes);
    let mp3 = w.sox_speech("speech.mp3", &["-r", "44100", "-c", "2"]);
    let src = AudioSource::open(&mp3).unwrap();
    assert_eq!(src.codec(), "mp3");
    assert_eq!(src.channels(), 2);
    let got = pcm16(&convert(&mp3, WireFormat::default()).bytes);
    let sox_len = output_len(44_100, 24_000, sox_frames(&mp3)) as i64;
    assert!(
        (got.len() as i64 - sox_len).abs() <= 1152,
        "{} vs {sox_len}",
        got.len()
    );
    // The encoder adds some start-up delay; find it (at most ~60 ms) and compare from there.
    let (lag, best) = (0..1_500)
        .step_by(1)
        .map(|lag| (lag, correlation(&got[lag..], &reference)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap();
    assert!(best > 0.95, "best correlation {best} at lag {lag}");
}

/// Headerless PCM16: same result as the WAV it came from.
#[test]
fn raw_pcm16() {
    let w = Workdir::new();
    let wav = w.sox_speech("stereo16k.wav", &["-r", "16000", "-c", "2"]);
    let raw = w.path("stereo16k.raw");
    crate::testutil::run(
        "sox",
        &[wav.to_str().unwrap(), "-t", "s16", raw.to_str().unwrap()],
    );
    let from_wav = convert(&wav, WireFormat::default()).bytes;
    let source = AudioSource::open_raw(
        &raw,
        RawPcm16 {
            sample_rate: 16_000,
            channels: 2,
        },
    )
    .unwrap();
    assert_eq!(source.frames(), Some(sox_frames(&wav)));
    let mut from_raw = Vec::new();
    for chunk in source
        .to_wire(WireFormat::default())
        .unwrap()
        .chunks(std::time::Duration::from_millis(100))
        .unwrap()
    {
        from_raw.extend_from_slice(chunk.unwrap().bytes());
    }
    assert_eq!(from_raw, from_wav);
}

/// Other targets: G.711 (8 kHz) and arbitrary PCM16 rates get exact lengths too.
#[test]
fn other_targets_have_exact_length() {
    let w = Workdir::new();
    let path = w.sox_speech("speech44.wav", &["-r", "44100", "-c", "2"]);
    let frames = sox_frames(&path);
    for (format, bytes_per_sample) in [
        (WireFormat::G711Ulaw, 1u64),
        (WireFormat::G711Alaw, 1),
        (WireFormat::Pcm16 { rate: 16_000 }, 2),
        (WireFormat::Pcm16 { rate: 44_100 }, 2),
        (WireFormat::Pcm16 { rate: 11_025 }, 2),
    ] {
        let got = convert(&path, format);
        let want = output_len(44_100, format.sample_rate(), frames) * bytes_per_sample;
        assert_eq!(got.bytes.len() as u64, want, "{format}");
    }
}

fn correlation(a: &[i16], b: &[i16]) -> f64 {
    let n = a.len().min(b.len());
    let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
    for i in 0..n {
        let (x, y) = (f64::from(a[i]), f64::from(b[i]));
        ab += x * y;
        aa += x * x;
        bb += y * y;
    }
    ab / (aa.sqrt() * bb.sqrt())
}
