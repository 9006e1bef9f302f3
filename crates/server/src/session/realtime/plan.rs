//! [`Plan`]: what a response is asked to do, resolved from the session config and the
//! `response.create` params, and the `response` object it starts with.

use rtclient_audio::WireFormat;
use rtclient_protocol::{
    AudioFormat, Item, Modality, Nullable, Response, ResponseStatus, Session, SessionAudio, Voice,
};

use super::active::Active;
use super::config;
use super::state::State;
use super::usage::{self, Tokens};
use crate::session::ids::new_id;

/// What a response is asked to do, resolved from the session and `response.create`.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    /// The response's id, as `response.created` announces it.
    pub(crate) id: String,
    pub(crate) response: Response,
    pub(crate) audio: bool,
    pub(crate) voice: String,
    pub(crate) format: WireFormat,
    /// The response's instructions (its own, else the session's).
    pub(crate) instructions: Option<String>,
    pub(crate) in_conversation: bool,
    /// Items the response reads instead of the conversation (`input`).
    pub(crate) input: Option<Vec<Item>>,
    /// The function tools the response may call (each has a name).
    pub(crate) tools: Vec<rtclient_protocol::Tool>,
    /// The response's `tool_choice`, else the session's.
    pub(crate) tool_choice: Option<rtclient_protocol::ToolChoice>,
}

/// The `response` object of `response.created`.
pub(crate) fn new_response(
    id: String,
    conversation_id: Option<&str>,
    modalities: Vec<Modality>,
    audio: SessionAudio,
    max_output_tokens: Option<rtclient_protocol::MaxTokens>,
    metadata: Option<serde_json::Value>,
) -> Response {
    Response {
        object: Some("realtime.response".to_owned()),
        id: Some(id),
        status: Some(ResponseStatus::InProgress),
        status_details: Some(Nullable::Null),
        output: Some(Vec::new()),
        conversation_id: conversation_id.map(str::to_owned),
        output_modalities: Some(modalities),
        max_output_tokens,
        audio: Some(audio),
        usage: Some(Nullable::Null),
        metadata: Some(metadata.unwrap_or(serde_json::Value::Null)),
        ..Default::default()
    }
}

impl Plan {
    /// The response of this plan as it starts in `st`, nothing produced yet.
    pub(crate) fn start(&self, st: &State) -> Active {
        Active {
            id: self.id.clone(),
            response: self.response.clone(),
            input: input_tokens(st, self),
            open: None,
            produced: Tokens::default(),
            audio_ms: 0,
            in_conversation: self.in_conversation,
        }
    }
}

/// The input tokens of a response with `plan` in this state: its instructions and the items it
/// reads (its own `input`, else the conversation).
fn input_tokens(st: &State, plan: &Plan) -> Tokens {
    let instructions = plan.instructions.as_deref();
    match &plan.input {
        Some(items) => usage::count(instructions, items.iter().map(|item| (item, 0))),
        None => usage::count(
            instructions,
            st.conversation.items().map(|s| (&s.item, s.audio_ms)),
        ),
    }
}

/// The plan of a response from the session config and `response.create` params.
pub(crate) fn plan(
    st: &super::state::State,
    params: Option<rtclient_protocol::ResponseCreateParams>,
) -> Plan {
    let params = params.unwrap_or_default();
    let session = &st.session;
    let modalities = params
        .output_modalities
        .clone()
        .or_else(|| session.output_modalities.clone())
        .unwrap_or_else(|| vec![Modality::Audio]);
    let audio = modalities.contains(&Modality::Audio);
    let in_conversation = params.conversation.as_ref().and_then(|c| c.as_str()) != Some("none");
    let tool_choice = params
        .tool_choice
        .clone()
        .or_else(|| session.tool_choice.clone());
    let tools = callable_tools(&params, session, tool_choice.as_ref());
    let (format, voice) = output_audio(&params, session);
    let instructions = params
        .instructions
        .clone()
        .or_else(|| session.instructions.clone());
    let response_audio = SessionAudio {
        output: Some(rtclient_protocol::AudioOutput {
            format: format.as_ref().map(config::complete_format),
            voice: voice.clone(),
            ..Default::default()
        }),
        ..Default::default()
    };
    let id = new_id("resp_");
    let mut response = new_response(
        id.clone(),
        in_conversation.then_some(st.conversation_id.as_str()),
        modalities,
        response_audio,
        params.max_output_tokens.or(session.max_output_tokens),
        params.metadata.clone(),
    );
    // Beta responses carry their sampling temperature (only beta sessions hold one).
    if let Some(temperature) = params
        .extra
        .get("temperature")
        .or_else(|| session.extra.get("temperature"))
    {
        response
            .extra
            .insert("temperature".to_owned(), temperature.clone());
    }
    Plan {
        id,
        response,
        audio,
        voice: config::voice_name(voice.as_ref()),
        format: config::wire_format(format.as_ref()),
        instructions,
        in_conversation,
        input: params.input,
        tools,
        tool_choice,
    }
}

/// The function tools a response may call: none when `tool_choice` is `none`, else its own
/// tools (or the session's) that have a name.
fn callable_tools(
    params: &rtclient_protocol::ResponseCreateParams,
    session: &Session,
    tool_choice: Option<&rtclient_protocol::ToolChoice>,
) -> Vec<rtclient_protocol::Tool> {
    if tool_choice
        == Some(&rtclient_protocol::ToolChoice::Mode(
            rtclient_protocol::ToolChoiceMode::None,
        ))
    {
        return Vec::new();
    }
    params
        .tools
        .clone()
        .or_else(|| session.tools.clone())
        .unwrap_or_default()
        .into_iter()
        .filter(|t| t.name.is_some())
        .collect()
}

/// The output format and voice of a response: `audio.output` of `response.create` overrides
/// the session's, field by field.
fn output_audio(
    params: &rtclient_protocol::ResponseCreateParams,
    session: &Session,
) -> (Option<AudioFormat>, Option<Voice>) {
    let session_output = session.audio.as_ref().and_then(|a| a.output.as_ref());
    let response_output = params.audio.as_ref().and_then(|a| a.output.as_ref());
    let format = response_output
        .and_then(|o| o.format.clone())
        .or_else(|| session_output.and_then(|o| o.format.clone()));
    let voice = response_output
        .and_then(|o| o.voice.clone())
        .or_else(|| session_output.and_then(|o| o.voice.clone()));
    (format, voice)
}
