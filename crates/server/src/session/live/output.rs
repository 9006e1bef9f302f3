//! The continuous output track of a GPT-Live session: 100 ms of audio per tick for the life of
//! the session, speech when something is queued, digital silence otherwise, and the output
//! transcript of what was spoken in 200 ms buckets of the output clock.

use std::collections::VecDeque;

use rtclient_audio::WireFormat;

/// Audio per tick (and per `session.output_audio.delta`), ms.
pub(super) const TICK_MS: u64 = 100;

/// Output transcript bucket, ms.
const BUCKET_MS: u64 = 200;

/// One tick of output.
#[derive(Debug)]
pub(super) struct Tick {
    /// The audio in the session format.
    pub(super) audio: Vec<u8>,
    /// Output clock at the start of the audio, ms.
    pub(super) start_ms: u64,
    /// Output clock at its end, ms.
    pub(super) end_ms: u64,
    /// Words that finished a 200 ms bucket: (text, start_ms, end_ms).
    pub(super) transcript: Option<(String, u64, u64)>,
}

/// Speech waiting to be played, with its words.
#[derive(Debug)]
struct Utterance {
    bytes: Vec<u8>,
    played: usize,
    /// Words with their leading space, as the service sends them.
    words: Vec<String>,
    next_word: usize,
}

/// The output track.
#[derive(Debug)]
pub(super) struct OutputTrack {
    format: WireFormat,
    silence: Vec<u8>,
    queue: VecDeque<Utterance>,
    clock_ms: u64,
    pending_words: String,
    /// Whether the next spoken word starts a new sentence (no leading space).
    first_word: bool,
}

impl OutputTrack {
    /// An empty track in `format`.
    pub(super) fn new(format: WireFormat) -> Self {
        let samples = format.sample_rate() as usize * TICK_MS as usize / 1000;
        let mut silence = Vec::new();
        format.encode(&vec![0; samples], &mut silence);
        Self {
            format,
            silence,
            queue: VecDeque::new(),
            clock_ms: 0,
            pending_words: String::new(),
            first_word: true,
        }
    }

    /// Queues speech `bytes` (session format) that says `text`.
    pub(super) fn say(&mut self, bytes: Vec<u8>, text: &str) {
        let words = text
            .split_whitespace()
            .map(|word| {
                let spaced = if self.first_word {
                    word.to_owned()
                } else {
                    format!(" {word}")
                };
                self.first_word = false;
                spaced
            })
            .collect();
        self.queue.push_back(Utterance {
            bytes,
            played: 0,
            words,
            next_word: 0,
        });
    }

    /// The next 100 ms of output.
    pub(super) fn tick(&mut self) -> Tick {
        let want = self.silence.len();
        let mut audio = Vec::with_capacity(want);
        while audio.len() < want {
            let Some(current) = self.queue.front_mut() else {
                break;
            };
            let take = (want - audio.len()).min(current.bytes.len() - current.played);
            audio.extend_from_slice(&current.bytes[current.played..current.played + take]);
            current.played += take;
            // Words are spread evenly over the utterance's audio.
            let spoken = current.played * current.words.len() / current.bytes.len().max(1);
            while current.next_word < spoken {
                self.pending_words
                    .push_str(&current.words[current.next_word]);
                current.next_word += 1;
            }
            if current.played == current.bytes.len() {
                self.queue.pop_front();
            }
        }
        audio.extend_from_slice(&self.silence[audio.len().min(want)..]);
        let start_ms = self.clock_ms;
        self.clock_ms += TICK_MS;
        let transcript = (self.clock_ms.is_multiple_of(BUCKET_MS)
            && !self.pending_words.is_empty())
        .then(|| {
            (
                std::mem::take(&mut self.pending_words),
                self.clock_ms - BUCKET_MS,
                self.clock_ms,
            )
        });
        Tick {
            audio,
            start_ms,
            end_ms: self.clock_ms,
            transcript,
        }
    }

    /// The session format.
    pub(super) fn format(&self) -> WireFormat {
        self.format
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_then_speech_then_silence_with_bucketed_words() {
        let mut track = OutputTrack::new(WireFormat::PCM16_24K);
        let silent = track.tick();
        assert_eq!(silent.audio, vec![0; 4800]);
        assert_eq!((silent.start_ms, silent.end_ms), (0, 100));
        // 300 ms of speech saying three words.
        track.say(vec![1; 14_400], "one two three");
        let mut texts = Vec::new();
        for _ in 0..5 {
            let tick = track.tick();
            assert_eq!(tick.audio.len(), 4800);
            texts.extend(tick.transcript);
        }
        assert_eq!(track.tick().audio, vec![0; 4800], "silence again");
        assert_eq!(
            texts,
            [
                ("one".to_owned(), 0, 200),
                (" two three".to_owned(), 200, 400)
            ]
        );
    }
}
