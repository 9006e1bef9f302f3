//! Response speech: synthesized once per (text, voice, format), resampled and encoded into the
//! wire format and cut into base64 deltas, shared by every response that says the same.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use rtclient_audio::{Resampler, WireFormat, clip_to_i16};
use tokio::sync::OnceCell;

use super::lock::lock;
use crate::engine::tts::{Speech, Synthesizer};

/// Audio per output delta, in ms.
pub(super) const DELTA_MS: u64 = 200;

/// Speech ready to stream in one wire format.
#[derive(Debug)]
pub(crate) struct Spoken {
    /// The whole audio in the wire format (what the conversation keeps).
    pub(super) bytes: Vec<u8>,
    /// Bytes per `response.output_audio.delta`.
    pub(super) chunk: usize,
    /// Each `chunk` of `bytes`, base64-encoded as the deltas carry it.
    pub(super) deltas: Vec<String>,
    /// Length in ms.
    pub(super) duration_ms: u64,
}

impl Spoken {
    /// Resamples and encodes `speech` to `format`, cut into [`DELTA_MS`] deltas.
    pub(super) fn new(speech: &Speech, format: WireFormat) -> Result<Self, rtclient_audio::Error> {
        let bytes = encode(speech, format)?;
        let chunk = (format.bytes_per_second() * DELTA_MS / 1000).max(2) as usize;
        let deltas = bytes
            .chunks(chunk)
            .map(|piece| base64::engine::general_purpose::STANDARD.encode(piece))
            .collect();
        Ok(Self {
            bytes,
            chunk,
            deltas,
            duration_ms: speech.duration_ms(),
        })
    }
}

/// The cache key: text, voice and output format.
type SpeechKey = (String, String, WireFormat);

/// Speech cache keyed by (text, voice, format). Concurrent requests for the same key share one
/// synthesis: the first runs it, the others wait for its result.
#[derive(Debug, Default)]
pub(crate) struct SpeechCache {
    map: Mutex<HashMap<SpeechKey, Arc<OnceCell<Arc<Spoken>>>>>,
}

impl SpeechCache {
    const CAPACITY: usize = 64;

    /// The cell holding (or about to hold) the speech for this key.
    fn slot(&self, text: &str, voice: &str, format: WireFormat) -> Arc<OnceCell<Arc<Spoken>>> {
        let mut map = lock(&self.map);
        let key = (text.to_owned(), voice.to_owned(), format);
        if map.len() >= Self::CAPACITY && !map.contains_key(&key) {
            map.clear();
        }
        Arc::clone(map.entry(key).or_default())
    }

    /// The response's speech from the cache, or synthesized and encoded on the blocking pool (once
    /// per key, however many responses ask at the same time).
    pub(super) async fn speak(
        &self,
        synthesizer: &Arc<dyn Synthesizer>,
        text: &str,
        voice: &str,
        format: WireFormat,
    ) -> Option<Arc<Spoken>> {
        let slot = self.slot(text, voice, format);
        let spoken = slot
            .get_or_try_init(|| async {
                let synth = Arc::clone(synthesizer);
                let (t, v) = (text.to_owned(), voice.to_owned());
                let result = tokio::task::spawn_blocking(move || {
                    let started = std::time::Instant::now();
                    let speech = synth.synthesize(&t, &v).map_err(|e| e.to_string())?;
                    tracing::debug!(
                        chars = t.len(),
                        audio_ms = speech.duration_ms(),
                        took_ms = started.elapsed().as_millis(),
                        "synthesized speech"
                    );
                    Spoken::new(&speech, format)
                        .map(Arc::new)
                        .map_err(|e| format!("cannot convert the speech to {format:?}: {e}"))
                })
                .await;
                match result {
                    Ok(Ok(spoken)) => Ok(spoken),
                    Ok(Err(error)) => {
                        tracing::warn!(%error, "speech synthesis failed");
                        Err(())
                    }
                    Err(_) => Err(()),
                }
            })
            .await;
        spoken.ok().cloned()
    }
}

/// Resamples `speech` to `format`'s rate and encodes it.
fn encode(speech: &Speech, format: WireFormat) -> Result<Vec<u8>, rtclient_audio::Error> {
    let input: Vec<f32> = speech
        .samples
        .iter()
        .map(|s| f32::from(*s) / 32768.0)
        .collect();
    let mut out = Vec::with_capacity(input.len() * 2);
    let mut resampler = Resampler::new(speech.sample_rate, format.sample_rate())?;
    resampler.process(&input, &mut out)?;
    resampler.finish(&mut out)?;
    let samples: Vec<i16> = out.into_iter().map(clip_to_i16).collect();
    let mut bytes = Vec::new();
    format.encode(&samples, &mut bytes);
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;
    use crate::engine::tts::SynthesisError;
    use crate::session::engines::Engines;
    use rtclient_audio::Pace;

    /// Counts its runs; each takes a while, so concurrent requests overlap. Fails on "fail";
    /// gives speech without a sample rate on "no rate".
    #[derive(Debug, Default)]
    struct Counting(Arc<AtomicUsize>);

    impl Synthesizer for Counting {
        fn synthesize(&self, text: &str, _voice: &str) -> Result<Speech, SynthesisError> {
            self.0.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(50));
            if text == "fail" {
                return Err(SynthesisError::BadOutput {
                    program: "counting".to_owned(),
                    reason: "asked to fail",
                });
            }
            // "no rate": speech no resampler can convert.
            let sample_rate = if text == "no rate" { 0 } else { 24_000 };
            Ok(Speech {
                sample_rate,
                samples: vec![1000; 24_000],
            })
        }
    }

    fn engines(runs: &Arc<AtomicUsize>) -> Arc<Engines> {
        Arc::new(Engines {
            synthesizer: Arc::new(Counting(Arc::clone(runs))),
            pace: Pace::Max,
            max_duration: Duration::from_secs(60),
            ..Engines::default()
        })
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_misses_share_one_synthesis() {
        let runs = Arc::new(AtomicUsize::new(0));
        let engines = engines(&runs);
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let engines = Arc::clone(&engines);
                tokio::spawn(async move {
                    engines
                        .cache
                        .speak(&engines.synthesizer, "hi", "alloy", WireFormat::PCM16_24K)
                        .await
                })
            })
            .collect();
        let mut spoken = Vec::new();
        for task in tasks {
            spoken.push(task.await.unwrap().unwrap());
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert!(spoken.iter().all(|s| Arc::ptr_eq(s, &spoken[0])));
        // One second at 24 kHz PCM16: five 200 ms deltas of 9600 bytes.
        assert_eq!(spoken[0].bytes.len(), 48_000);
        assert_eq!(spoken[0].deltas.len(), 5);
        assert_eq!(spoken[0].duration_ms, 1000);

        let ulaw = engines
            .cache
            .speak(&engines.synthesizer, "hi", "alloy", WireFormat::G711Ulaw)
            .await;
        assert_eq!(ulaw.map(|s| s.bytes.len()), Some(8_000));
        assert_eq!(runs.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_failed_synthesis_is_not_cached() {
        let runs = Arc::new(AtomicUsize::new(0));
        let engines = engines(&runs);
        for _ in 0..2 {
            let spoken = engines
                .cache
                .speak(&engines.synthesizer, "fail", "alloy", WireFormat::PCM16_24K)
                .await;
            assert!(spoken.is_none());
        }
        assert_eq!(runs.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn speech_that_cannot_be_converted_fails_instead_of_going_silent() {
        let runs = Arc::new(AtomicUsize::new(0));
        let engines = engines(&runs);
        assert!(
            engines
                .cache
                .speak(
                    &engines.synthesizer,
                    "no rate",
                    "alloy",
                    WireFormat::PCM16_24K
                )
                .await
                .is_none()
        );
    }
}
