//! The built-in speech engine: the `espeak-ng` command (Debian package `espeak-ng`), which
//! speaks English and many other languages with no model files, hundreds of times faster than
//! real time. Each Realtime voice name maps to its own espeak-ng voice variant, so two sessions
//! with different voices sound different and the same text always gives the same audio.

use std::ffi::OsString;
use std::process::Command;

use super::{Speech, SynthesisError, Synthesizer};

/// Speech synthesis by the `espeak-ng` command.
#[derive(Debug, Clone)]
pub struct EspeakSynthesizer {
    program: OsString,
    words_per_minute: u32,
}

impl EspeakSynthesizer {
    /// Runs `espeak-ng` from `PATH` at 175 words per minute.
    pub fn new() -> Self {
        Self {
            program: OsString::from("espeak-ng"),
            words_per_minute: 175,
        }
    }

    /// Runs this program instead of `espeak-ng` from `PATH` (it must accept espeak-ng's flags).
    pub fn program(mut self, program: impl Into<OsString>) -> Self {
        self.program = program.into();
        self
    }

    /// Speaking rate in words per minute (espeak-ng's `-s`).
    pub fn words_per_minute(mut self, words_per_minute: u32) -> Self {
        self.words_per_minute = words_per_minute;
        self
    }

    fn program_name(&self) -> String {
        self.program.to_string_lossy().into_owned()
    }
}

impl Default for EspeakSynthesizer {
    fn default() -> Self {
        Self::new()
    }
}

impl Synthesizer for EspeakSynthesizer {
    fn synthesize(&self, text: &str, voice: &str) -> Result<Speech, SynthesisError> {
        let output = Command::new(&self.program)
            .arg("--stdout")
            .args(["-v", espeak_voice(voice)])
            .args(["-s", &self.words_per_minute.to_string()])
            // `--` keeps text that starts with `-` from being read as a flag.
            .arg("--")
            .arg(text)
            .output()
            .map_err(|source| SynthesisError::Spawn {
                program: self.program_name(),
                source,
            })?;
        if !output.status.success() {
            return Err(SynthesisError::Failed {
                program: self.program_name(),
                status: output.status,
                stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
            });
        }
        parse_streamed_wav(&output.stdout).map_err(|reason| SynthesisError::BadOutput {
            program: self.program_name(),
            reason,
        })
    }
}

/// The espeak-ng voice for a Realtime voice name: English (US) with a distinct variant each.
fn espeak_voice(voice: &str) -> &'static str {
    match voice {
        "alloy" => "en-us+f3",
        "ash" => "en-us+m3",
        "ballad" => "en-gb+m2",
        "coral" => "en-us+f2",
        "echo" => "en-us+m1",
        "sage" => "en-us+f4",
        "shimmer" => "en-us+f5",
        "verse" => "en-us+m4",
        "marin" => "en-us+f1",
        "cedar" => "en-us+m7",
        _ => "en-us",
    }
}

/// Reads the WAV espeak-ng writes to a pipe: a canonical 44-byte PCM16 mono header whose size
/// fields are placeholders (the length is unknown while streaming), then the samples.
fn parse_streamed_wav(bytes: &[u8]) -> Result<Speech, &'static str> {
    const HEADER_LEN: usize = 44;
    let header = bytes.get(..HEADER_LEN).ok_or("shorter than a WAV header")?;
    if &header[0..4] != b"RIFF" || &header[8..12] != b"WAVE" || &header[12..16] != b"fmt " {
        return Err("not a WAV stream");
    }
    let format = u16::from_le_bytes([header[20], header[21]]);
    let channels = u16::from_le_bytes([header[22], header[23]]);
    let bits = u16::from_le_bytes([header[34], header[35]]);
    if format != 1 || channels != 1 || bits != 16 || &header[36..40] != b"data" {
        return Err("not 16-bit mono PCM");
    }
    let sample_rate = u32::from_le_bytes([header[24], header[25], header[26], header[27]]);
    if sample_rate == 0 {
        return Err("sample rate 0");
    }
    let samples = bytes[HEADER_LEN..]
        .chunks_exact(2)
        .map(|pair| i16::from_le_bytes([pair[0], pair[1]]))
        .collect();
    Ok(Speech {
        sample_rate,
        samples,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speaks_text_as_audible_pcm() {
        let speech = EspeakSynthesizer::new()
            .synthesize("Hello from the local server.", "alloy")
            .expect("espeak-ng is installed (scripts/setup)");
        assert_eq!(speech.sample_rate, 22_050);
        assert!(
            (1000..4000).contains(&speech.duration_ms()),
            "{} ms",
            speech.duration_ms()
        );
        let peak = speech.samples.iter().map(|s| s.unsigned_abs()).max();
        assert!(peak > Some(3000), "peak {peak:?}");
    }

    #[test]
    fn is_deterministic_and_voices_differ() {
        let synth = EspeakSynthesizer::new();
        let a = synth.synthesize("Testing one two three.", "alloy").unwrap();
        let again = synth.synthesize("Testing one two three.", "alloy").unwrap();
        let b = synth.synthesize("Testing one two three.", "echo").unwrap();
        let first_difference = a
            .samples
            .iter()
            .zip(&again.samples)
            .position(|(x, y)| x != y);
        assert!(
            a == again,
            "two runs of the same text differ: {} and {} samples at {} and {} Hz, first \
             different sample {first_difference:?}",
            a.samples.len(),
            again.samples.len(),
            a.sample_rate,
            again.sample_rate,
        );
        assert_ne!(a.samples, b.samples);
    }

    #[test]
    fn text_starting_with_a_dash_is_spoken_not_parsed_as_a_flag() {
        let speech = EspeakSynthesizer::new()
            .synthesize("-v is not a flag here", "alloy")
            .unwrap();
        assert!(speech.duration_ms() > 500);
    }

    #[test]
    fn a_missing_program_is_a_spawn_error_naming_it() {
        let err = EspeakSynthesizer::new()
            .program("/nonexistent/espeak-ng")
            .synthesize("hi", "alloy")
            .unwrap_err();
        assert!(matches!(err, SynthesisError::Spawn { .. }), "{err:?}");
        assert!(err.to_string().contains("/nonexistent/espeak-ng"), "{err}");
    }

    #[test]
    fn rejects_output_that_is_not_a_pcm_wav() {
        assert_eq!(
            parse_streamed_wav(b"RIFF"),
            Err("shorter than a WAV header")
        );
        assert_eq!(parse_streamed_wav(&[0u8; 60]), Err("not a WAV stream"));
    }
}
