//! Token ids back to text, from a SentencePiece-style BPE `tokenizer.json` (the Hugging Face
//! tokenizers format, as Moonshine's): `▁` stands for a space, `<0xNN>` tokens are raw bytes,
//! special tokens are dropped, and the first leading space is removed.
//!
//! Only decoding is needed to read a speech recognizer's output, so this reads the vocabulary
//! and nothing else.

use std::collections::HashSet;
use std::path::Path;

/// Why a tokenizer file cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VocabularyError {
    /// The file could not be read.
    #[error("cannot read the tokenizer {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a BPE `tokenizer.json`.
    #[error("{path} is not a BPE tokenizer.json: {reason}")]
    Format {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
}

/// The token strings of a BPE vocabulary, indexed by id.
#[derive(Debug, Clone)]
pub(crate) struct Vocabulary {
    tokens: Vec<String>,
    special: HashSet<u32>,
}

#[derive(serde::Deserialize)]
struct TokenizerFile {
    model: Model,
    #[serde(default)]
    added_tokens: Vec<AddedToken>,
}

#[derive(serde::Deserialize)]
struct Model {
    vocab: std::collections::HashMap<String, u32>,
}

#[derive(serde::Deserialize)]
struct AddedToken {
    id: u32,
    content: String,
    #[serde(default)]
    special: bool,
}

impl Vocabulary {
    /// Reads the vocabulary of the `tokenizer.json` at `path`.
    pub(crate) fn load(path: &Path) -> Result<Self, VocabularyError> {
        let text = std::fs::read_to_string(path).map_err(|source| VocabularyError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let format = |reason: String| VocabularyError::Format {
            path: path.display().to_string(),
            reason,
        };
        let file: TokenizerFile =
            serde_json::from_str(&text).map_err(|error| format(error.to_string()))?;
        let entries = file.model.vocab.into_iter().chain(
            file.added_tokens
                .iter()
                .map(|token| (token.content.clone(), token.id)),
        );
        let mut tokens: Vec<String> = Vec::new();
        for (token, id) in entries {
            let index = id as usize;
            if index >= 1 << 24 {
                return Err(format(format!("token id {id} is out of range")));
            }
            if tokens.len() <= index {
                tokens.resize(index + 1, String::new());
            }
            tokens[index] = token;
        }
        let special = file
            .added_tokens
            .iter()
            .filter(|token| token.special)
            .map(|token| token.id)
            .collect();
        Ok(Self { tokens, special })
    }

    /// Whether `id` is a special token (start, end, padding), which decodes to nothing.
    pub(crate) fn is_special(&self, id: u32) -> bool {
        self.special.contains(&id)
    }

    /// The bytes `id` stands for, with `▁` as a space; empty for special or unknown ids.
    pub(crate) fn bytes(&self, id: u32) -> Vec<u8> {
        if self.is_special(id) {
            return Vec::new();
        }
        let Some(token) = self.tokens.get(id as usize) else {
            return Vec::new();
        };
        if let Some(byte) = byte_token(token) {
            return vec![byte];
        }
        token.replace('\u{2581}', " ").into_bytes()
    }

    /// The text of `ids`, without its leading space.
    pub(crate) fn decode(&self, ids: &[u32]) -> String {
        let bytes: Vec<u8> = ids.iter().flat_map(|id| self.bytes(*id)).collect();
        let text = String::from_utf8_lossy(&bytes);
        text.strip_prefix(' ').unwrap_or(&text).to_owned()
    }
}

/// The byte of a byte-fallback token such as `<0x0A>`.
fn byte_token(token: &str) -> Option<u8> {
    let hex = token.strip_prefix("<0x")?.strip_suffix('>')?;
    if hex.len() != 2 {
        return None;
    }
    u8::from_str_radix(hex, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_spaces_bytes_and_skips_special_tokens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokenizer.json");
        let json = r#"{"model": {"type": "BPE", "vocab": {"<s>": 1, "▁Hello": 3, ",": 4,
            "▁caf": 5, "<0xC3>": 6, "<0xA9>": 7, "▁world": 8}},
            "added_tokens": [{"id": 1, "content": "<s>", "special": true}]}"#;
        std::fs::write(&path, json).unwrap();
        let vocabulary = Vocabulary::load(&path).unwrap();
        assert_eq!(
            vocabulary.decode(&[1, 3, 4, 5, 6, 7, 8]),
            "Hello, café world"
        );
        assert_eq!(vocabulary.bytes(3), b" Hello");
        assert!(vocabulary.bytes(1).is_empty() && vocabulary.bytes(99).is_empty());
    }

    #[test]
    fn a_file_that_is_not_a_tokenizer_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokenizer.json");
        std::fs::write(&path, "{}").unwrap();
        let error = Vocabulary::load(&path).unwrap_err().to_string();
        assert!(error.contains("is not a BPE tokenizer.json"), "{error}");
    }
}
