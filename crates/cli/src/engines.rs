//! The engine flags of the local server (`rtclient serve`, and `rtclient send`/`talk` when they
//! run the built-in server), picked at start-up from what is installed in the models folder.
//!
//! Each pick is said out loud: the engine that runs and why, including the fallback and the
//! reason when the one asked for cannot start; `rtclient_server::select` makes the picks and
//! words the lines. [`EngineChoice`] holds what hears (VAD, STT), [`EngineArgs`] the flags every
//! command that runs a local server shares (STT, responder, TTS).

use clap::{Args, ValueEnum};
use rtclient_server::ModelsDir;
use rtclient_server::RealtimeSession;
use rtclient_server::select::{self, ResponderChoice, SttChoice, TtsChoice, VadChoice};

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
    /// Say what was heard: "I heard: ..." (deterministic).
    Echo,
    /// The local SmolLM2-135M-Instruct model on llama.cpp (the default; echo, said out loud,
    /// when it is not installed).
    Llm,
}

/// The engines of the local server.
#[derive(Debug, Clone, Args)]
pub(crate) struct EngineArgs {
    /// Speech-to-text engine for input transcription and transcription sessions.
    #[arg(long, value_enum, default_value_t, help_heading = "Engines")]
    pub(crate) stt: SttEngineArg,
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

/// Which voice activity detector runs server VAD.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub(crate) enum VadEngineArg {
    /// Silero VAD v6 through ONNX Runtime (needs scripts/install-engines).
    #[default]
    Silero,
    /// The earshot detector: pure Rust, no model files.
    Earshot,
}

/// Which engine transcribes input audio.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub(crate) enum SttEngineArg {
    /// Moonshine tiny (English) through ONNX Runtime (needs scripts/install-engines).
    #[default]
    Moonshine,
    /// Whisper base (English) on CTranslate2: more accurate, about 2 s per turn, no live deltas
    /// (needs the `whisper` build feature and scripts/install-engines --whisper; Moonshine when
    /// it cannot start).
    Whisper,
    /// No transcription: requests fail with `transcription_engine_missing`.
    None,
}

/// The engines asked for on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct EngineChoice {
    /// The VAD.
    pub(crate) vad: VadEngineArg,
    /// The speech-to-text engine.
    pub(crate) stt: SttEngineArg,
}

impl EngineChoice {
    /// Puts the engines into `session`; returns it with one line per engine saying which runs
    /// and why.
    pub(crate) fn apply(self, session: RealtimeSession) -> (RealtimeSession, Vec<String>) {
        let mut lines = Vec::new();
        let models = ModelsDir::from_env().unwrap_or_else(|error| {
            lines.push(format!("engines: {error}"));
            ModelsDir::new("")
        });
        let vad = select::vad(
            match self.vad {
                VadEngineArg::Silero => VadChoice::Silero,
                VadEngineArg::Earshot => VadChoice::Earshot,
            },
            &models,
        );
        let judge = select::end_of_turn(&models);
        let stt = select::transcriber(
            match self.stt {
                SttEngineArg::Moonshine => SttChoice::Moonshine,
                SttEngineArg::Whisper => SttChoice::Whisper,
                SttEngineArg::None => SttChoice::None,
            },
            &models,
        );
        let detector = vad.engine;
        let mut session = session
            .vad(move || detector.scorer())
            .transcriber(stt.engine);
        if let Some(judge) = judge.engine {
            session = session.end_of_turn(judge);
        }
        lines.extend([vad.report, judge.report, stt.report]);
        (session, lines)
    }
}
