//! The engine flags of `rtclient serve`: which speech engine and which responder the local
//! server runs, chosen at start-up with a note saying which engine runs and why.

use clap::{Args, ValueEnum};
use rtclient_server::RealtimeSession;
use rtclient_server::engine::models::ModelsDir;
use rtclient_server::engine::select::{self, ResponderChoice, TtsChoice};

use crate::printer::Printer;

/// `--tts`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum TtsArg {
    /// The Piper voice en_US-joe-medium (espeak-ng when it is not installed).
    Piper,
    /// espeak-ng's own voices.
    Espeak,
}

/// `--responder`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ResponderArg {
    /// The local SmolLM2 model (echo when it is not installed).
    Llm,
    /// Say what was heard: "I heard: ...".
    Echo,
}

/// The engines of the local server.
#[derive(Debug, Clone, Args)]
pub(crate) struct EngineArgs {
    /// Speech engine.
    #[arg(long, value_enum, default_value_t = TtsArg::Piper, help_heading = "Engines")]
    pub(crate) tts: TtsArg,
    /// What chooses the replies (a --script overrides it).
    #[arg(long, value_enum, default_value_t = ResponderArg::Llm, help_heading = "Engines")]
    pub(crate) responder: ResponderArg,
    /// Reply with this OpenAI-compatible chat-completions server instead (Ollama, the llama.cpp
    /// server, vLLM): its API base, e.g. http://localhost:11434/v1; tools are passed through.
    /// A key, if it needs one, is read from RTCLIENT_LLM_API_KEY.
    #[arg(long, value_name = "URL", help_heading = "Engines")]
    pub(crate) llm_url: Option<String>,
    /// The model to ask the --llm-url server for.
    #[arg(
        long,
        value_name = "NAME",
        default_value = "default",
        requires = "llm_url",
        help_heading = "Engines"
    )]
    pub(crate) llm_model: String,
}

impl EngineArgs {
    /// `session` with the chosen engines, noting on stderr which ones run and why.
    pub(crate) fn apply(&self, session: RealtimeSession, printer: &Printer) -> RealtimeSession {
        let models = ModelsDir::from_env().unwrap_or_else(|error| {
            printer.note(&format!("engines: {error}"));
            ModelsDir::new("")
        });
        let tts = match self.tts {
            TtsArg::Piper => TtsChoice::Piper,
            TtsArg::Espeak => TtsChoice::Espeak,
        };
        let responder = match self.responder {
            ResponderArg::Llm => ResponderChoice::Llm,
            ResponderArg::Echo => ResponderChoice::Echo,
        };
        let speech = select::synthesizer(tts, &models);
        let replies =
            select::responder(responder, self.llm_url.as_deref(), &self.llm_model, &models);
        printer.note(&speech.report);
        printer.note(&replies.report);
        session.synthesizer(speech.engine).responder(replies.engine)
    }
}
