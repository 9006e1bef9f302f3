//! The responder: decides what the assistant says, or which tool it calls, for each response.
//!
//! The default, [`EchoResponder`], is deterministic and says something true about the turn.
//! Responders on a language model build on [`chat`] (a prompt as chat turns) and [`tool_call`]
//! (tool calls a local model writes as text): the local model (feature `llm`) and
//! [`ChatCompletions`] (an OpenAI-compatible server). [`ResponderChoice`] lists the responders
//! `--responder` names. A [`Script`](crate::Script) (YAML or JSON, `--script FILE`) lets tests
//! choose replies and tool calls by matching the user's words, and inject faults (see
//! [`crate::engine::faults`]).

use std::sync::Arc;
use std::time::Duration;

use rtclient_protocol::{Item, Tool, ToolChoice};

use crate::engine::choice::{BuiltIn, Chosen, choices, choose};
use crate::engine::faults::{Disruption, Failure};
use crate::engine::models::ModelsDir;

pub mod chat;
pub(crate) mod chat_completions;
mod echo;
pub(crate) mod llm;
pub mod tool_call;

pub use chat_completions::ChatCompletions;
pub use echo::EchoResponder;

choices! {
    /// The responder asked for (`--responder`).
    pub enum ResponderChoice: Arc<dyn Responder> {
        /// Say what was heard: "I heard: ..." (deterministic).
        Echo => None,
        /// The local SmolLM2-135M-Instruct model on llama.cpp (the default; echo, said out loud,
        /// when it is not installed).
        #[default]
        Llm => Some(&llm::LOADER),
    }
}

/// The built-in responder, [`EchoResponder`].
const ECHO: BuiltIn<Arc<dyn Responder>> = BuiltIn {
    runs: "echo, \"I heard: ...\"",
    asked: " (--responder echo)",
    fallen_back: "; run scripts/install-engines for real answers",
    make: || Arc::new(EchoResponder),
};

impl ResponderChoice {
    /// The responder: the chat-completions server at `llm_url` when given (asking it for
    /// `llm_model`), else the one this names, loaded from `models` (the local model falls back
    /// to the echo responder), and the line that says which runs and why.
    pub fn select(
        self,
        llm_url: Option<&str>,
        llm_model: &str,
        models: &ModelsDir,
    ) -> Chosen<Arc<dyn Responder>> {
        if let Some(url) = llm_url {
            let remote = ChatCompletions::new(url, llm_model);
            let report = format!(
                "replies: the chat-completions server at {} (model {llm_model})",
                remote.url()
            );
            return Chosen {
                engine: Arc::new(remote),
                report,
            };
        }
        choose("replies", self.loader(), &ECHO, models)
    }
}

/// What the responder knows about the turn it answers.
#[derive(Debug, Clone, Copy, Default)]
pub struct Prompt<'a> {
    /// The user's latest words: typed text, or the transcript of their audio turn.
    pub user_text: Option<&'a str>,
    /// Length of the user's latest audio turn, when it was audio.
    pub user_audio_ms: Option<u64>,
    /// The result of a function call the client answered since the last response.
    pub function_output: Option<FunctionOutput<'a>>,
    /// Names of the function tools the model may call in this response.
    pub tools: &'a [&'a str],
    /// The definitions of those tools (description and JSON Schema of the arguments), for a
    /// responder backed by a model.
    pub tool_specs: &'a [Tool],
    /// The response's `tool_choice` (its own, else the session's): `required` or a named tool
    /// means the reply must be a call.
    pub tool_choice: Option<&'a ToolChoice>,
    /// The response's instructions (from `response.create`, else the session's). The default
    /// responders do not read them; a responder backed by a model does.
    pub instructions: Option<&'a str>,
    /// The conversation the response reads, oldest first (or the response's own `input`).
    pub history: &'a [Item],
}

/// A function call's result, as the client sent it in a `function_call_output` item.
#[derive(Debug, Clone, Copy)]
pub struct FunctionOutput<'a> {
    /// The function that was called.
    pub name: &'a str,
    /// What the client returned (often JSON).
    pub output: &'a str,
}

/// What the assistant does in a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// Say this text (spoken when the response has audio output).
    Say(String),
    /// Call function tools: one output item per call, in this order (a model's parallel
    /// calls). Never empty.
    Calls(Vec<FunctionCall>),
    /// Fail the response with this error instead of replying.
    Fail(Failure),
}

/// One function tool call of a [`Reply::Calls`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionCall {
    /// The tool's name.
    pub name: String,
    /// Arguments as a JSON text.
    pub arguments: String,
}

impl Reply {
    /// A reply that calls one tool with `arguments` (JSON text).
    pub fn call(name: impl Into<String>, arguments: impl Into<String>) -> Reply {
        Reply::Calls(vec![FunctionCall {
            name: name.into(),
            arguments: arguments.into(),
        }])
    }
}

/// A reply and the faults around it: how long the server stalls before replying, and how the
/// connection breaks during or after the response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// What the assistant does.
    pub reply: Reply,
    /// Silence after `response.created` before the response goes on.
    pub delay: Duration,
    /// A broken connection during or after the response.
    pub disruption: Option<Disruption>,
}

impl From<Reply> for Answer {
    fn from(reply: Reply) -> Self {
        Answer {
            reply,
            delay: Duration::ZERO,
            disruption: None,
        }
    }
}

/// Decides each response's content.
pub trait Responder: Send + Sync {
    /// The reply to `prompt`.
    fn reply(&self, prompt: &Prompt<'_>) -> Reply;

    /// The reply to `prompt` with its faults; the default has none.
    fn answer(&self, prompt: &Prompt<'_>) -> Answer {
        self.reply(prompt).into()
    }

    /// The answer to `prompt`, for a responder that produces its reply bit by bit (a language
    /// model): the text of a spoken reply goes to `sink` piece by piece as it is generated, so
    /// speech can start before the reply is finished. Generation stops early when `sink`
    /// returns false (the response was cancelled); the answer then holds the text so far.
    ///
    /// The default sends nothing to `sink` and returns [`Responder::answer`].
    fn stream(&self, prompt: &Prompt<'_>, sink: &mut dyn FnMut(&str) -> bool) -> Answer {
        let _ = sink;
        self.answer(prompt)
    }

    /// Whether a GPT-Live session hands this turn to the application as a client delegation
    /// (`session.delegation.created`) besides saying the reply; the default never delegates.
    fn delegates(&self, prompt: &Prompt<'_>) -> bool {
        let _ = prompt;
        false
    }

    /// Gets ready to answer `prompt`, which a response is likely to ask for soon (the server
    /// calls it while the user's pause may still end their turn), so that the answer, if it
    /// comes, starts sooner: a language model reads the prompt ahead. Runs off the async
    /// runtime and may take a while; the default does nothing.
    fn prepare(&self, prompt: &Prompt<'_>) {
        let _ = prompt;
    }
}

impl<T: Responder + ?Sized> Responder for std::sync::Arc<T> {
    fn reply(&self, prompt: &Prompt<'_>) -> Reply {
        (**self).reply(prompt)
    }

    fn answer(&self, prompt: &Prompt<'_>) -> Answer {
        (**self).answer(prompt)
    }

    fn stream(&self, prompt: &Prompt<'_>, sink: &mut dyn FnMut(&str) -> bool) -> Answer {
        (**self).stream(prompt, sink)
    }

    fn delegates(&self, prompt: &Prompt<'_>) -> bool {
        (**self).delegates(prompt)
    }

    fn prepare(&self, prompt: &Prompt<'_>) {
        (**self).prepare(prompt);
    }
}
