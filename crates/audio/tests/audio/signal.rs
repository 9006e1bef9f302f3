//! The audio itself survives: down-mix, frequencies, G.711, clipping.

use std::f64::consts::PI;

use rtclient_audio::{AudioSource, WireFormat, g711};

use crate::testutil::{Workdir, convert, pcm16, run, to_f64, tone_level, write_wav};

/// Left 440 Hz at 0.5, right 1000 Hz at 0.25: the mono output holds both at half their level.
/// Left s(t), right -s(t): the mono output is silence.
#[test]
fn downmix_averages_channels() {
    let w = Workdir::new();
    let path = w.path("lr.wav");
    let left = |t: f64| 0.5 * (2.0 * PI * 440.0 * t).sin();
    let right = |t: f64| 0.25 * (2.0 * PI * 1000.0 * t).sin();
    write_wav(&path, 48_000, 48_000, &[&left, &right]);
    let out = to_f64(&pcm16(&convert(&path, WireFormat::default()).bytes));
    assert_eq!(out.len(), 24_000);
    let body = &out[2_400..21_600];
    let l = tone_level(body, 24_000, 440.0);
    let r = tone_level(body, 24_000, 1000.0);
    assert!((l - 0.25).abs() < 0.01, "440 Hz level {l}");
    assert!((r - 0.125).abs() < 0.01, "1000 Hz level {r}");

    let opposite = w.path("opposite.wav");
    let minus = |t: f64| -left(t);
    write_wav(&opposite, 16_000, 16_000, &[&left, &minus]);
    let out = pcm16(&convert(&opposite, WireFormat::default()).bytes);
    let peak = out.iter().map(|s| s.unsigned_abs()).max().unwrap();
    assert!(peak <= 1, "L + (-L) should cancel, peak {peak}");
}

/// A 1 kHz sine made by sox at each input rate keeps its frequency after resampling to 24 kHz
/// and to G.711 8 kHz: the spectral peak among 500..=1500 Hz (10 Hz steps) is at 1000 Hz.
#[test]
fn resampled_sine_keeps_its_frequency() {
    let w = Workdir::new();
    for rate in [8_000u32, 16_000, 22_050, 44_100, 48_000] {
        let path = w.sox_synth(
            &format!("sine{rate}.wav"),
            rate,
            2,
            &["2", "sine", "1000", "vol", "0.5"],
        );
        for format in [WireFormat::default(), WireFormat::G711Ulaw] {
            let bytes = convert(&path, format).bytes;
            let samples = match format {
                WireFormat::G711Ulaw => bytes.iter().map(|&b| g711::ulaw_decode(b)).collect(),
                _ => pcm16(&bytes),
            };
            let out_rate = format.sample_rate();
            let x = to_f64(&samples);
            let body = &x[x.len() / 10..x.len() * 9 / 10];
            let (best, level) = (50..=150)
                .map(|f| f64::from(f) * 10.0)
                .map(|f| (f, tone_level(body, out_rate, f)))
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .unwrap();
            assert_eq!(best, 1000.0, "{rate} Hz -> {format}");
            assert!(
                (level - 0.5).abs() < 0.03,
                "{rate} Hz -> {format}: level {level}"
            );
        }
    }
}

/// A mu-law WAV sent as mu-law at 8 kHz comes out byte for byte as it went in (bit-exact
/// decode + encode, no resampling); the same for A-law.
#[test]
fn g711_wav_to_g711_wire_is_bit_exact() {
    let w = Workdir::new();
    for (enc, raw_type, format) in [
        ("mu-law", "ul", WireFormat::G711Ulaw),
        ("a-law", "al", WireFormat::G711Alaw),
    ] {
        let wav = w.sox_speech(&format!("{enc}.wav"), &["-r", "8000", "-e", enc]);
        let raw = w.path(&format!("{enc}.{raw_type}"));
        run(
            "sox",
            &[wav.to_str().unwrap(), "-t", raw_type, raw.to_str().unwrap()],
        );
        let expected = std::fs::read(&raw).unwrap();
        let got = convert(&wav, format).bytes;
        assert_eq!(got.len(), expected.len(), "{enc}");
        // mu-law has two zeros (0x7F, 0xFF); both decode to 0 and re-encode as 0xFF.
        let same = got
            .iter()
            .zip(&expected)
            .all(|(g, e)| g == e || (format == WireFormat::G711Ulaw && *e == 0x7F && *g == 0xFF));
        assert!(same, "{enc}: bytes differ");
    }
}

/// Speech sent as G.711 and decoded back is within the codec's error bound of the PCM16 path.
#[test]
fn g711_round_trip_error_within_bound() {
    let w = Workdir::new();
    let path = w.sox_speech("speech8k.wav", &["-r", "8000"]);
    let pcm = pcm16(&convert(&path, WireFormat::Pcm16 { rate: 8_000 }).bytes);
    for (format, decode) in [
        (WireFormat::G711Ulaw, g711::ulaw_decode as fn(u8) -> i16),
        (WireFormat::G711Alaw, g711::alaw_decode),
    ] {
        let wire = convert(&path, format).bytes;
        assert_eq!(wire.len(), pcm.len());
        for (&b, &x) in wire.iter().zip(&pcm) {
            let err = (i32::from(decode(b)) - i32::from(x)).abs();
            let bound = (i32::from(x).abs() / 32).max(8) + 8;
            assert!(err <= bound, "{format}: {x} -> {err} > {bound}");
        }
    }
}

/// A float WAV louder than full scale is clipped, not wrapped.
#[test]
fn overload_clips_instead_of_wrapping() {
    let w = Workdir::new();
    let path = w.path("loud.wav");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 24_000,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut wr = hound::WavWriter::create(&path, spec).unwrap();
    for i in 0..2_400 {
        wr.write_sample(2.0f32 * (2.0 * PI * 100.0 * f64::from(i) / 24_000.0).sin() as f32)
            .unwrap();
    }
    wr.finalize().unwrap();
    let source = AudioSource::open(&path).unwrap();
    assert_eq!(source.codec(), "pcm_f32le");
    let out = pcm16(&convert(&path, WireFormat::default()).bytes);
    // The first quarter period rises monotonically to the clip level and stays there.
    assert!(out[..60].windows(2).all(|p| p[1] >= p[0]));
    assert_eq!(out[60], i16::MAX);
    assert_eq!(out[180], i16::MIN);
    assert_eq!(*out.iter().max().unwrap(), i16::MAX);
}
