//! The session options `send` and `talk` share: the `--instructions`, `--voice`, turn
//! detection, `--transcribe`, `--tool` and `--tool-outputs` flags read into plain values, and
//! the `session.update` they make.

use std::path::{Path, PathBuf};

use rtclient_protocol::{ClientEvent, ServerVad, Session, Tool, TurnDetection};

use crate::args::VadArg;
use crate::exit::CliError;

/// The session flags as given: `send` has them all, `talk` runs server VAD untuned.
#[derive(Debug)]
pub(crate) struct SessionFlags {
    /// `--instructions`: text, or `@FILE`.
    pub(crate) instructions: Option<String>,
    /// `--voice`.
    pub(crate) voice: Option<String>,
    /// The turn-detection flags.
    pub(crate) turn: TurnFlags,
    /// `--transcribe`.
    pub(crate) transcribe: Option<String>,
    /// The `--tool` files.
    pub(crate) tool: Vec<PathBuf>,
    /// The `--tool-outputs` file.
    pub(crate) tool_outputs: Option<PathBuf>,
}

/// The turn-detection flags: `--vad` and the server VAD tuning.
#[derive(Debug)]
pub(crate) struct TurnFlags {
    /// `--vad`.
    pub(crate) vad: VadArg,
    /// `--threshold`.
    pub(crate) threshold: Option<f64>,
    /// `--prefix-padding-ms`.
    pub(crate) prefix_padding_ms: Option<u32>,
    /// `--silence-ms`.
    pub(crate) silence_ms: Option<u32>,
}

impl TurnFlags {
    /// Checks the flags: a threshold in range, and the server VAD tuning only with
    /// `--vad server`.
    pub(crate) fn check(&self) -> Result<(), CliError> {
        if let Some(t) = self.threshold
            && !(0.0..=1.0).contains(&t)
        {
            return Err(CliError::usage(format!("--threshold {t} is out of range"))
                .hint("use a value from 0.0 to 1.0"));
        }
        let server_only = self.threshold.is_some()
            || self.prefix_padding_ms.is_some()
            || self.silence_ms.is_some();
        if server_only && self.vad != VadArg::Server {
            return Err(CliError::usage(
                "--threshold, --prefix-padding-ms and --silence-ms apply to --vad server only",
            ));
        }
        Ok(())
    }

    /// The `turn_detection` of the `session.update`.
    fn apply(&self, session: Session) -> Session {
        match self.vad {
            VadArg::Server => {
                let d = ServerVad::default();
                session.server_vad(ServerVad {
                    threshold: self.threshold.unwrap_or(d.threshold),
                    prefix_padding_ms: self
                        .prefix_padding_ms
                        .map_or(d.prefix_padding_ms, u64::from),
                    silence_duration_ms: self.silence_ms.map_or(d.silence_duration_ms, u64::from),
                    ..d
                })
            }
            VadArg::Semantic => session.semantic_vad(rtclient_protocol::Eagerness::Auto),
            VadArg::None => session.turn_detection(None::<TurnDetection>),
        }
    }
}

impl SessionFlags {
    /// Reads the files the flags name (`--instructions @FILE`, `--tool`, `--tool-outputs`);
    /// the turn-detection flags are taken as [`TurnFlags::check`] left them.
    pub(crate) fn read(self) -> Result<SessionOptions, CliError> {
        let instructions = match self.instructions {
            Some(text) => Some(read_instructions(&text)?),
            None => None,
        };
        let tools = read_tools(&self.tool)?;
        let tool_outputs = read_tool_outputs(self.tool_outputs.as_deref())?;
        Ok(SessionOptions {
            instructions,
            voice: self.voice,
            turn: self.turn,
            transcribe: self.transcribe,
            tools,
            tool_outputs,
        })
    }
}

/// Session options of `send` and `talk`.
#[derive(Debug)]
pub(crate) struct SessionOptions {
    /// Instructions text (read from the file for `@FILE`).
    pub(crate) instructions: Option<String>,
    /// Output voice.
    pub(crate) voice: Option<String>,
    /// Turn detection.
    pub(crate) turn: TurnFlags,
    /// Input transcription model.
    pub(crate) transcribe: Option<String>,
    /// Function definitions.
    pub(crate) tools: Vec<serde_json::Value>,
    /// Answers to function calls by name.
    pub(crate) tool_outputs: serde_json::Map<String, serde_json::Value>,
}

impl SessionOptions {
    /// The `session.update` built from the options.
    pub(crate) fn session_update(&self) -> Result<ClientEvent, CliError> {
        let mut session = Session::realtime();
        if let Some(text) = &self.instructions {
            session = session.instructions(text.clone());
        }
        if let Some(voice) = &self.voice {
            session = session.voice(voice.as_str());
        }
        session = self.turn.apply(session);
        if let Some(model) = &self.transcribe {
            session = session.input_transcription(Some(model));
        }
        if !self.tools.is_empty() {
            let tools = self
                .tools
                .iter()
                .map(|t| serde_json::from_value::<Tool>(t.clone()))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| {
                    CliError::usage("a --tool definition is not a valid tool").caused_by(&e)
                })?;
            session = session.tools(tools);
        }
        Ok(ClientEvent::session_update(session))
    }
}

fn read_instructions(text: &str) -> Result<String, CliError> {
    match text.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path).map_err(|e| {
            CliError::usage(format!("{path}: cannot read the --instructions file"))
                .caused_by(&e)
                .hint("use --instructions TEXT, or @FILE with an existing file")
        }),
        None => Ok(text.to_owned()),
    }
}

/// The function definitions of the `--tool` files, each an object or an array of them.
fn read_tools(paths: &[PathBuf]) -> Result<Vec<serde_json::Value>, CliError> {
    let mut tools = Vec::new();
    for path in paths {
        match read_json(path, "--tool")? {
            serde_json::Value::Array(list) => tools.extend(list),
            value @ serde_json::Value::Object(_) => tools.push(value),
            _ => {
                return Err(CliError::usage(format!(
                    "{}: expected a JSON object or an array of function definitions",
                    path.display()
                ))
                .hint(r#"e.g. {"type":"function","name":"get_weather","parameters":{...}}"#));
            }
        }
    }
    Ok(tools)
}

/// The answers to function calls by name of the `--tool-outputs` file, if any.
fn read_tool_outputs(
    path: Option<&Path>,
) -> Result<serde_json::Map<String, serde_json::Value>, CliError> {
    let Some(path) = path else {
        return Ok(serde_json::Map::new());
    };
    match read_json(path, "--tool-outputs")? {
        serde_json::Value::Object(map) => Ok(map),
        _ => Err(CliError::usage(format!(
            "{}: expected a JSON object mapping function names to outputs",
            path.display()
        ))),
    }
}

fn read_json(path: &Path, option: &str) -> Result<serde_json::Value, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        CliError::usage(format!("{}: cannot read the {option} file", path.display())).caused_by(&e)
    })?;
    serde_json::from_str(&text).map_err(|e| {
        CliError::usage(format!(
            "{}: the {option} file is not valid JSON",
            path.display()
        ))
        .caused_by(&e)
    })
}
