//! Makes test audio with espeak-ng, sox and hound in a temporary directory.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use rtclient_audio::{AudioSource, WireFormat};
use tempfile::TempDir;

/// Runs a tool, failing the test with a pointer to `scripts/setup` if it is missing or fails.
pub(crate) fn run(tool: &str, args: &[&str]) {
    let out = Command::new(tool).args(args).output().unwrap_or_else(|e| {
        panic!(
            "cannot run `{tool}` ({e}): the audio tests need espeak-ng and sox; run scripts/setup"
        )
    });
    assert!(
        out.status.success(),
        "`{tool} {}` failed (missing codec? run scripts/setup): {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A scratch directory holding a spoken sentence (`speech.wav`, 22.05 kHz mono, from espeak-ng).
pub(crate) struct Workdir {
    pub(crate) dir: TempDir,
}

impl Workdir {
    pub(crate) fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let w = Workdir { dir };
        run(
            "espeak-ng",
            &[
                "-w",
                w.path("speech.wav").to_str().unwrap(),
                "The quick brown fox jumps over the lazy dog, then streams itself to a server.",
            ],
        );
        w
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Converts the speech with sox: `sox -D speech.wav [opts...] name`.
    pub(crate) fn sox_speech(&self, name: &str, opts: &[&str]) -> PathBuf {
        let out = self.path(name);
        let input = self.path("speech.wav");
        // -D: no dither, so conversions are deterministic.
        let mut args = vec!["-D", input.to_str().unwrap()];
        args.extend_from_slice(opts);
        args.push(out.to_str().unwrap());
        run("sox", &args);
        out
    }

    /// A tone made by sox: `sox -n -r RATE -c CH name synth SECONDS EFFECT...`.
    pub(crate) fn sox_synth(
        &self,
        name: &str,
        rate: u32,
        channels: u32,
        synth: &[&str],
    ) -> PathBuf {
        let out = self.path(name);
        let (r, c) = (rate.to_string(), channels.to_string());
        let mut args = vec![
            "-n",
            "-r",
            &r,
            "-c",
            &c,
            "-b",
            "16",
            out.to_str().unwrap(),
            "synth",
        ];
        args.extend_from_slice(synth);
        run("sox", &args);
        out
    }
}

/// Frames (samples per channel) in a file according to sox.
pub(crate) fn sox_frames(path: &Path) -> u64 {
    let out = Command::new("sox")
        .args(["--i", "-s", path.to_str().unwrap()])
        .output()
        .expect("sox --i: run scripts/setup");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("sox --i -s output")
}

/// Writes a 16-bit WAV with hound from per-channel sample functions of time (seconds).
pub(crate) fn write_wav(path: &Path, rate: u32, frames: usize, channels: &[&dyn Fn(f64) -> f64]) {
    let spec = hound::WavSpec {
        channels: channels.len() as u16,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for i in 0..frames {
        let t = i as f64 / f64::from(rate);
        for ch in channels {
            w.write_sample((ch(t) * 32767.0).round() as i16).unwrap();
        }
    }
    w.finalize().unwrap();
}

/// Everything a file converts to: wire bytes, chunk count.
pub(crate) struct Converted {
    pub(crate) bytes: Vec<u8>,
    pub(crate) chunks: Vec<rtclient_audio::Chunk>,
    pub(crate) total_duration: Option<Duration>,
}

pub(crate) fn convert(path: &Path, format: WireFormat) -> Converted {
    let chunks = AudioSource::open(path)
        .unwrap_or_else(|e| panic!("open {}: {e}", path.display()))
        .to_wire(format)
        .unwrap()
        .chunks(Duration::from_millis(100))
        .unwrap();
    let total_duration = chunks.total_duration();
    let chunks: Vec<_> = chunks
        .map(|c| c.unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .collect();
    let bytes = chunks.iter().flat_map(|c| c.bytes().to_vec()).collect();
    Converted {
        bytes,
        chunks,
        total_duration,
    }
}

pub(crate) fn pcm16(bytes: &[u8]) -> Vec<i16> {
    bytes
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect()
}

/// Magnitude of frequency `freq` in `samples` (Goertzel), normalised so a full-scale sine of
/// amplitude A gives about A.
pub(crate) fn tone_level(samples: &[f64], rate: u32, freq: f64) -> f64 {
    let w = 2.0 * std::f64::consts::PI * freq / f64::from(rate);
    let coeff = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0, 0.0);
    for &x in samples {
        let s0 = x + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    let power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    2.0 * power.max(0.0).sqrt() / samples.len() as f64
}

pub(crate) fn to_f64(samples: &[i16]) -> Vec<f64> {
    samples.iter().map(|&s| f64::from(s) / 32768.0).collect()
}
