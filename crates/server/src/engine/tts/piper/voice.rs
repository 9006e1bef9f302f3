//! Piper text to speech through ONNX Runtime: the `en_US-joe-medium` voice (CC0), with IPA
//! phonemes from the `espeak-ng` command (run as a separate program, not linked, so its GPL
//! licence stays with it).
//!
//! Each sentence is one model run; inside it, each clause is phonemized on its own and keeps its
//! punctuation, as Piper was trained. Phonemes become ids through the voice's `phoneme_id_map`:
//! `^`, then every phoneme followed by the pad `_`, then `$`.
//!
//! There is one English Piper voice on the registries, so every Realtime voice name speaks with
//! joe; each name gets its own speaking rate and variation ([`voice_style`]), which makes them
//! audibly different without pretending to be other speakers.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::Path;
use std::process::Command;
use std::sync::{Mutex, PoisonError};

use ort::session::Session;
use ort::value::TensorRef;

use super::{PIPER_VOICE, PIPER_VOICE_CONFIG};
use crate::engine::models::ModelsDir;
use crate::engine::onnx::{self, OnnxError};
use crate::engine::tts::{Speech, SynthesisError, Synthesizer};

/// How one Realtime voice name sounds on the Piper voice.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct VoiceStyle {
    /// Phoneme length: above 1 speaks slower.
    pub length_scale: f32,
    /// Variation of the voice.
    pub noise_scale: f32,
    /// Variation of the phoneme lengths.
    pub noise_w: f32,
}

/// The style of each Realtime voice name; unknown names speak like `alloy`.
pub(crate) fn voice_style(voice: &str) -> VoiceStyle {
    let (length_scale, noise_scale, noise_w) = match voice {
        "ash" => (0.95, 0.6, 0.7),
        "ballad" => (1.15, 0.667, 0.8),
        "coral" => (1.0, 0.75, 0.9),
        "echo" => (1.08, 0.5, 0.6),
        "sage" => (1.1, 0.6, 0.8),
        "shimmer" => (0.92, 0.8, 0.9),
        "verse" => (1.05, 0.7, 1.0),
        "marin" => (0.98, 0.667, 0.8),
        "cedar" => (1.12, 0.55, 0.7),
        _ => (1.0, 0.667, 0.8),
    };
    VoiceStyle {
        length_scale,
        noise_scale,
        noise_w,
    }
}

/// The Piper voice, loaded once and shared by every session.
pub struct PiperSynthesizer {
    session: Mutex<Session>,
    phoneme_ids: HashMap<char, Vec<i64>>,
    sample_rate: u32,
    espeak: OsString,
}

impl std::fmt::Debug for PiperSynthesizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PiperSynthesizer")
            .field("sample_rate", &self.sample_rate)
            .finish_non_exhaustive()
    }
}

/// The three special ids every phoneme sequence uses.
const BEGIN: char = '^';
const END: char = '$';
const PAD: char = '_';

impl PiperSynthesizer {
    /// Loads the voice and its config from the models folder, and checks that `espeak-ng`
    /// phonemizes.
    pub fn load(models: &ModelsDir) -> Result<Self, OnnxError> {
        let config_path = models.require(PIPER_VOICE_CONFIG)?;
        let (phoneme_ids, sample_rate) = read_config(&config_path)?;
        let session = onnx::session(models, PIPER_VOICE)?;
        let synth = Self {
            session: Mutex::new(session),
            phoneme_ids,
            sample_rate,
            espeak: OsString::from("espeak-ng"),
        };
        synth
            .phonemize("ok")
            .map_err(|error| OnnxError::Inference {
                model: PIPER_VOICE,
                reason: error.to_string(),
            })?;
        Ok(synth)
    }

    /// The IPA phonemes of one clause, from `espeak-ng -q -v en-us --ipa`.
    fn phonemize(&self, clause: &str) -> Result<String, SynthesisError> {
        let program = || self.espeak.to_string_lossy().into_owned();
        let output = Command::new(&self.espeak)
            .args(["-q", "-v", "en-us", "--ipa", "--"])
            .arg(clause)
            .output()
            .map_err(|source| SynthesisError::Spawn {
                program: program(),
                source,
            })?;
        if !output.status.success() {
            return Err(SynthesisError::Failed {
                program: program(),
                status: output.status,
                stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
            });
        }
        let text = String::from_utf8_lossy(&output.stdout);
        Ok(text.split_whitespace().collect::<Vec<_>>().join(" "))
    }

    /// The phoneme ids of one sentence: each clause's phonemes with its punctuation.
    fn sentence_ids(&self, sentence: &str) -> Result<Vec<i64>, SynthesisError> {
        let mut phonemes = String::new();
        for (clause, punctuation) in clauses(sentence) {
            let ipa = self.phonemize(clause)?;
            if ipa.is_empty() {
                continue;
            }
            if !phonemes.is_empty() {
                phonemes.push(' ');
            }
            phonemes.push_str(&ipa);
            phonemes.extend(punctuation);
        }
        let mut ids = Vec::with_capacity(phonemes.len() * 2 + 3);
        let push = |ids: &mut Vec<i64>, symbol: char| {
            if let Some(found) = self.phoneme_ids.get(&symbol) {
                ids.extend_from_slice(found);
            }
        };
        push(&mut ids, BEGIN);
        push(&mut ids, PAD);
        for symbol in phonemes.chars() {
            if self.phoneme_ids.contains_key(&symbol) {
                push(&mut ids, symbol);
                push(&mut ids, PAD);
            }
        }
        push(&mut ids, END);
        Ok(ids)
    }

    /// Runs the voice on one sentence's ids; 16-bit samples at the voice's rate.
    fn speak_ids(&self, ids: &[i64], style: VoiceStyle) -> Result<Vec<i16>, SynthesisError> {
        let failed = |error: ort::Error| SynthesisError::Model {
            reason: error.to_string(),
        };
        let lengths = [ids.len() as i64];
        let scales = [style.noise_scale, style.length_scale, style.noise_w];
        let inputs = ort::inputs![
            "input" => TensorRef::from_array_view(([1usize, ids.len()], ids)).map_err(failed)?,
            "input_lengths" => TensorRef::from_array_view(([1usize], &lengths[..])).map_err(failed)?,
            "scales" => TensorRef::from_array_view(([3usize], &scales[..])).map_err(failed)?,
        ];
        // A poisoned lock only means another synthesis panicked mid-run; the session is intact.
        let mut session = self.session.lock().unwrap_or_else(PoisonError::into_inner);
        let outputs = session.run(inputs).map_err(failed)?;
        let (_, audio) = outputs["output"]
            .try_extract_tensor::<f32>()
            .map_err(failed)?;
        Ok(audio
            .iter()
            .map(|s| (s * 32767.0).clamp(-32768.0, 32767.0) as i16)
            .collect())
    }
}

impl Synthesizer for PiperSynthesizer {
    fn synthesize(&self, text: &str, voice: &str) -> Result<Speech, SynthesisError> {
        let mut samples = Vec::new();
        self.stream(text, voice, &mut |speech| {
            samples.extend_from_slice(&speech.samples);
            true
        })?;
        Ok(Speech {
            sample_rate: self.sample_rate,
            samples,
        })
    }

    fn stream(
        &self,
        text: &str,
        voice: &str,
        sink: &mut dyn FnMut(Speech) -> bool,
    ) -> Result<(), SynthesisError> {
        let style = voice_style(voice);
        for sentence in sentences(text) {
            let ids = self.sentence_ids(sentence)?;
            // `^ _ $` alone: nothing speakable (only symbols the voice has no phonemes for).
            if ids.len() <= 3 {
                continue;
            }
            let samples = self.speak_ids(&ids, style)?;
            let speech = Speech {
                sample_rate: self.sample_rate,
                samples,
            };
            if !sink(speech) {
                break;
            }
        }
        Ok(())
    }
}

/// The phoneme id map and sample rate of a Piper voice config (`*.onnx.json`).
fn read_config(path: &Path) -> Result<(HashMap<char, Vec<i64>>, u32), OnnxError> {
    let invalid = |reason: String| OnnxError::Session {
        model: PIPER_VOICE_CONFIG,
        path: path.to_owned(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| invalid(e.to_string()))?;
    #[derive(serde::Deserialize)]
    struct Audio {
        sample_rate: u32,
    }
    #[derive(serde::Deserialize)]
    struct Config {
        audio: Audio,
        phoneme_id_map: HashMap<String, Vec<i64>>,
    }
    let config: Config = serde_json::from_str(&text).map_err(|e| invalid(e.to_string()))?;
    let map: HashMap<char, Vec<i64>> = config
        .phoneme_id_map
        .into_iter()
        .filter_map(|(symbol, ids)| {
            let mut chars = symbol.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => Some((c, ids)),
                _ => None,
            }
        })
        .collect();
    if [BEGIN, END, PAD].iter().any(|c| !map.contains_key(c)) || config.audio.sample_rate == 0 {
        return Err(invalid(
            "no sample rate, or no ids for ^, $ and _: not a Piper voice config".to_owned(),
        ));
    }
    Ok((map, config.audio.sample_rate))
}

/// The sentences of `text`, each with its final punctuation.
fn sentences(text: &str) -> impl Iterator<Item = &str> {
    split_after(text, &['.', '!', '?', '\n'])
        .map(str::trim)
        .filter(|s| s.chars().any(char::is_alphanumeric))
}

/// The clauses of a sentence, each with the punctuation that ends it.
fn clauses(sentence: &str) -> impl Iterator<Item = (&str, Option<char>)> {
    const MARKS: [char; 6] = [',', ';', ':', '.', '!', '?'];
    split_after(sentence, &MARKS).filter_map(|clause| {
        let clause = clause.trim();
        let punctuation = clause.chars().last().filter(|c| MARKS.contains(c));
        let words = clause.trim_end_matches(MARKS).trim();
        (!words.is_empty()).then_some((words, punctuation))
    })
}

/// `text` cut after each of `marks` that ends a word (so "3.5" and "e.g" stay whole).
fn split_after<'a>(text: &'a str, marks: &'a [char]) -> impl Iterator<Item = &'a str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let mut chars = rest.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            let ends_word = chars.peek().is_none_or(|(_, next)| next.is_whitespace());
            if marks.contains(&c) && ends_word {
                let (head, tail) = rest.split_at(i + c.len_utf8());
                rest = tail;
                return Some(head);
            }
        }
        Some(std::mem::take(&mut rest))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_splits_into_sentences_and_clauses_with_their_punctuation() {
        let text = "Hello there, friend. How are you? Fine";
        assert_eq!(
            sentences(text).collect::<Vec<_>>(),
            ["Hello there, friend.", "How are you?", "Fine"]
        );
        assert_eq!(
            clauses("Hello there, friend.").collect::<Vec<_>>(),
            [("Hello there", Some(',')), ("friend", Some('.'))]
        );
        assert_eq!(clauses("Fine").collect::<Vec<_>>(), [("Fine", None)]);
        assert_eq!(sentences("... !").count(), 0);
        assert_eq!(
            sentences("It is 3.5 degrees. Yes").collect::<Vec<_>>(),
            ["It is 3.5 degrees.", "Yes"]
        );
    }

    #[test]
    fn voices_differ_in_style() {
        assert_ne!(voice_style("echo"), voice_style("shimmer"));
        assert_eq!(voice_style("unknown"), voice_style("alloy"));
    }
}
