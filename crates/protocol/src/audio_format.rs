//! Audio formats: the GA format object (`{"type":"audio/pcm","rate":24000}`) and the beta
//! format strings (`"pcm16"`, `"g711_ulaw"`, `"g711_alaw"`).

use crate::wire::{string_enum, wire_struct};

wire_struct! {
    /// A GA audio format object, e.g. `{"type":"audio/pcm","rate":24000}`.
    ///
    /// PCM is 16-bit little-endian mono at 24 kHz; `audio/pcmu` and `audio/pcma` are G.711 at 8 kHz.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct AudioFormat [object] {
        /// The format.
        opt kind: AudioFormatKind = "type",
        /// Sample rate in Hz (only for `audio/pcm`; the API accepts 24000).
        opt rate: u32 = "rate",
    }
}

impl AudioFormat {
    /// `{"type":"audio/pcm","rate":24000}`.
    pub fn pcm() -> Self {
        Self {
            kind: Some(AudioFormatKind::Pcm),
            rate: Some(24_000),
            ..Default::default()
        }
    }

    /// `{"type":"audio/pcmu"}` (G.711 mu-law).
    pub fn pcmu() -> Self {
        Self {
            kind: Some(AudioFormatKind::Pcmu),
            ..Default::default()
        }
    }

    /// `{"type":"audio/pcma"}` (G.711 A-law).
    pub fn pcma() -> Self {
        Self {
            kind: Some(AudioFormatKind::Pcma),
            ..Default::default()
        }
    }
}

string_enum! {
    /// The `type` of a GA audio format object.
    pub enum AudioFormatKind {
        /// 16-bit PCM.
        Pcm = "audio/pcm",
        /// G.711 mu-law.
        Pcmu = "audio/pcmu",
        /// G.711 A-law.
        Pcma = "audio/pcma",
    }
}

string_enum! {
    /// A beta audio format string.
    pub enum BetaAudioFormat {
        /// 16-bit PCM, 24 kHz mono little-endian.
        Pcm16 = "pcm16",
        /// G.711 mu-law.
        G711Ulaw = "g711_ulaw",
        /// G.711 A-law.
        G711Alaw = "g711_alaw",
    }
}

impl BetaAudioFormat {
    /// The GA format object for this beta string (`pcm16` becomes `audio/pcm` at 24 kHz; an
    /// unknown string `x` becomes `{"type":"x"}`).
    pub fn to_ga(&self) -> AudioFormat {
        match self {
            BetaAudioFormat::Pcm16 => AudioFormat::pcm(),
            BetaAudioFormat::G711Ulaw => AudioFormat::pcmu(),
            BetaAudioFormat::G711Alaw => AudioFormat::pcma(),
            BetaAudioFormat::Other(s) => AudioFormat {
                kind: Some(AudioFormatKind::Other(s.clone())),
                ..Default::default()
            },
        }
    }

    /// The beta string for a GA format object. The rate and unknown fields are dropped (beta
    /// PCM is always 24 kHz); `None` when the object has no `type`.
    pub fn from_ga(format: &AudioFormat) -> Option<Self> {
        Some(match format.kind.as_ref()? {
            AudioFormatKind::Pcm => BetaAudioFormat::Pcm16,
            AudioFormatKind::Pcmu => BetaAudioFormat::G711Ulaw,
            AudioFormatKind::Pcma => BetaAudioFormat::G711Alaw,
            AudioFormatKind::Other(s) => BetaAudioFormat::Other(s.clone()),
        })
    }
}
