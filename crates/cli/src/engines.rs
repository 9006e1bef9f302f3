//! The engine flags of the local server (`rtclient serve`, and `rtclient send`/`talk` when they
//! run the built-in server), picked at start-up from what is installed in the models folder.
//!
//! The flags parse the server's own choice enums, whose names and help text the server defines
//! with its engines. Each pick is said out loud: the engine that runs and why, including the
//! fallback and the reason when the one asked for cannot start; the server makes the picks and
//! words the lines. [`EngineArgs`] holds the flags every command that runs a local server shares
//! (STT, responder, TTS); `serve` adds `--vad`.

use clap::Args;
use rtclient_server::{
    ModelsDir, RealtimeSession, ResponderChoice, SttChoice, TtsChoice, VadChoice, end_of_turn,
};

use crate::printer::Printer;

/// The engines of the local server.
#[derive(Debug, Clone, Args)]
pub(crate) struct EngineArgs {
    /// Speech-to-text engine for input transcription and transcription sessions.
    #[arg(long, value_enum, default_value_t, help_heading = "Engines")]
    pub(crate) stt: SttChoice,
    /// Speech engine.
    #[arg(long, value_enum, default_value_t, help_heading = "Engines")]
    pub(crate) tts: TtsChoice,
    /// What chooses the replies (a --script overrides it).
    #[arg(long, value_enum, default_value_t, help_heading = "Engines")]
    pub(crate) responder: ResponderChoice,
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
    /// `session` with these engines and the `vad` detector, noting on stderr which engines run
    /// and why.
    pub(crate) fn apply(
        &self,
        vad: VadChoice,
        session: RealtimeSession,
        printer: &Printer,
    ) -> RealtimeSession {
        let models = ModelsDir::from_env().unwrap_or_else(|error| {
            printer.note(&format!("engines: {error}"));
            ModelsDir::new("")
        });
        let vad = vad.select(&models);
        let judge = end_of_turn(&models);
        let stt = self.stt.select(&models);
        let speech = self.tts.select(&models);
        let replies = self
            .responder
            .select(self.llm_url.as_deref(), &self.llm_model, &models);
        for chosen in [
            &vad.report,
            &judge.report,
            &stt.report,
            &speech.report,
            &replies.report,
        ] {
            printer.note(chosen);
        }
        let detector = vad.engine;
        let mut session = session
            .vad(move || detector.scorer())
            .transcriber(stt.engine)
            .synthesizer(speech.engine)
            .responder(replies.engine);
        if let Some(judge) = judge.engine {
            session = session.end_of_turn(judge);
        }
        session
    }
}
