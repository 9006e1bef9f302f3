//! The local reply model: a small instruction-tuned LLM in GGUF format (SmolLM2-135M-Instruct
//! by default), run on the CPU by llama.cpp (through `llama-cpp-2`, built from its bundled
//! source). Decoding is greedy, so the same conversation gets the same reply (up to the float
//! rounding of reading a prompt in one piece or from a cached state, which can tip a near tie).
//!
//! llama.cpp and not candle: llama.cpp picks its SIMD kernels for the CPU it runs on, while a
//! default x86-64 build of candle runs the scalar Q4_1 kernels. With this model, candle generated
//! 3 tokens/s; llama.cpp generates about 90 on one thread and loads the model in 0.2 s.
//!
//! The model is loaded once per process and shared; each reply gets a context of its own,
//! started from the saved state of the longest cached prompt it begins with
//! ([`PromptCache`]), so a conversation's next reply reads only its new turns. The
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
use llama_cpp_2::context::session::{LlamaStateSeqFlags, SeqState};
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::LlamaToken;
use llama_cpp_2::{LogOptions, send_logs_to_tracing};
use rtclient_protocol::{ToolChoice, ToolChoiceMode};

use super::SMOLLM2_MODEL;
use crate::engine::models::{ModelsDir, ModelsError};
use crate::engine::reply::chat::{self, Message, Role};
use crate::engine::reply::tool_call::{self, Parsed};

use crate::engine::faults::Failure;
use crate::engine::reply::{Answer, Prompt, Reply, Responder};
use prompt_cache::PromptCache;
use reading_ahead::ReadingAhead;
use tool_pick::named_tool;

mod call_grammar;
mod prompt_cache;
mod reading_ahead;
mod tool_pick;

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
/// Conversation turns kept in the prompt at most (the latest ones).
const MAX_TURNS: usize = 24;
/// Turns dropped at once when the conversation outgrows [`MAX_TURNS`]: the prompt's history
/// then starts at the same turn for this many more turns, so the cached state of the previous
/// prompt still fits the next one (dropping one turn per reply would make every prompt new).
const DROP_TURNS: usize = 12;
/// Penalty on tokens the reply already used; small models loop without one.
const REPEAT_PENALTY: f32 = 1.15;
/// How far back the repeat penalty looks, in tokens.
const REPEAT_WINDOW: i32 = 64;
/// Threads that read the prompt and generate the reply. llama.cpp's threads spin while they
/// wait for each other, so on a small busy machine (other sessions' engines, other replies) two
/// read a prompt several times slower than one.
const THREADS: i32 = 1;
/// Bytes of saved model state kept for reuse by later prompts (SmolLM2-135M holds about 23 KB
/// per token, so this is some twenty conversations of a few hundred tokens).
const PROMPT_CACHE_BYTES: usize = 128 << 20;
/// The one sequence a reply's context holds.
const SEQUENCE: i32 = 0;

/// A GGUF chat model on the CPU: the [`Responder`] behind `--responder llm`.
pub struct LocalLlm {
    model: Arc<LlamaModel>,
    end_of_turn: LlamaToken,
    path: PathBuf,
    /// What recent replies' contexts held, so the next prompt reads only its new tokens.
    cache: Arc<PromptCache<LlamaToken, SeqState>>,
    /// The prompts being read ahead ([`Responder::prepare`]): a reply to one waits for it.
    reading_ahead: Arc<ReadingAhead>,
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

/// A loaded model, the states of the prompts it read, and the prompts being read ahead.
#[derive(Clone)]
struct Loaded {
    model: Arc<LlamaModel>,
    cache: Arc<PromptCache<LlamaToken, SeqState>>,
    reading_ahead: Arc<ReadingAhead>,
}

/// The models loaded so far, by path: each is loaded once and shared, with its prompt cache, by
/// every responder.
fn loaded() -> &'static Mutex<HashMap<PathBuf, Loaded>> {
    static LOADED: OnceLock<Mutex<HashMap<PathBuf, Loaded>>> = OnceLock::new();
    LOADED.get_or_init(Mutex::default)
}

/// Held while a context is made: llama.cpp may write to the model while it makes one, so two
/// replies must not make theirs at the same moment.
static NEW_CONTEXT: Mutex<()> = Mutex::new(());

impl LocalLlm {
    /// Loads SmolLM2-135M-Instruct from the models folder.
    pub fn from_models(models: &ModelsDir) -> Result<Self, LlmError> {
        Self::load(&models.require(SMOLLM2_MODEL)?)
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
        let Loaded {
            model,
            cache,
            reading_ahead,
        } = match loaded.get(path) {
            Some(entry) => entry.clone(),
            None => {
                let model = LlamaModel::load_from_file(backend, path, &LlamaModelParams::default())
                    .map_err(|e| load_error(e.to_string()))?;
                let entry = Loaded {
                    model: Arc::new(model),
                    cache: Arc::new(PromptCache::new(PROMPT_CACHE_BYTES)),
                    reading_ahead: Arc::default(),
                };
                loaded.insert(path.to_owned(), entry.clone());
                entry
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
            cache,
            reading_ahead,
        })
    }

    /// The model file this was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A fresh context with room for `prompt_tokens` and a whole reply, and for `restored`
    /// tokens of a saved state.
    fn context(
        &self,
        prompt_tokens: usize,
        room: usize,
        restored: usize,
    ) -> Result<LlamaContext<'_>, String> {
        let needed = (prompt_tokens + room).max(restored);
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
        let prompt = self.tokenize(prompt_text);
        let (mut context, mut batch) = self.read_prompt(&prompt, MAX_REPLY_TOKENS)?;
        let mut read = prompt;
        let text = self.continue_reply(&mut context, &mut batch, &mut read, grammar, each)?;
        self.keep(&context, read);
        Ok(text)
    }

    /// `text` in tokens (special tokens such as `<|im_start|>` are one each).
    fn tokenize(&self, text: &str) -> Vec<LlamaToken> {
        self.model.vocab().tokenize(text.as_bytes(), false, true)
    }

    /// A fresh context holding `prompt`, with room for `room` more tokens: started from the
    /// longest cached prompt it begins with, the rest read in one batch whose last entry holds
    /// the scores of the token after it.
    fn read_prompt(
        &self,
        prompt: &[LlamaToken],
        room: usize,
    ) -> Result<(LlamaContext<'_>, LlamaBatch<'_>), String> {
        let started = std::time::Instant::now();
        let hit = self.cache.lookup(prompt);
        let held = hit.as_ref().map_or(0, |hit| hit.held);
        let mut context = self.context(prompt.len(), room, held)?;
        let start = hit.map_or(0, |hit| restore(&mut context, &hit.state, hit.shared));
        let mut batch = LlamaBatch::new(prompt.len().max(1), 1);
        let last = prompt.len().saturating_sub(1);
        for (index, &token) in prompt.iter().enumerate().skip(start) {
            let position = i32::try_from(index).map_err(|e| e.to_string())?;
            batch
                .add(token, position, &[SEQUENCE], index == last)
                .map_err(|e| e.to_string())?;
        }
        context.decode(&mut batch).map_err(|e| e.to_string())?;
        tracing::debug!(
            prompt_tokens = prompt.len(),
            reused = start,
            took_ms = started.elapsed().as_millis(),
            "the reply model read its prompt"
        );
        Ok((context, batch))
    }

    /// Keeps the state of `context`, which holds `tokens`, in the prompt cache.
    fn keep(&self, context: &LlamaContext<'_>, tokens: Vec<LlamaToken>) {
        if let Ok(state) = context.state_seq_get(SEQUENCE, LlamaStateSeqFlags::empty()) {
            let bytes = state.byte_len();
            self.cache.store(tokens, state, bytes);
        }
    }

    /// Samples the reply after the prompt in `context` (whose scores for the next token are in
    /// `batch`'s last entry), adding each token it reads to `read`.
    fn continue_reply(
        &self,
        context: &mut LlamaContext<'_>,
        batch: &mut LlamaBatch<'_>,
        read: &mut Vec<LlamaToken>,
        grammar: Option<&str>,
        each: &mut dyn FnMut(&str) -> bool,
    ) -> Result<String, String> {
        let vocab = self.model.vocab();
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
        let start = i32::try_from(read.len()).map_err(|e| e.to_string())?;
        let mut bytes = Vec::new();
        let mut text = String::new();
        for position in (start..).take(MAX_REPLY_TOKENS) {
            let next = sampler.sample(context, batch.n_tokens() - 1);
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
                .add(next, position, &[SEQUENCE], true)
                .map_err(|e| e.to_string())?;
            context.decode(batch).map_err(|e| e.to_string())?;
            read.push(next);
        }
        Ok(text)
    }

    /// Reads the system turn of a session that gives no instructions and no tools, so that
    /// such a session's first reply reads only the conversation.
    pub fn warm_up(&self) {
        let system = format!(
            "<|im_start|>system\n{}<|im_end|>\n",
            chat::DEFAULT_INSTRUCTIONS
        );
        if let Err(reason) = self.generate(&system, None, &mut |_| false) {
            tracing::debug!(%reason, "the reply model could not read its default system turn");
        }
    }

    /// How many tokens `text` is to the model (special tokens such as `<|im_start|>` count as
    /// one).
    pub fn token_count(&self, text: &str) -> usize {
        self.tokenize(text).len()
    }
}

/// Puts a saved `state` into `context` and drops what it holds from position `shared` on, so
/// the prompt is read from there; 0 (read it all) when the state does not fit.
fn restore(context: &mut LlamaContext<'_>, state: &SeqState, shared: usize) -> usize {
    let kept = u32::try_from(shared).ok().and_then(|from| {
        context.state_seq_set(state, SEQUENCE).ok()?;
        context.kv_cache_seq_rm(SEQUENCE, Some(from), None).ok()
    });
    if kept.is_none() {
        tracing::debug!("a saved prompt state did not fit the context; reading the whole prompt");
        context.clear_kv_cache();
        return 0;
    }
    shared
}

/// The chat in ChatML, ending with an open assistant turn. The tools, if any, go in the
/// system turn with the format the model is to call them in.
pub fn render_chatml(prompt: &Prompt<'_>) -> String {
    render(&chat_messages(prompt))
}

/// The chat for `prompt`, with the tools (if any) in the system turn.
fn chat_messages(prompt: &Prompt<'_>) -> Vec<Message> {
    let mut messages = chat::messages(prompt);
    if !prompt.tool_specs.is_empty()
        && let Some(system) = messages.first_mut()
    {
        system
            .content
            .push_str(&tool_call::instructions(prompt.tool_specs));
    }
    messages
}

/// `messages` (a system turn first) in ChatML, the oldest turns dropped past [`MAX_TURNS`],
/// ending with an open assistant turn.
fn render(messages: &[Message]) -> String {
    let keep_from = 1 + history_start(messages.len().saturating_sub(1));
    let mut out = String::new();
    for message in messages
        .iter()
        .take(1)
        .chain(messages.iter().skip(keep_from))
    {
        out.push_str("<|im_start|>");
        out.push_str(message.role.as_str());
        out.push('\n');
        out.push_str(&turn_text(message));
        out.push_str("<|im_end|>\n");
    }
    out.push_str("<|im_start|>assistant\n");
    out
}

/// The first of `turns` history turns the prompt keeps: at most [`MAX_TURNS`] are kept, and
/// the start moves [`DROP_TURNS`] at a time.
fn history_start(turns: usize) -> usize {
    match turns.checked_sub(MAX_TURNS) {
        None | Some(0) => 0,
        Some(over) => over.div_ceil(DROP_TURNS) * DROP_TURNS,
    }
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
        let (rendered, forced) = render_reply_start(prompt);
        self.reading_ahead.wait_for(&rendered);
        // A call of one of several tools: the model picks the name as a whole, then the call
        // goes on as if the response had named that tool.
        let required = matches!(
            prompt.tool_choice,
            Some(ToolChoice::Mode(ToolChoiceMode::Required))
        );
        if required && prompt.tools.len() > 1 {
            let chosen = match self.likeliest_tool(prompt) {
                Ok(name) => named_tool(name),
                Err(reason) => return failed(&reason),
            };
            let prompt = Prompt {
                tool_choice: Some(&chosen),
                ..*prompt
            };
            return self.stream(&prompt, sink);
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
            Err(reason) => return failed(&reason),
        };
        if !speaking && let Some(reply) = tool_call::parse(&text, prompt.tools) {
            return reply.into();
        }
        if !speaking && !text.trim().is_empty() {
            sink(text.trim());
        }
        Reply::Say(text.trim().to_owned()).into()
    }

    /// Reads the prompt into the prompt cache, so the reply to it reads one token.
    fn prepare(&self, prompt: &Prompt<'_>) {
        let (rendered, _) = render_reply_start(prompt);
        let _reading = self.reading_ahead.start(&rendered);
        if let Err(reason) = self.generate(&rendered, None, &mut |_| false) {
            tracing::debug!(%reason, "the reply model could not read a prompt ahead");
        }
    }
}

/// The answer when the model fails for `reason`.
fn failed(reason: &str) -> Answer {
    tracing::warn!(%reason, "the reply model failed");
    Reply::Fail(Failure {
        message: format!("The local reply model failed: {reason}"),
        ..Failure::default()
    })
    .into()
}

/// The prompt a reply to `prompt` is generated after: the chat, and the start of the call the
/// reply must be when `tool_choice` forces one (also returned on its own).
fn render_reply_start(prompt: &Prompt<'_>) -> (String, Option<String>) {
    let mut rendered = render_chatml(prompt);
    let forced = tool_call::forced_start(prompt.tool_choice, prompt.tools);
    if let Some(start) = &forced {
        rendered.push_str(start);
    }
    (rendered, forced)
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
    use super::{DROP_TURNS, MAX_TURNS, history_start, sentences};

    #[test]
    fn the_history_window_moves_in_steps() {
        assert_eq!(history_start(0), 0);
        assert_eq!(history_start(MAX_TURNS), 0);
        // One turn too many drops a whole step, and the start stays there for a step.
        assert_eq!(history_start(MAX_TURNS + 1), DROP_TURNS);
        assert_eq!(history_start(MAX_TURNS + DROP_TURNS), DROP_TURNS);
        assert_eq!(history_start(MAX_TURNS + DROP_TURNS + 1), 2 * DROP_TURNS);
        for turns in 0..100 {
            let kept = turns - history_start(turns);
            assert!(kept <= MAX_TURNS && (turns < MAX_TURNS || kept > MAX_TURNS - DROP_TURNS));
        }
    }

    #[test]
    fn sentences_end_at_a_stop_before_a_space_or_the_end() {
        assert_eq!(sentences("It is 3.5 degrees"), 0);
        assert_eq!(sentences("It is cold. Bring a coat"), 1);
        assert_eq!(sentences("Wait... Really? Yes! "), 3);
    }
}
