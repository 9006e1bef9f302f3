//! The local reply model: a small instruction-tuned LLM in GGUF format (SmolLM2-135M-Instruct
//! by default), run on the CPU by llama.cpp (through `llama-cpp-2`, built from its bundled
//! source). Decoding is greedy, so the same conversation always gets the same reply.
//!
//! llama.cpp and not candle: llama.cpp picks its SIMD kernels for the CPU it runs on, while a
//! default x86-64 build of candle runs the scalar Q4_1 kernels. With this model, candle generated
//! 3 tokens/s; llama.cpp generates about 90 on one thread and loads the model in 0.2 s.
//!
//! The model is loaded once per process and shared; each reply gets a context of its own. The
//! prompt is the model's ChatML chat: the instructions (plus the tools, when the response may
//! call one) as the system turn, then the conversation. A reply that starts with a tool call
//! (`<tool_call>{"name": ..., "arguments": ...}</tool_call>`, or the bare JSON object) becomes a
//! function call when it names one of the offered tools; anything else is spoken, and streams to
//! the caller as it is generated.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::LlamaToken;
use llama_cpp_2::{LogOptions, send_logs_to_tracing};

use super::call_grammar;
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
    /// The file is not a GGUF chat model llama.cpp can run.
    #[error("cannot load the reply model {path}: {reason} (run scripts/install-engines)")]
    Load {
        /// The model's path.
        path: PathBuf,
        /// What llama.cpp said.
        reason: String,
    },
}

/// Tokens in one reply at most (a few spoken sentences).
const MAX_REPLY_TOKENS: usize = 160;
/// Sentences in one spoken reply at most: a voice reply is short, and a small model that goes
/// on rambles; generation stops at the end of this many, so the reply never ends mid-sentence
/// unless [`MAX_REPLY_TOKENS`] comes first.
const MAX_SPOKEN_SENTENCES: usize = 3;
/// Conversation turns kept in the prompt (the latest ones).
const MAX_TURNS: usize = 12;
/// Penalty on tokens the reply already used; small models loop without one.
const REPEAT_PENALTY: f32 = 1.15;
/// How far back the repeat penalty looks, in tokens.
const REPEAT_WINDOW: i32 = 64;
/// Threads that read the prompt and generate the reply. llama.cpp's threads spin while they
/// wait for each other, so on a small busy machine (other sessions' engines, other replies) two
/// read a prompt several times slower than one.
const THREADS: i32 = 1;

/// A GGUF chat model on the CPU: the [`Responder`] behind `--responder llm`.
pub struct LocalLlm {
    model: Arc<LlamaModel>,
    end_of_turn: LlamaToken,
    path: PathBuf,
}

impl std::fmt::Debug for LocalLlm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalLlm")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// llama.cpp's backend, set up once per process; its logs go to `tracing`.
fn backend() -> Result<&'static LlamaBackend, String> {
    static BACKEND: OnceLock<Result<LlamaBackend, String>> = OnceLock::new();
    BACKEND
        .get_or_init(|| {
            send_logs_to_tracing(LogOptions::default());
            LlamaBackend::init().map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// The models loaded so far, by path: each is loaded once and shared by every responder.
fn loaded() -> &'static Mutex<HashMap<PathBuf, Arc<LlamaModel>>> {
    static LOADED: OnceLock<Mutex<HashMap<PathBuf, Arc<LlamaModel>>>> = OnceLock::new();
    LOADED.get_or_init(Mutex::default)
}

/// Held while a context is made: llama.cpp may write to the model while it makes one, so two
/// replies must not make theirs at the same moment.
static NEW_CONTEXT: Mutex<()> = Mutex::new(());

impl LocalLlm {
    /// Loads SmolLM2-135M-Instruct from the models folder.
    pub fn from_models(models: &ModelsDir) -> Result<Self, LlmError> {
        Self::load(&models.require(ModelFile::SmolLm2)?)
    }

    /// Loads a GGUF chat model that uses ChatML (`<|im_end|>` ends a turn), or shares the one
    /// this process already loaded from `path`.
    pub fn load(path: &Path) -> Result<Self, LlmError> {
        let load_error = |reason: String| LlmError::Load {
            path: path.to_owned(),
            reason,
        };
        let backend = backend().map_err(load_error)?;
        // A poisoned lock only means a load panicked; the map itself is whole.
        let mut loaded = loaded().lock().unwrap_or_else(|p| p.into_inner());
        let model = match loaded.get(path) {
            Some(model) => Arc::clone(model),
            None => {
                let model = LlamaModel::load_from_file(backend, path, &LlamaModelParams::default())
                    .map_err(|e| load_error(e.to_string()))?;
                let model = Arc::new(model);
                loaded.insert(path.to_owned(), Arc::clone(&model));
                model
            }
        };
        drop(loaded);
        let end_of_turn = match model.vocab().tokenize(b"<|im_end|>", false, true)[..] {
            [token] => token,
            _ => {
                return Err(load_error(
                    "its vocabulary has no <|im_end|> token".to_owned(),
                ));
            }
        };
        Ok(Self {
            model,
            end_of_turn,
            path: path.to_owned(),
        })
    }

    /// The model file this was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A fresh context with room for `prompt_tokens` and a whole reply.
    fn context(&self, prompt_tokens: usize) -> Result<LlamaContext<'_>, String> {
        let needed = prompt_tokens + MAX_REPLY_TOKENS;
        let train = usize::try_from(self.model.n_ctx_train()).unwrap_or(usize::MAX);
        if needed > train {
            return Err(format!(
                "the prompt has {prompt_tokens} tokens, more than the model's context of {train} \
                 leaves room for with a reply"
            ));
        }
        let size = u32::try_from(needed).map_err(|e| e.to_string())?;
        let params = LlamaContextParams::default()
            .with_n_ctx(NonZeroU32::new(size))
            .with_n_batch(size)
            .with_n_threads(THREADS)
            .with_n_threads_batch(THREADS);
        let backend = backend()?;
        let _making = NEW_CONTEXT.lock().unwrap_or_else(|p| p.into_inner());
        self.model
            .new_context(backend, params)
            .map_err(|e| e.to_string())
    }

    /// Generates the assistant's next turn for `prompt_text` (a rendered chat), under `grammar`
    /// (GBNF) when given, calling `each`
    /// with the text so far after every token; stops at the end of the turn, after
    /// [`MAX_REPLY_TOKENS`], or when `each` returns false. Returns the whole text.
    fn generate(
        &self,
        prompt_text: &str,
        grammar: Option<&str>,
        each: &mut dyn FnMut(&str) -> bool,
    ) -> Result<String, String> {
        let vocab = self.model.vocab();
        let prompt = vocab.tokenize(prompt_text.as_bytes(), false, true);
        let mut context = self.context(prompt.len())?;
        let mut batch = LlamaBatch::new(prompt.len().max(1), 1);
        batch
            .add_sequence(&prompt, 0, false)
            .map_err(|e| e.to_string())?;
        context.decode(&mut batch).map_err(|e| e.to_string())?;
        let mut samplers = vec![LlamaSampler::penalties(
            self.model.n_vocab(),
            REPEAT_WINDOW,
            REPEAT_PENALTY,
            0.0,
            0.0,
        )];
        if let Some(grammar) = grammar {
            samplers.push(
                LlamaSampler::grammar(&self.model, grammar, "root").map_err(|e| e.to_string())?,
            );
        }
        samplers.push(LlamaSampler::greedy());
        let mut sampler = LlamaSampler::chain_simple(samplers);
        let start = i32::try_from(prompt.len()).map_err(|e| e.to_string())?;
        let mut bytes = Vec::new();
        let mut text = String::new();
        for position in (start..).take(MAX_REPLY_TOKENS) {
            let next = sampler.sample(&context, batch.n_tokens() - 1);
            if next == self.end_of_turn || vocab.is_eog(next) {
                break;
            }
            bytes.extend(vocab.token_to_piece(next, false, None));
            let decoded = String::from_utf8_lossy(&bytes);
            // A character split across tokens decodes as U+FFFD until its last byte comes.
            if !decoded.ends_with('\u{FFFD}') {
                text = decoded.into_owned();
                if !each(&text) {
                    break;
                }
            }
            batch.clear();
            batch
                .add(next, position, &[0], true)
                .map_err(|e| e.to_string())?;
            context.decode(&mut batch).map_err(|e| e.to_string())?;
        }
        Ok(text)
    }

    /// How many tokens `text` is to the model (special tokens such as `<|im_start|>` count as
    /// one).
    pub fn token_count(&self, text: &str) -> usize {
        self.model
            .vocab()
            .tokenize(text.as_bytes(), false, true)
            .len()
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
        let grammar = call_grammar::for_choice(prompt.tool_choice, prompt.tool_specs)
            .filter(|_| forced.is_some());
        let mut sent = 0;
        let mut speaking = false;
        let result = self.generate(&rendered, grammar.as_deref(), &mut |text| {
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
            (fresh.is_empty() || sink(fresh)) && sentences(text) < MAX_SPOKEN_SENTENCES
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

/// The finished sentences of `text`: the `.`, `!` and `?` that end it or precede a space.
fn sentences(text: &str) -> usize {
    let text = text.trim_end();
    let ends = |(i, c): (usize, char)| {
        matches!(c, '.' | '!' | '?') && text[i + 1..].chars().next().is_none_or(char::is_whitespace)
    };
    text.char_indices().filter(|&ic| ends(ic)).count()
}

#[cfg(test)]
mod tests {
    use super::sentences;

    #[test]
    fn sentences_end_at_a_stop_before_a_space_or_the_end() {
        assert_eq!(sentences("It is 3.5 degrees"), 0);
        assert_eq!(sentences("It is cold. Bring a coat"), 1);
        assert_eq!(sentences("Wait... Really? Yes! "), 3);
    }
}
