//! The input side of a GPT-Live session: the session timeline (it advances with input audio),
//! voice activity detection to find the user's words, and the input transcript on the 200 ms
//! grid the service uses.

use rtclient_audio::WireFormat;
use rtclient_protocol::ErrorCode;

use crate::engine::vad::{ResamplingDetector, VadEvent, VadParams};
use crate::session::errors::ClientError;

/// Input transcript bucket, ms.
pub(super) const GRID_MS: u64 = 200;

/// How much audio before a turn is kept for its transcription, ms.
const KEEP_MS: u64 = 1_000;

/// A stretch of the user's speech, found by VAD.
#[derive(Debug)]
pub(super) struct Turn {
    /// Mono PCM16 at the input rate.
    pub(super) samples: Vec<i16>,
    /// Samples per second.
    pub(super) rate: u32,
    /// Timeline start, ms.
    pub(super) start_ms: u64,
    /// Timeline end, ms.
    pub(super) end_ms: u64,
}

/// The session timeline and the user's turns.
#[derive(Debug)]
pub(super) struct InputTimeline {
    format: WireFormat,
    vad: ResamplingDetector,
    /// Samples received since the session started.
    samples: u64,
    /// Recent audio (since `buffer_start`), for transcription.
    buffer: Vec<i16>,
    buffer_start: u64,
    speech_start_ms: Option<u64>,
    decoded: Vec<i16>,
    muted: bool,
}

impl InputTimeline {
    /// A timeline for input in `format`.
    pub(super) fn new(format: WireFormat) -> Result<Self, rtclient_audio::Error> {
        // A longer silence than Realtime's default keeps a spoken sentence in one turn.
        let params = VadParams {
            silence_duration_ms: 500,
            ..VadParams::default()
        };
        Ok(Self {
            format,
            vad: ResamplingDetector::new(format.sample_rate(), params)?,
            samples: 0,
            buffer: Vec::new(),
            buffer_start: 0,
            speech_start_ms: None,
            decoded: Vec::new(),
            muted: false,
        })
    }

    /// The session timeline, ms.
    pub(super) fn now_ms(&self) -> u64 {
        self.samples * 1000 / u64::from(self.format.sample_rate())
    }

    /// Mutes or unmutes: muted audio advances the timeline but does not reach the model.
    pub(super) fn set_muted(&mut self, muted: bool) {
        self.muted = muted;
    }

    /// Takes appended audio bytes; returns a turn when the user stopped speaking.
    pub(super) fn push(&mut self, bytes: &[u8]) -> Result<Option<Turn>, ClientError> {
        if self.format.bytes_per_sample() == 2 && !bytes.len().is_multiple_of(2) {
            return Err(ClientError::new(
                ErrorCode::InvalidAudio,
                "PCM16 audio must contain an even number of bytes",
            )
            .param("audio"));
        }
        self.decoded.clear();
        self.format.decode(bytes, &mut self.decoded);
        if self.muted {
            self.decoded.iter_mut().for_each(|s| *s = 0);
        }
        self.samples += self.decoded.len() as u64;
        self.buffer.extend_from_slice(&self.decoded);
        let mut events = Vec::new();
        // The VAD's rate is the timeline's; a conversion failure only loses turn detection.
        if let Err(error) = self.vad.push(&self.decoded, &mut events) {
            tracing::warn!(%error, "live input VAD failed");
        }
        let mut turn = None;
        for event in events {
            match event {
                VadEvent::SpeechStarted { audio_start_ms } => {
                    self.speech_start_ms = Some(audio_start_ms);
                }
                VadEvent::SpeechStopped { audio_end_ms, .. } => {
                    let start_ms = self.speech_start_ms.take().unwrap_or(audio_end_ms);
                    turn = Some(self.cut(start_ms, audio_end_ms));
                }
            }
        }
        if self.speech_start_ms.is_none() {
            self.trim();
        }
        Ok(turn)
    }

    /// The audio of `[start_ms, end_ms)` from the buffer.
    fn cut(&mut self, start_ms: u64, end_ms: u64) -> Turn {
        let rate = u64::from(self.format.sample_rate());
        let index = |ms: u64| {
            let sample = (ms * rate / 1000).saturating_sub(self.buffer_start);
            usize::try_from(sample)
                .unwrap_or(usize::MAX)
                .min(self.buffer.len())
        };
        let samples = self.buffer[index(start_ms)..index(end_ms)].to_vec();
        Turn {
            samples,
            rate: self.format.sample_rate(),
            start_ms,
            end_ms,
        }
    }

    /// Keeps only the last [`KEEP_MS`] of audio while nobody speaks.
    fn trim(&mut self) {
        let keep = (u64::from(self.format.sample_rate()) * KEEP_MS / 1000) as usize;
        if self.buffer.len() > 2 * keep {
            let cut = self.buffer.len() - keep;
            self.buffer.drain(..cut);
            self.buffer_start += cut as u64;
        }
    }
}

/// `text` spread evenly over `[start_ms, end_ms)` and grouped into 200 ms grid buckets:
/// (words with their leading spaces, bucket start, bucket end). `first` says whether these are
/// the session's first words (no leading space).
pub(super) fn grid_fragments(
    text: &str,
    start_ms: u64,
    end_ms: u64,
    first: bool,
) -> Vec<(String, u64, u64)> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let span = end_ms.saturating_sub(start_ms).max(1);
    let mut out: Vec<(String, u64, u64)> = Vec::new();
    for (i, word) in words.iter().enumerate() {
        let at = start_ms + span * i as u64 / words.len() as u64;
        let bucket = at / GRID_MS * GRID_MS;
        let space = if first && i == 0 { "" } else { " " };
        match out.last_mut() {
            Some((text, start, _)) if *start == bucket => {
                text.push_str(space);
                text.push_str(word);
            }
            _ => out.push((format!("{space}{word}"), bucket, bucket + GRID_MS)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_land_on_the_200_ms_grid() {
        let fragments = grid_fragments("please check the status", 600, 1400, true);
        assert_eq!(
            fragments,
            [
                ("please".to_owned(), 600, 800),
                (" check".to_owned(), 800, 1000),
                (" the".to_owned(), 1000, 1200),
                (" status".to_owned(), 1200, 1400),
            ]
        );
        let later = grid_fragments("of the", 2200, 2300, false);
        assert_eq!(later, [(" of the".to_owned(), 2200, 2400)]);
    }

    #[test]
    fn odd_pcm_is_refused_and_the_timeline_follows_the_audio() {
        let mut input = InputTimeline::new(WireFormat::PCM16_24K).unwrap();
        let error = input.push(&[0; 3]).unwrap_err().into_live(None);
        assert_eq!(
            error.code.value().map(String::as_str),
            Some("invalid_audio")
        );
        assert!(input.push(&[0; 4800]).unwrap().is_none());
        assert_eq!(input.now_ms(), 100);
    }
}
