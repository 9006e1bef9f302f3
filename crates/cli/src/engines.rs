//! The engine flags of the local server (`rtclient serve`, and `rtclient send`/`talk` when they
//! run the built-in server), picked at start-up from what is installed in the models folder.
//!
//! Each pick is said out loud: the engine that runs and why, including the fallback and the
//! reason when the one asked for cannot start. [`EngineChoice`] picks what hears (VAD, STT),
//! [`EngineArgs`] what answers and speaks (responder, TTS).

use clap::{Args, ValueEnum};
use rtclient_server::ModelsDir;
use rtclient_server::RealtimeSession;
use rtclient_server::select::{self, ResponderChoice, TtsChoice};

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
        let (session, vad) = apply_vad(session, self.vad);
        let (session, turn) = apply_end_of_turn(session);
        let (session, stt) = apply_stt(session, self.stt);
        (session, vec![vad, turn, stt])
    }
}

fn apply_vad(session: RealtimeSession, choice: VadEngineArg) -> (RealtimeSession, String) {
    match choice {
        VadEngineArg::Earshot => (session, "VAD: earshot (--vad earshot)".to_owned()),
        VadEngineArg::Silero => match load_silero() {
            Ok(silero) => (session.vad(silero), "VAD: Silero VAD v6".to_owned()),
            Err(why) => (
                session,
                format!("VAD: earshot, because Silero VAD cannot start: {why}"),
            ),
        },
    }
}

#[cfg(feature = "onnx")]
fn apply_end_of_turn(session: RealtimeSession) -> (RealtimeSession, String) {
    use rtclient_server::{ModelsDir, SmartTurn};
    let loaded = ModelsDir::from_env()
        .map_err(|e| e.to_string())
        .and_then(|models| SmartTurn::load(&models).map_err(|e| e.to_string()));
    match loaded {
        Ok(judge) => (
            session.end_of_turn(judge),
            "semantic VAD: Smart Turn v3.2 judges each pause".to_owned(),
        ),
        Err(why) => (
            session,
            format!("semantic VAD: a silence timer, because Smart Turn cannot start: {why}"),
        ),
    }
}

#[cfg(not(feature = "onnx"))]
fn apply_end_of_turn(session: RealtimeSession) -> (RealtimeSession, String) {
    let why = "this rtclient was built without the `onnx` feature";
    (
        session,
        format!("semantic VAD: a silence timer, because {why}"),
    )
}

fn apply_stt(session: RealtimeSession, choice: SttEngineArg) -> (RealtimeSession, String) {
    let none = "input transcription requests will fail";
    match choice {
        SttEngineArg::None => (session, format!("STT: none (--stt none): {none}")),
        SttEngineArg::Moonshine => match load_moonshine() {
            Ok(moonshine) => (
                session.transcriber(moonshine),
                "STT: Moonshine tiny (English), for every transcription model name".to_owned(),
            ),
            Err(why) => (
                session,
                format!("STT: none, because Moonshine cannot start: {why}; {none}"),
            ),
        },
    }
}

#[cfg(feature = "onnx")]
fn load_silero() -> Result<rtclient_server::SileroVad, String> {
    use rtclient_server::{ModelsDir, SileroVad};
    let models = ModelsDir::from_env().map_err(|e| e.to_string())?;
    SileroVad::load(&models).map_err(|e| e.to_string())
}

#[cfg(not(feature = "onnx"))]
fn load_silero() -> Result<rtclient_server::Earshot, String> {
    Err("this rtclient was built without the `onnx` feature".to_owned())
}

#[cfg(feature = "onnx")]
fn load_moonshine() -> Result<rtclient_server::Moonshine, String> {
    use rtclient_server::{ModelsDir, Moonshine};
    let models = ModelsDir::from_env().map_err(|e| e.to_string())?;
    Moonshine::load(&models).map_err(|e| e.to_string())
}

#[cfg(not(feature = "onnx"))]
fn load_moonshine() -> Result<rtclient_server::NoTranscriber, String> {
    Err("this rtclient was built without the `onnx` feature".to_owned())
}
