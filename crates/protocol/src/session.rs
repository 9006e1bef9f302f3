//! The GA session object (realtime and transcription) and its parts: audio settings, voice,
//! transcription, noise reduction, output token limit.
//!
//! One [`Session`] struct serves as the `session.update` payload and as the effective
//! configuration in `session.created`/`session.updated`, for both `type: "realtime"` and
//! `type: "transcription"`: every field is optional and unset fields are left out.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::audio_format::AudioFormat;
use crate::nullable::Nullable;
use crate::tool::{Tool, ToolChoice};
use crate::turn_detection::TurnDetection;
use crate::wire::{string_enum, wire_struct};

wire_struct! {
    /// The GA session object.
    ///
    /// Build a `session.update` payload with [`Session::realtime`] or
    /// [`Session::transcription`] and the chaining setters:
    ///
    /// ```
    /// use rtclient_protocol::{ServerVad, Session};
    /// let s = Session::realtime().instructions("Be brief.").server_vad(ServerVad::default());
    /// assert_eq!(s.instructions.as_deref(), Some("Be brief."));
    /// ```
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct Session [object] {
        /// `realtime` or `transcription` (required in a GA `session.update`).
        opt kind: SessionKind = "type",
        /// `realtime.session` or `realtime.transcription_session` (server only).
        opt object: String = "object",
        /// Session id `sess_...` (server only).
        opt id: String = "id",
        /// Model name.
        opt model: String = "model",
        /// `["audio"]` or `["text"]`.
        opt output_modalities: Vec<Modality> = "output_modalities",
        /// System instructions.
        opt instructions: String = "instructions",
        /// Input and output audio settings.
        opt audio: SessionAudio = "audio",
        /// Extra output to include, e.g. `item.input_audio_transcription.logprobs`.
        opt include: Nullable<Vec<String>> = "include",
        /// Tracing: `"auto"`, an object, or `null`.
        opt tracing: serde_json::Value = "tracing",
        /// Tools the model may call.
        opt tools: Vec<Tool> = "tools",
        /// How the model chooses tools.
        opt tool_choice: ToolChoice = "tool_choice",
        /// Output token limit per response.
        opt max_output_tokens: MaxTokens = "max_output_tokens",
        /// Truncation: `"auto"`, `"disabled"` or a retention-ratio object.
        opt truncation: serde_json::Value = "truncation",
        /// Prompt template reference or `null`.
        opt prompt: serde_json::Value = "prompt",
        /// Reasoning settings (`{effort}`).
        opt reasoning: serde_json::Value = "reasoning",
        /// Whether tools may be called in parallel.
        opt parallel_tool_calls: bool = "parallel_tool_calls",
        /// Expiry, Unix seconds (server only).
        opt expires_at: u64 = "expires_at",
    }
}

impl Session {
    /// An empty `type: "realtime"` session update.
    pub fn realtime() -> Self {
        Self {
            kind: Some(SessionKind::Realtime),
            ..Default::default()
        }
    }

    /// An empty `type: "transcription"` session update.
    pub fn transcription() -> Self {
        Self {
            kind: Some(SessionKind::Transcription),
            ..Default::default()
        }
    }

    /// Sets `instructions`.
    pub fn instructions(mut self, instructions: impl Into<String>) -> Self {
        self.instructions = Some(instructions.into());
        self
    }

    /// Sets `model`.
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }

    /// Sets `output_modalities` to the one modality given.
    pub fn output_modality(mut self, modality: Modality) -> Self {
        self.output_modalities = Some(vec![modality]);
        self
    }

    /// Sets `audio.input.turn_detection` to server VAD.
    pub fn server_vad(self, vad: crate::ServerVad) -> Self {
        self.turn_detection(Some(vad.into()))
    }

    /// Sets `audio.input.turn_detection` to semantic VAD.
    pub fn semantic_vad(self, eagerness: crate::Eagerness) -> Self {
        self.turn_detection(Some(TurnDetection::semantic_vad(eagerness)))
    }

    /// Sets `audio.input.noise_reduction`; `None` writes `null`.
    pub fn noise_reduction(mut self, kind: Option<NoiseReductionKind>) -> Self {
        self.audio_input().noise_reduction = Some(
            kind.map(|k| NoiseReduction {
                kind: Some(k),
                ..Default::default()
            })
            .into(),
        );
        self
    }

    /// Sets `max_output_tokens`.
    pub fn max_output_tokens(mut self, max: MaxTokens) -> Self {
        self.max_output_tokens = Some(max);
        self
    }

    /// Sets `audio.input.turn_detection`; `None` writes `null` (turns VAD off).
    pub fn turn_detection(mut self, td: Option<TurnDetection>) -> Self {
        self.audio_input().turn_detection = Some(td.into());
        self
    }

    /// Sets `audio.input.transcription` to `{model}`; `None` writes `null`.
    pub fn input_transcription(mut self, model: Option<&str>) -> Self {
        self.audio_input().transcription = Some(
            model
                .map(|m| Transcription {
                    model: Some(m.to_owned()),
                    ..Default::default()
                })
                .into(),
        );
        self
    }

    /// Sets `audio.input.format`.
    pub fn input_format(mut self, format: AudioFormat) -> Self {
        self.audio_input().format = Some(format);
        self
    }

    /// Sets `audio.output.format`.
    pub fn output_format(mut self, format: AudioFormat) -> Self {
        self.audio_output().format = Some(format);
        self
    }

    /// Sets `audio.output.voice`.
    pub fn voice(mut self, voice: impl Into<Voice>) -> Self {
        self.audio_output().voice = Some(voice.into());
        self
    }

    /// Sets `tools`.
    pub fn tools(mut self, tools: Vec<Tool>) -> Self {
        self.tools = Some(tools);
        self
    }

    /// Sets `tool_choice`.
    pub fn tool_choice(mut self, choice: ToolChoice) -> Self {
        self.tool_choice = Some(choice);
        self
    }

    /// `audio.input`, created when missing.
    pub fn audio_input(&mut self) -> &mut AudioInput {
        self.audio
            .get_or_insert_with(Default::default)
            .input
            .get_or_insert_with(Default::default)
    }

    /// `audio.output`, created when missing.
    pub fn audio_output(&mut self) -> &mut AudioOutput {
        self.audio
            .get_or_insert_with(Default::default)
            .output
            .get_or_insert_with(Default::default)
    }
}

string_enum! {
    /// The GA session `type`.
    pub enum SessionKind {
        /// Speech-to-speech conversation.
        Realtime = "realtime",
        /// Transcription only.
        Transcription = "transcription",
    }
}

string_enum! {
    /// An output modality.
    pub enum Modality {
        /// Text.
        Text = "text",
        /// Audio (with a transcript).
        Audio = "audio",
    }
}

wire_struct! {
    /// `audio` of a GA session or response.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct SessionAudio [object] {
        /// Input settings.
        opt input: AudioInput = "input",
        /// Output settings.
        opt output: AudioOutput = "output",
    }
}

wire_struct! {
    /// `audio.input` of a GA session.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct AudioInput [object] {
        /// Input audio format.
        opt format: AudioFormat = "format",
        /// Input transcription settings, or `null` for none.
        opt transcription: Nullable<Transcription> = "transcription",
        /// Noise reduction, or `null` for none.
        opt noise_reduction: Nullable<NoiseReduction> = "noise_reduction",
        /// Turn detection, or `null` for none (manual commits).
        opt turn_detection: Nullable<TurnDetection> = "turn_detection",
    }
}

wire_struct! {
    /// `audio.output` of a GA session or response.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct AudioOutput [object] {
        /// Output audio format.
        opt format: AudioFormat = "format",
        /// Voice.
        opt voice: Voice = "voice",
        /// Speaking speed, 0.25-1.5.
        opt speed: serde_json::Number = "speed",
    }
}

wire_struct! {
    /// Input audio transcription settings.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct Transcription [object] {
        /// Transcription model (or Azure deployment name).
        opt model: String = "model",
        /// Input language (ISO-639-1), or `null`.
        opt language: Nullable<String> = "language",
        /// Prompt to guide the transcription, or `null`.
        opt prompt: Nullable<String> = "prompt",
    }
}

wire_struct! {
    /// Input noise reduction.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct NoiseReduction [object] {
        /// `near_field` or `far_field`.
        opt kind: NoiseReductionKind = "type",
    }
}

string_enum! {
    /// Noise reduction type.
    pub enum NoiseReductionKind {
        /// Close-talking microphone.
        NearField = "near_field",
        /// Far-field microphone.
        FarField = "far_field",
    }
}

string_enum! {
    /// A built-in voice name.
    pub enum VoiceName {
        /// alloy
        Alloy = "alloy",
        /// ash
        Ash = "ash",
        /// ballad
        Ballad = "ballad",
        /// coral
        Coral = "coral",
        /// echo
        Echo = "echo",
        /// sage
        Sage = "sage",
        /// shimmer
        Shimmer = "shimmer",
        /// verse
        Verse = "verse",
        /// marin
        Marin = "marin",
        /// cedar
        Cedar = "cedar",
    }
}

/// A voice: a name (built-in or unknown) or an object kept raw (GA custom voices `{id}`,
/// Azure Voice Live voice objects).
#[derive(Debug, Clone, PartialEq)]
pub enum Voice {
    /// A voice name.
    Name(VoiceName),
    /// A voice object, kept verbatim.
    Object(serde_json::Map<String, serde_json::Value>),
}

impl From<VoiceName> for Voice {
    fn from(v: VoiceName) -> Self {
        Voice::Name(v)
    }
}

impl From<&str> for Voice {
    fn from(v: &str) -> Self {
        Voice::Name(VoiceName::from(v))
    }
}

impl Serialize for Voice {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Voice::Name(n) => n.serialize(s),
            Voice::Object(o) => o.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Voice {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::String(s) => Ok(Voice::Name(VoiceName::from(s.as_str()))),
            serde_json::Value::Object(o) => Ok(Voice::Object(o)),
            other => Err(serde::de::Error::custom(format!(
                "voice must be a string or an object, got {other}"
            ))),
        }
    }
}

/// An output token limit: a count or `"inf"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MaxTokens {
    /// At most this many tokens.
    Count(u64),
    /// No limit (`"inf"`).
    Inf,
}

impl Serialize for MaxTokens {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            MaxTokens::Count(n) => s.serialize_u64(*n),
            MaxTokens::Inf => s.serialize_str("inf"),
        }
    }
}

impl<'de> Deserialize<'de> for MaxTokens {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = MaxTokens;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a non-negative integer or \"inf\"")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<MaxTokens, E> {
                Ok(MaxTokens::Count(v))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<MaxTokens, E> {
                if v == "inf" {
                    Ok(MaxTokens::Inf)
                } else {
                    Err(E::invalid_value(serde::de::Unexpected::Str(v), &self))
                }
            }
        }
        d.deserialize_any(V)
    }
}
