//! Audio payloads: the base64 text in which audio bytes travel inside events.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::event::server::ResponseOutputAudioDelta;
use crate::item::ContentPart;

/// An audio payload whose base64 does not decode.
#[derive(Debug, thiserror::Error)]
#[error("the audio is not valid base64")]
pub struct InvalidAudio(#[source] base64::DecodeError);

/// Decodes a base64 audio payload (standard alphabet, padded, as the API sends it) into its
/// bytes.
///
/// ```
/// assert_eq!(rtclient_protocol::decode_audio("AAE=").unwrap(), [0, 1]);
/// assert!(rtclient_protocol::decode_audio("not base64!").is_err());
/// ```
pub fn decode_audio(base64: &str) -> Result<Vec<u8>, InvalidAudio> {
    STANDARD.decode(base64.as_bytes()).map_err(InvalidAudio)
}

impl ResponseOutputAudioDelta {
    /// The delta's audio bytes, in the session's output format.
    pub fn audio(&self) -> Result<Vec<u8>, InvalidAudio> {
        decode_audio(&self.delta)
    }
}

impl ContentPart {
    /// The bytes of the part's `audio`, when it has audio; `Some(Err(..))` when that audio is
    /// not valid base64.
    pub fn decoded_audio(&self) -> Option<Result<Vec<u8>, InvalidAudio>> {
        self.audio.as_deref().map(decode_audio)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deltas_and_parts_decode_their_audio() {
        let delta = ResponseOutputAudioDelta {
            delta: "AAEC".to_owned(),
            ..Default::default()
        };
        assert_eq!(delta.audio().unwrap(), [0, 1, 2]);
        let part = ContentPart {
            audio: Some("AAE=".to_owned()),
            ..Default::default()
        };
        assert_eq!(part.decoded_audio().unwrap().unwrap(), [0, 1]);
        assert!(ContentPart::default().decoded_audio().is_none());
        let bad = ContentPart {
            audio: Some("*".to_owned()),
            ..Default::default()
        };
        assert!(bad.decoded_audio().unwrap().is_err());
    }
}
