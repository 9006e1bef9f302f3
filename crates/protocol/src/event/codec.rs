//! [`Codec`]: how an event struct is read from and written to a frame.
//!
//! Every event reads and writes through serde by default. The audio events, the bulk of the
//! traffic, have faster paths ([`scan`](super::scan), [`write`](super::write)) that give
//! exactly what serde gives; declaring them here, once per struct, makes every enum that holds
//! the struct (GA and beta, whatever the wire name) use them.

use super::client::InputAudioBufferAppend;
use super::server::ResponseOutputAudioDelta;
use super::{scan, tagged_json, write};
use crate::error::Error;
use crate::wire::WireFields;

/// How an event struct is parsed from and written to JSON under a wire `type`.
pub(crate) trait Codec: WireFields + Sized {
    /// Parses `json`, whose `type` is `kind`, if a fast path applies and accepts it (`None`
    /// sends the frame to serde).
    fn parse_fast(kind: &str, json: &str) -> Option<Self> {
        let _ = (kind, json);
        None
    }

    /// Writes `{"type": tag, ...fields}`.
    fn write(&self, tag: &str) -> Result<String, Error> {
        tagged_json(tag, self)
    }
}

impl Codec for ResponseOutputAudioDelta {
    fn parse_fast(kind: &str, json: &str) -> Option<Self> {
        scan::audio_delta(kind, json)
    }

    fn write(&self, tag: &str) -> Result<String, Error> {
        write::audio_delta(tag, self)
    }
}

impl Codec for InputAudioBufferAppend {
    fn parse_fast(kind: &str, json: &str) -> Option<Self> {
        let (event_id, audio) = scan::audio_only(kind, json)?;
        Some(Self {
            event_id: event_id.map(str::to_owned),
            audio: audio.to_owned(),
            extra: serde_json::Map::new(),
        })
    }

    fn write(&self, tag: &str) -> Result<String, Error> {
        self.to_json_as(tag)
    }
}
