//! The `usage` of a response, counted the way the service bills it.
//!
//! OpenAI's Realtime cost guide (developers.openai.com/api/docs/guides/realtime-costs) states
//! that "audio tokens in user messages are 1 token per 100 ms of audio, while audio tokens in
//! assistant messages are 1 token per 50ms of audio", and that the entire conversation is the
//! input of every response. Text has no tokenizer here: it counts one token per four characters
//! (rounded up), the usual rule of thumb for English with OpenAI's tokenizers.

use rtclient_protocol::{ContentPart, Item, Nullable, Role, TokenDetails, Usage};

/// Milliseconds of user (input) audio per token.
const USER_AUDIO_MS_PER_TOKEN: u64 = 100;
/// Milliseconds of assistant (output) audio per token.
const ASSISTANT_AUDIO_MS_PER_TOKEN: u64 = 50;
/// Characters of text per token.
const CHARS_PER_TOKEN: u64 = 4;

/// Tokens of one side of a response (its input or its output), by modality.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Tokens {
    pub(crate) text: u64,
    pub(crate) audio: u64,
}

impl std::ops::Add for Tokens {
    type Output = Tokens;

    fn add(self, other: Tokens) -> Tokens {
        Tokens {
            text: self.text + other.text,
            audio: self.audio + other.audio,
        }
    }
}

impl Tokens {
    /// Text and audio together.
    pub(crate) fn total(self) -> u64 {
        self.text + self.audio
    }

    /// Adds the tokens of `text`.
    pub(crate) fn add_text(&mut self, text: &str) {
        self.text += text_tokens(text);
    }

    /// Adds `ms` of audio spoken by `role` (assistant audio counts twice as many tokens).
    pub(crate) fn add_audio(&mut self, role: Option<&Role>, ms: u64) {
        let per_token = if role == Some(&Role::Assistant) {
            ASSISTANT_AUDIO_MS_PER_TOKEN
        } else {
            USER_AUDIO_MS_PER_TOKEN
        };
        self.audio += ms / per_token;
    }
}

/// The tokens of `text`: one per four characters, rounded up.
pub(crate) fn text_tokens(text: &str) -> u64 {
    (text.chars().count() as u64).div_ceil(CHARS_PER_TOKEN)
}

/// The tokens of `instructions` and `items` (each with the ms of audio it holds): the input of a
/// response, or the output item it produced.
pub(crate) fn count<'a>(
    instructions: Option<&str>,
    items: impl Iterator<Item = (&'a Item, u64)>,
) -> Tokens {
    let mut tokens = Tokens::default();
    tokens.add_text(instructions.unwrap_or(""));
    for (item, audio_ms) in items {
        for part in item.content.iter().flatten() {
            tokens.add_text(part_text(part));
        }
        tokens.add_text(item.arguments.as_deref().unwrap_or(""));
        tokens.add_text(
            item.output
                .as_ref()
                .and_then(Nullable::value)
                .map_or("", String::as_str),
        );
        tokens.add_audio(item.role.as_ref(), audio_ms);
    }
    tokens
}

/// The text of a content part (its text, else its transcript).
fn part_text(part: &ContentPart) -> &str {
    part.text
        .as_deref()
        .or(part
            .transcript
            .as_ref()
            .and_then(Nullable::value)
            .map(String::as_str))
        .unwrap_or("")
}

/// The full `usage` object the service sends in every `response.done`, whatever the status.
pub(crate) fn usage(input: Tokens, output: Tokens) -> Usage {
    let zero_cached = TokenDetails {
        text_tokens: Some(0),
        audio_tokens: Some(0),
        image_tokens: Some(0),
        ..Default::default()
    };
    Usage {
        total_tokens: Some(input.total() + output.total()),
        input_tokens: Some(input.total()),
        output_tokens: Some(output.total()),
        input_token_details: Some(TokenDetails {
            text_tokens: Some(input.text),
            audio_tokens: Some(input.audio),
            image_tokens: Some(0),
            cached_tokens: Some(0),
            cached_tokens_details: Some(Box::new(zero_cached)),
            ..Default::default()
        }),
        output_token_details: Some(TokenDetails {
            text_tokens: Some(output.text),
            audio_tokens: Some(output.audio),
            ..Default::default()
        }),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audio_counts_by_the_speaker_and_text_by_characters() {
        let mut tokens = Tokens::default();
        tokens.add_audio(Some(&Role::User), 1_000);
        assert_eq!(tokens.audio, 10);
        tokens.add_audio(Some(&Role::Assistant), 1_000);
        assert_eq!(tokens.audio, 30);
        assert_eq!(text_tokens(""), 0);
        assert_eq!(text_tokens("abcde"), 2);
        let usage = usage(Tokens { text: 3, audio: 4 }, Tokens { text: 5, audio: 6 });
        assert_eq!(usage.total_tokens, Some(18));
        assert_eq!(usage.input_tokens, Some(7));
        assert_eq!(usage.output_tokens, Some(11));
    }
}
