//! The local reply model: a small instruction-tuned LLM in GGUF format (SmolLM2-135M-Instruct
//! by default), run on the CPU by candle, with its byte-level BPE tokenizer read from the same
//! file. Decoding is greedy, so the same conversation always gets the same reply.
//!
//! The prompt is the model's ChatML chat: the instructions (plus the tools, when the response
//! may call one) as the system turn, then the conversation. A reply that starts with a tool call
//! (`<tool_call>{"name": ..., "arguments": ...}</tool_call>`, or the bare JSON object) becomes a
//! function call when it names one of the offered tools; anything else is spoken, and streams to
//! the caller as it is generated.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use candle_core::quantized::gguf_file;
use candle_core::quantized::tokenizer::TokenizerFromGguf;
use candle_core::{Device, Tensor};
use candle_transformers::models::quantized_llama::ModelWeights;
use candle_transformers::utils::apply_repeat_penalty;
use tokenizers::Tokenizer;

use super::chat::{self, Message, Role};
use super::models::{ModelFile, ModelsDir, ModelsError};
use super::tool_call::{self, Parsed};
use crate::engine::faults::Failure;
use crate::engine::responder::{Answer, Prompt, Reply, Responder};

/// Why the model could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LlmError {
    /// The model is not installed.
    #[error(transparent)]
    Models(#[from] ModelsError),
    /// The model file could not be opened.
    #[error("cannot open the reply model {path} (run scripts/install-engines)")]
    Open {
        /// The model's path.
        path: PathBuf,
        /// Why opening failed.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a GGUF llama model with a byte-level BPE tokenizer.
    #[error("cannot load the reply model {path}: {reason}")]
    Load {
        /// The model's path.
        path: PathBuf,
        /// What candle said.
        reason: String,
    },
}

/// Tokens in one reply at most (a few spoken sentences).
const MAX_REPLY_TOKENS: usize = 160;
/// Conversation turns kept in the prompt (the latest ones).
const MAX_TURNS: usize = 12;
/// Penalty on tokens the reply already used; small models loop without one.
const REPEAT_PENALTY: f32 = 1.15;
/// How far back the repeat penalty looks, in tokens.
const REPEAT_WINDOW: usize = 64;

/// A GGUF chat model on the CPU: the [`Responder`] behind `--responder llm`.
pub struct LocalLlm {
    model: Mutex<ModelWeights>,
    /// One thread: candle's own threads spin against each other and other sessions' engines
    /// on a small, busy machine, and are many times slower there than one.
    threads: rayon::ThreadPool,
    tokenizer: Tokenizer,
    end_of_turn: u32,
    path: PathBuf,
}

impl std::fmt::Debug for LocalLlm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalLlm")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl LocalLlm {
    /// Loads SmolLM2-135M-Instruct from the models folder.
    pub fn from_models(models: &ModelsDir) -> Result<Self, LlmError> {
        Self::load(&models.require(ModelFile::SmolLm2)?)
    }

    /// Loads a GGUF llama-architecture chat model that uses ChatML (`<|im_end|>` ends a turn).
    pub fn load(path: &Path) -> Result<Self, LlmError> {
        let load_error = |reason: String| LlmError::Load {
            path: path.to_owned(),
            reason,
        };
        let mut file = File::open(path).map_err(|source| LlmError::Open {
            path: path.to_owned(),
            source,
        })?;
        let content = gguf_file::Content::read(&mut file).map_err(|e| load_error(e.to_string()))?;
        let tokenizer = Tokenizer::from_gguf(&content).map_err(|e| load_error(e.to_string()))?;
        let end_of_turn = tokenizer
            .token_to_id("<|im_end|>")
            .ok_or_else(|| load_error("the tokenizer has no <|im_end|> token".to_owned()))?;
        let threads = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .map_err(|e| load_error(e.to_string()))?;
        let model = threads
            .install(|| ModelWeights::from_gguf(content, &mut file, &Device::Cpu))
            .map_err(|e| load_error(e.to_string()))?;
        Ok(Self {
            model: Mutex::new(model),
            threads,
            tokenizer,
            end_of_turn,
            path: path.to_owned(),
        })
    }

    /// The model file this was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Generates the assistant's next turn for `prompt_text` (a rendered chat), calling `each`
    /// with the text so far after every token; stops at the end of the turn, after
    /// [`MAX_REPLY_TOKENS`], or when `each` returns false. Returns the whole text.
    fn generate(
        &self,
        prompt_text: &str,
        each: &mut dyn FnMut(&str) -> bool,
    ) -> Result<String, String> {
        let encoding = self
            .tokenizer
            .encode(prompt_text, false)
            .map_err(|e| e.to_string())?;
        let prompt_ids = encoding.get_ids();
        // A poisoned lock only means another reply panicked mid-generation; the KV cache is
        // cleared below, so the model is usable again.
        let mut model = self.model.lock().unwrap_or_else(|p| p.into_inner());
        model.clear_kv_cache();
        let mut logits = self.forward(&mut model, prompt_ids, 0)?;
        let mut reply: Vec<u32> = Vec::new();
        let mut text = String::new();
        while reply.len() < MAX_REPLY_TOKENS {
            let start = reply.len().saturating_sub(REPEAT_WINDOW);
            let penalized = apply_repeat_penalty(&logits, REPEAT_PENALTY, &reply[start..])
                .map_err(|e| e.to_string())?;
            let next = penalized
                .argmax(0)
                .and_then(|t| t.to_scalar::<u32>())
                .map_err(|e| e.to_string())?;
            if next == self.end_of_turn {
                break;
            }
            reply.push(next);
            let decoded = self
                .tokenizer
                .decode(&reply, true)
                .map_err(|e| e.to_string())?;
            // A character split across tokens decodes as U+FFFD until its last byte comes.
            if !decoded.ends_with('\u{FFFD}') {
                text = decoded;
                if !each(&text) {
                    break;
                }
            }
            logits = self.forward(&mut model, &[next], prompt_ids.len() + reply.len() - 1)?;
        }
        Ok(text)
    }
}

impl LocalLlm {
    /// Runs `ids` through the model from position `at`, on the model's thread; the logits of
    /// the last position.
    fn forward(&self, model: &mut ModelWeights, ids: &[u32], at: usize) -> Result<Tensor, String> {
        self.threads
            .install(|| {
                Tensor::new(ids, &Device::Cpu)
                    .and_then(|t| t.unsqueeze(0))
                    .and_then(|input| model.forward(&input, at))
                    .and_then(|logits| logits.squeeze(0))
            })
            .map_err(|e| e.to_string())
    }
}

/// The chat in ChatML, ending with an open assistant turn. The tools, if any, go in the
/// system turn with the format the model is to call them in.
pub fn render_chatml(prompt: &Prompt<'_>) -> String {
    let mut messages = chat::messages(prompt);
    if !prompt.tool_specs.is_empty()
        && let Some(system) = messages.first_mut()
    {
        system
            .content
            .push_str(&tool_call::instructions(prompt.tool_specs));
    }
    let keep_from = messages.len().saturating_sub(MAX_TURNS).max(1);
    let mut out = String::new();
    for message in messages[..1].iter().chain(&messages[keep_from..]) {
        out.push_str("<|im_start|>");
        out.push_str(message.role.as_str());
        out.push('\n');
        out.push_str(&turn_text(message));
        out.push_str("<|im_end|>\n");
    }
    out.push_str("<|im_start|>assistant\n");
    out
}

fn turn_text(message: &Message) -> String {
    match (&message.tool_call, message.role) {
        (Some(call), _) => tool_call::render(&call.name, &call.arguments),
        (None, Role::Tool) => format!("<tool_response>{}</tool_response>", message.content),
        (None, _) => message.content.clone(),
    }
}

impl Responder for LocalLlm {
    fn reply(&self, prompt: &Prompt<'_>) -> Reply {
        self.stream(prompt, &mut |_| true).reply
    }

    fn stream(&self, prompt: &Prompt<'_>, sink: &mut dyn FnMut(&str) -> bool) -> Answer {
        let mut rendered = render_chatml(prompt);
        let forced = tool_call::forced_start(prompt.tool_choice, prompt.tools);
        if let Some(start) = &forced {
            rendered.push_str(start);
        }
        let mut sent = 0;
        let mut speaking = false;
        let result = self.generate(&rendered, &mut |text| {
            if forced.is_some() {
                return !tool_call::is_closed(text);
            }
            if !speaking {
                match tool_call::parse_start(text) {
                    // Too early to tell, or a call being written: hold it back.
                    Parsed::Undecided => return true,
                    Parsed::Call => return !tool_call::is_closed(text),
                    Parsed::Text => {
                        speaking = true;
                        sent = text.len() - text.trim_start().len();
                    }
                }
            }
            let fresh = &text[sent..];
            sent = text.len();
            fresh.is_empty() || sink(fresh)
        });
        let text = match result {
            Ok(text) => format!("{}{text}", forced.as_deref().unwrap_or("")),
            Err(reason) => {
                tracing::warn!(%reason, "the reply model failed");
                return Reply::Fail(Failure {
                    message: format!("The local reply model failed: {reason}"),
                    ..Failure::default()
                })
                .into();
            }
        };
        if !speaking && let Some(reply) = tool_call::parse(&text, prompt.tools) {
            return reply.into();
        }
        if !speaking && !text.trim().is_empty() {
            sink(text.trim());
        }
        Reply::Say(text.trim().to_owned()).into()
    }
}
