//! Moonshine tiny (English) speech recognition through ONNX Runtime: the audio encoder, then
//! the merged decoder with its KV cache, decoded by a beam search.
//!
//! The model handles at most about 9 s of audio at once, so longer audio is cut at its quietest
//! moment before each 8.4 s mark and the pieces are decoded one after another. Each piece is
//! framed by 0.3 s of silence: Moonshine mishears speech that starts or ends abruptly.

use std::borrow::Cow;
use std::sync::{Mutex, MutexGuard, PoisonError};

use ort::session::{Session, SessionInputValue};
use ort::value::{DynValue, Tensor, TensorRef};

use super::vocabulary::{Vocabulary, VocabularyError};
use super::{MOONSHINE_DECODER, MOONSHINE_ENCODER, MOONSHINE_TOKENIZER};
use crate::engine::models::ModelsDir;
use crate::engine::onnx::{self, OnnxError};
use crate::engine::stt::{
    STT_SAMPLE_RATE, TokenLogprob, Transcriber, Transcript, TranscriptionError, TurnAudio,
    holds_no_speech, rms,
};

/// Sample rate the model hears.
pub const MOONSHINE_SAMPLE_RATE: u32 = STT_SAMPLE_RATE;
/// Silence added before and after each piece.
const PADDING: usize = 3 * MOONSHINE_SAMPLE_RATE as usize / 10;
/// Longest piece of audio decoded at once, so that with its padding it stays under 9 s (the
/// model fails from about 9.2 s).
const MAX_PIECE: usize = 9 * MOONSHINE_SAMPLE_RATE as usize - 2 * PADDING;
/// Where a long piece may be cut: in its last 5 s.
const CUT_WINDOW: usize = 5 * MOONSHINE_SAMPLE_RATE as usize;
/// Window over which loudness is measured when looking for a cut, and its step.
const QUIET_WINDOW: usize = MOONSHINE_SAMPLE_RATE as usize / 10;
const QUIET_STEP: usize = MOONSHINE_SAMPLE_RATE as usize / 100;
/// Token that starts every transcript, and the one that ends it.
const START_TOKEN: i64 = 1;
const END_TOKEN: u32 = 2;
/// Tokens decoded per second of audio, at most.
const TOKENS_PER_SECOND: f32 = 6.5;
/// Hypotheses the beam search keeps: wider than greedy decoding, which mishears synthetic
/// voices far more often (14 % of words wrong on the espeak-ng test set, against 5 %).
const BEAM_WIDTH: usize = 4;
/// Attention heads and head size of the tiny model's KV cache.
const HEADS: usize = 8;
const HEAD_DIM: usize = 36;

/// Why Moonshine cannot start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MoonshineError {
    /// A model could not be loaded.
    #[error(transparent)]
    Onnx(#[from] OnnxError),
    /// The tokenizer could not be loaded.
    #[error(transparent)]
    Vocabulary(#[from] VocabularyError),
}

/// One token of a transcript and the model's confidence in it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecognizedToken {
    /// The bytes the token stands for (a leading space marks a new word).
    pub bytes: Vec<u8>,
    /// Natural log of the probability the model gave the token.
    pub logprob: f32,
}

/// What Moonshine heard.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Recognition {
    /// The transcript.
    pub text: String,
    /// Its tokens, in order.
    pub tokens: Vec<RecognizedToken>,
}

/// One transcript being decoded: its tokens and logprobs so far and their summed logprob.
struct Hypothesis {
    tokens: Vec<(u32, f32)>,
    score: f32,
}

/// One kind of attention KV cache (`decoder`: the self-attention over the tokens so far, one
/// batch row per hypothesis; `encoder`: the cross-attention over the audio, the same for all)
/// as plain values: per `past_key_values.N.<kind>.*` input, its name and its values.
struct KvCache {
    entries: Vec<(String, Vec<f32>)>,
    /// Batch rows held.
    rows: usize,
    /// Positions (tokens or audio frames) each row holds.
    len: usize,
}

impl KvCache {
    /// The cache before the first step: every input of the kind, empty, for `layers` layers.
    fn empty(layers: usize, kind: &str) -> Self {
        let entries = (0..layers)
            .flat_map(|layer| {
                ["key", "value"]
                    .map(|part| (format!("past_key_values.{layer}.{kind}.{part}"), Vec::new()))
            })
            .collect();
        Self {
            entries,
            rows: 1,
            len: 0,
        }
    }

    /// The decoder's `present.*` outputs for this cache's inputs, keeping batch rows `rows`
    /// (in that order; a row may be kept more than once).
    fn gather(
        &self,
        outputs: &ort::session::SessionOutputs<'_>,
        rows: &[usize],
    ) -> Result<Self, OnnxError> {
        let failed = OnnxError::inference(MOONSHINE_DECODER);
        let mut len = 0;
        let mut entries = Vec::with_capacity(self.entries.len());
        for (name, _) in &self.entries {
            let present = name.replace("past_key_values", "present");
            let (shape, values) = outputs[present.as_str()]
                .try_extract_tensor::<f32>()
                .map_err(failed)?;
            len = shape.get(2).copied().unwrap_or(0).max(0) as usize;
            let row = HEADS * len * HEAD_DIM;
            let mut kept = Vec::with_capacity(rows.len() * row);
            for &index in rows {
                let Some(values) = values.get(index * row..(index + 1) * row) else {
                    return Err(OnnxError::Inference {
                        model: MOONSHINE_DECODER,
                        reason: format!("{present} has no batch row {index}"),
                    });
                };
                kept.extend_from_slice(values);
            }
            entries.push((name.clone(), kept));
        }
        Ok(Self {
            entries,
            rows: rows.len(),
            len,
        })
    }

    /// The cache as decoder inputs for a batch of `batch` rows: its one row repeated (the
    /// cross-attention cache, which every hypothesis reads and the next step reads again).
    fn inputs(&self, batch: usize) -> Result<Vec<(String, DynValue)>, OnnxError> {
        self.entries
            .iter()
            .map(|(name, values)| cache_input(name, values.repeat(batch), batch, self.len))
            .collect()
    }

    /// The cache as decoder inputs, one batch row per hypothesis, its values moved into them:
    /// it keeps only its names, which is all [`KvCache::gather`] reads for the next step.
    fn take_inputs(&mut self) -> Result<Vec<(String, DynValue)>, OnnxError> {
        let (rows, len) = (self.rows, self.len);
        self.entries
            .iter_mut()
            .map(|(name, values)| cache_input(name, std::mem::take(values), rows, len))
            .collect()
    }
}

/// The decoder input `name` holding `values`: `batch` rows of `len` positions.
fn cache_input(
    name: &str,
    values: Vec<f32>,
    batch: usize,
    len: usize,
) -> Result<(String, DynValue), OnnxError> {
    let shape = [batch, HEADS, len, HEAD_DIM];
    let tensor =
        Tensor::from_array((shape, values)).map_err(OnnxError::inference(MOONSHINE_DECODER))?;
    Ok((name.to_owned(), tensor.into_dyn()))
}

impl Hypothesis {
    /// The score per token, the end token counted, so that longer transcripts are not ranked
    /// below shorter ones for their length alone.
    fn normalised_score(&self) -> f32 {
        self.score / (self.tokens.len() + 1) as f32
    }
}

/// Moonshine tiny, loaded: shared by every session (runs are serialized).
pub struct Moonshine {
    encoder: Mutex<Session>,
    decoder: Mutex<Session>,
    vocabulary: Vocabulary,
    /// Decoder layers (from the model's `past_key_values.N.*` inputs).
    layers: usize,
}

impl std::fmt::Debug for Moonshine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Moonshine")
            .field("layers", &self.layers)
            .finish_non_exhaustive()
    }
}

/// Locks a model; a poisoned lock only means another run panicked, the session is intact.
fn lock(session: &Mutex<Session>) -> MutexGuard<'_, Session> {
    session.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Moonshine {
    /// Loads the encoder, decoder and tokenizer from `models`.
    pub fn load(models: &ModelsDir) -> Result<Self, MoonshineError> {
        let encoder = onnx::session(models, MOONSHINE_ENCODER)?;
        let decoder = onnx::session(models, MOONSHINE_DECODER)?;
        let tokenizer = models
            .require(MOONSHINE_TOKENIZER)
            .map_err(OnnxError::from)?;
        let vocabulary = Vocabulary::load(&tokenizer)?;
        let layers = decoder
            .inputs()
            .iter()
            .filter(|input| input.name().ends_with(".decoder.key"))
            .count();
        Ok(Self {
            encoder: Mutex::new(encoder),
            decoder: Mutex::new(decoder),
            vocabulary,
            layers,
        })
    }

    /// Transcribes mono audio at [`MOONSHINE_SAMPLE_RATE`] (samples in `-1.0..=1.0`).
    pub fn recognize(&self, samples: &[f32]) -> Result<Recognition, OnnxError> {
        let mut ids = Vec::new();
        let mut tokens = Vec::new();
        for piece in pieces(samples) {
            if holds_no_speech(piece) {
                continue;
            }
            for (id, logprob) in self.decode_piece(piece)? {
                ids.push(id);
                tokens.push(RecognizedToken {
                    bytes: self.vocabulary.bytes(id),
                    logprob,
                });
            }
        }
        Ok(Recognition {
            text: self.vocabulary.decode(&ids).trim().to_owned(),
            tokens,
        })
    }

    /// Beam search over one piece of at most [`MAX_PIECE`] samples: the token ids and
    /// logprobs of the most likely transcript, its score normalised by its length. Every
    /// hypothesis of a step is decoded in one batched run.
    fn decode_piece(&self, samples: &[f32]) -> Result<Vec<(u32, f32)>, OnnxError> {
        let hidden = self.encode(samples)?;
        let failed = OnnxError::inference(MOONSHINE_DECODER);
        let (shape, hidden) = hidden.try_extract_tensor::<f32>().map_err(failed)?;
        let frames = shape.get(1).copied().unwrap_or(0).max(0) as usize;
        let width = shape.get(2).copied().unwrap_or(0).max(0) as usize;
        let max_tokens =
            (samples.len() as f32 / MOONSHINE_SAMPLE_RATE as f32 * TOKENS_PER_SECOND).ceil();
        let mut decoder = lock(&self.decoder);
        // The cross-attention keys and values depend on the audio only: the first step makes
        // them, and every hypothesis reads them.
        let mut cross = KvCache::empty(self.layers, "encoder");
        let mut past = KvCache::empty(self.layers, "decoder");
        let mut beams = vec![Hypothesis {
            tokens: Vec::new(),
            score: 0.0,
        }];
        let mut finished: Vec<Hypothesis> = Vec::new();
        for step in 0..max_tokens as usize {
            let batch = beams.len();
            let last: Vec<i64> = beams
                .iter()
                .map(|beam| {
                    beam.tokens
                        .last()
                        .map_or(START_TOKEN, |(id, _)| i64::from(*id))
                })
                .collect();
            let ids = Tensor::from_array(([batch, 1], last)).map_err(failed)?;
            let states = Tensor::from_array(([batch, frames, width], hidden.repeat(batch)))
                .map_err(failed)?;
            let mask = Tensor::from_array(([batch, frames], vec![1_i64; batch * frames]))
                .map_err(failed)?;
            let cached = Tensor::from_array(([1usize], vec![step > 0])).map_err(failed)?;
            let mut caches = past.take_inputs()?;
            caches.extend(cross.inputs(batch)?);
            let mut inputs: Vec<(Cow<'_, str>, SessionInputValue<'_>)> = vec![
                ("input_ids".into(), ids.into()),
                ("encoder_hidden_states".into(), states.into()),
                ("encoder_attention_mask".into(), mask.into()),
                ("use_cache_branch".into(), cached.into()),
            ];
            inputs.extend(
                caches
                    .iter()
                    .map(|(name, value)| (name.as_str().into(), value.into())),
            );
            let outputs = decoder.run(inputs).map_err(failed)?;
            let (_, logits) = outputs["logits"]
                .try_extract_tensor::<f32>()
                .map_err(failed)?;
            let (next, parents) = advance(&beams, logits, &mut finished);
            if step == 0 {
                cross = cross.gather(&outputs, &[0])?;
            }
            past = past.gather(&outputs, &parents)?;
            beams = next;
            if finished.len() >= BEAM_WIDTH || beams.is_empty() {
                break;
            }
        }
        let pool = if finished.is_empty() { beams } else { finished };
        Ok(pool
            .into_iter()
            .max_by(|a, b| a.normalised_score().total_cmp(&b.normalised_score()))
            .map(|best| best.tokens)
            .unwrap_or_default())
    }

    /// The encoder's hidden states for `samples`, padded with silence.
    fn encode(&self, samples: &[f32]) -> Result<DynValue, OnnxError> {
        let failed = OnnxError::inference(MOONSHINE_ENCODER);
        let mut padded = vec![0.0; samples.len() + 2 * PADDING];
        padded[PADDING..PADDING + samples.len()].copy_from_slice(samples);
        let samples = &padded[..];
        let shape = [1usize, samples.len()];
        let mask = vec![1_i64; samples.len()];
        let mut encoder = lock(&self.encoder);
        let mut outputs = encoder
            .run(ort::inputs![
                "input_values" => TensorRef::from_array_view((shape, samples)).map_err(failed)?,
                "attention_mask" => TensorRef::from_array_view((shape, &mask[..])).map_err(failed)?,
            ])
            .map_err(failed)?;
        outputs
            .remove("last_hidden_state")
            .ok_or_else(|| OnnxError::Inference {
                model: MOONSHINE_ENCODER,
                reason: "no last_hidden_state output".to_owned(),
            })
    }
}

impl Transcriber for Moonshine {
    /// Transcribes the turn whatever `model` the session names: Moonshine serves them all.
    fn transcribe(
        &self,
        audio: TurnAudio<'_>,
        _model: &str,
    ) -> Result<Transcript, TranscriptionError> {
        let samples = audio.to_stt_samples()?;
        let recognition = self.recognize(&samples).map_err(|error| {
            TranscriptionError::failed(format!("Moonshine could not transcribe the audio: {error}"))
        })?;
        Ok(Transcript {
            text: recognition.text,
            logprobs: recognition
                .tokens
                .into_iter()
                .map(|token| TokenLogprob {
                    token: String::from_utf8_lossy(&token.bytes).into_owned(),
                    logprob: f64::from(token.logprob),
                    bytes: token.bytes,
                })
                .collect(),
        })
    }

    /// Moonshine decodes a few seconds of speech in tens of milliseconds.
    fn live(&self) -> bool {
        true
    }
}

/// The `count` most likely tokens of the last position, most likely first, with their log
/// probabilities.
fn best_tokens(logits: &[f32], count: usize) -> Vec<(u32, f32)> {
    let Some(top) = logits.iter().copied().max_by(f32::total_cmp) else {
        return Vec::new();
    };
    let log_sum = logits
        .iter()
        .map(|logit| (logit - top).exp())
        .sum::<f32>()
        .ln();
    let mut ranked: Vec<(u32, f32)> = logits
        .iter()
        .enumerate()
        .filter_map(|(index, logit)| Some((u32::try_from(index).ok()?, logit - top - log_sum)))
        .collect();
    let count = count.min(ranked.len());
    if count < ranked.len() {
        ranked.select_nth_unstable_by(count, |a, b| b.1.total_cmp(&a.1));
        ranked.truncate(count);
    }
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    ranked
}

/// `samples` cut into pieces of at most [`MAX_PIECE`], each long one cut at its quietest
/// moment in its last [`CUT_WINDOW`].
fn pieces(mut samples: &[f32]) -> Vec<&[f32]> {
    let mut pieces = Vec::new();
    while samples.len() > MAX_PIECE {
        let cut = quietest(samples, MAX_PIECE - CUT_WINDOW, MAX_PIECE);
        let (piece, rest) = samples.split_at(cut);
        pieces.push(piece);
        samples = rest;
    }
    pieces.push(samples);
    pieces
}

/// The middle of the quietest [`QUIET_WINDOW`] that starts in `from..to - QUIET_WINDOW`.
fn quietest(samples: &[f32], from: usize, to: usize) -> usize {
    (from..to.saturating_sub(QUIET_WINDOW))
        .step_by(QUIET_STEP)
        .min_by(|a, b| {
            let loudness = |start: usize| rms(&samples[start..start + QUIET_WINDOW]);
            loudness(*a).total_cmp(&loudness(*b))
        })
        .map_or(to, |start| start + QUIET_WINDOW / 2)
}

/// One step of the beam search: `beams` scored the next token with `logits` (one row of the
/// vocabulary each). Returns the [`BEAM_WIDTH`] best continuations and the index of the beam
/// each continues; hypotheses that end on the way go to `finished`.
fn advance(
    beams: &[Hypothesis],
    logits: &[f32],
    finished: &mut Vec<Hypothesis>,
) -> (Vec<Hypothesis>, Vec<usize>) {
    let vocabulary = logits.len() / beams.len().max(1);
    let mut candidates = Vec::new();
    for (index, (beam, logits)) in beams
        .iter()
        .zip(logits.chunks(vocabulary.max(1)))
        .enumerate()
    {
        candidates.extend(
            best_tokens(logits, BEAM_WIDTH)
                .into_iter()
                .map(|(id, logprob)| (index, id, logprob, beam.score + logprob)),
        );
    }
    candidates.sort_by(|a, b| b.3.total_cmp(&a.3));
    let mut next = Vec::with_capacity(BEAM_WIDTH);
    let mut parents = Vec::with_capacity(BEAM_WIDTH);
    for (index, id, logprob, score) in candidates {
        let mut tokens = beams[index].tokens.clone();
        if id == END_TOKEN {
            finished.push(Hypothesis { tokens, score });
            continue;
        }
        tokens.push((id, logprob));
        next.push(Hypothesis { tokens, score });
        parents.push(index);
        if next.len() == BEAM_WIDTH {
            break;
        }
    }
    (next, parents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_audio_is_cut_in_its_quiet_moments() {
        // 20 s of tone with silent gaps at 6.0-6.3 s and 13.5-13.8 s.
        let second = MOONSHINE_SAMPLE_RATE as usize;
        let mut samples: Vec<f32> = (0..20 * second).map(|i| (i as f32 * 0.05).sin()).collect();
        for gap in [
            6 * second..6 * second + 4_800,
            13 * second + 8_000..13 * second + 12_800,
        ] {
            samples[gap].fill(0.0);
        }
        let lengths: Vec<usize> = pieces(&samples).iter().map(|p| p.len()).collect();
        assert!(lengths.iter().all(|len| *len <= MAX_PIECE), "{lengths:?}");
        let first_cut = lengths[0];
        assert!(
            (6 * second..6 * second + 4_800).contains(&first_cut),
            "{lengths:?}"
        );
        let second_cut = first_cut + lengths[1];
        assert!(
            (13 * second + 8_000..13 * second + 12_800).contains(&second_cut),
            "{lengths:?}"
        );
        assert_eq!(lengths.iter().sum::<usize>(), samples.len());
    }

    #[test]
    fn logprobs_are_log_softmax_of_the_best_logit() {
        let best = best_tokens(&[0.0, 2.0, 0.0, 1.0], 2);
        assert_eq!(best.len(), 2);
        assert_eq!(best[1].0, 3, "the runner-up comes second");
        let (id, logprob) = best[0];
        assert_eq!(id, 1);
        let expected = (2f32.exp() / (2.0 + 2f32.exp() + 1f32.exp())).ln();
        assert!((logprob - expected).abs() < 1e-5, "{logprob} vs {expected}");
    }
}
