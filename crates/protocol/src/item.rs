//! Conversation items (messages, function calls and their outputs, MCP items) and their
//! content parts.
//!
//! [`Item`] is one flat struct for every item `type`: the fields that do not apply to a kind
//! stay `None`. The same struct serves both dialects; beta assistant content uses
//! `text`/`audio` parts where GA uses `output_text`/`output_audio` (see [`crate::beta::translate`]).

use crate::nullable::Nullable;
use crate::wire::{string_enum, wire_struct};

wire_struct! {
    /// A conversation item.
    ///
    /// ```
    /// use rtclient_protocol::Item;
    /// let item = Item::user_text("hi");
    /// assert_eq!(
    ///     serde_json::to_string(&item).unwrap(),
    ///     r#"{"type":"message","role":"user","content":[{"type":"input_text","text":"hi"}]}"#
    /// );
    /// ```
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct Item [object] {
        /// Item id `item_...`.
        opt id: String = "id",
        /// `realtime.item` (beta, and some GA frames).
        opt object: String = "object",
        /// The item kind.
        opt kind: ItemKind = "type",
        /// `completed`, `incomplete` or `in_progress`.
        opt status: ItemStatus = "status",
        /// Message role.
        opt role: Role = "role",
        /// Message content parts.
        opt content: Vec<ContentPart> = "content",
        /// Function call id `call_...` (function calls and outputs).
        opt call_id: String = "call_id",
        /// Function or MCP tool name.
        opt name: String = "name",
        /// Function call arguments, a JSON string.
        opt arguments: String = "arguments",
        /// Function call output (or MCP call output, which may be `null`).
        opt output: Nullable<String> = "output",
        /// MCP server label.
        opt server_label: String = "server_label",
    }
}

impl Item {
    fn message(role: Role, part: ContentPart) -> Self {
        Self {
            kind: Some(ItemKind::Message),
            role: Some(role),
            content: Some(vec![part]),
            ..Default::default()
        }
    }

    /// A user message with one `input_text` part.
    pub fn user_text(text: impl Into<String>) -> Self {
        Self::message(Role::User, ContentPart::input_text(text))
    }

    /// A system message with one `input_text` part.
    pub fn system_text(text: impl Into<String>) -> Self {
        Self::message(Role::System, ContentPart::input_text(text))
    }

    /// A user message with one `input_audio` part (base64 audio in the session's input format).
    pub fn user_audio_base64(audio: impl Into<String>) -> Self {
        Self::message(
            Role::User,
            ContentPart {
                kind: Some(ContentKind::InputAudio),
                audio: Some(audio.into()),
                ..Default::default()
            },
        )
    }

    /// An assistant message with one `output_text` part (GA; the beta translation writes `text`).
    pub fn assistant_text(text: impl Into<String>) -> Self {
        Self::message(
            Role::Assistant,
            ContentPart {
                kind: Some(ContentKind::OutputText),
                text: Some(text.into()),
                ..Default::default()
            },
        )
    }

    /// A `function_call_output` item answering `call_id`.
    pub fn function_call_output(call_id: impl Into<String>, output: impl Into<String>) -> Self {
        Self {
            kind: Some(ItemKind::FunctionCallOutput),
            call_id: Some(call_id.into()),
            output: Some(Nullable::Value(output.into())),
            ..Default::default()
        }
    }
}

string_enum! {
    /// The `type` of an item.
    pub enum ItemKind {
        /// A message.
        Message = "message",
        /// A function call by the model.
        FunctionCall = "function_call",
        /// The client's answer to a function call.
        FunctionCallOutput = "function_call_output",
        /// MCP tool listing.
        McpListTools = "mcp_list_tools",
        /// MCP tool call.
        McpCall = "mcp_call",
        /// MCP approval request.
        McpApprovalRequest = "mcp_approval_request",
        /// MCP approval response.
        McpApprovalResponse = "mcp_approval_response",
        /// A reference to an item (in `response.create` `input`).
        ItemReference = "item_reference",
    }
}

string_enum! {
    /// Item status.
    pub enum ItemStatus {
        /// Done.
        Completed = "completed",
        /// Cut short.
        Incomplete = "incomplete",
        /// Being generated.
        InProgress = "in_progress",
    }
}

string_enum! {
    /// Message role.
    pub enum Role {
        /// User.
        User = "user",
        /// Assistant.
        Assistant = "assistant",
        /// System.
        System = "system",
    }
}

wire_struct! {
    /// A content part of a message (also the `part` of `response.content_part.*`).
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct ContentPart [object] {
        /// The part kind.
        opt kind: ContentKind = "type",
        /// Text (`input_text`, `output_text`, beta `text`).
        opt text: String = "text",
        /// Base64 audio (`input_audio`, `output_audio`, beta `audio`).
        opt audio: String = "audio",
        /// Audio transcript; `null` while not transcribed.
        opt transcript: Nullable<String> = "transcript",
        /// Image URL (`input_image`, GA).
        opt image_url: String = "image_url",
        /// Image detail (`input_image`, GA).
        opt detail: String = "detail",
        /// Referenced item id (`item_reference`).
        opt id: String = "id",
    }
}

impl ContentPart {
    /// An `input_text` part.
    pub fn input_text(text: impl Into<String>) -> Self {
        Self {
            kind: Some(ContentKind::InputText),
            text: Some(text.into()),
            ..Default::default()
        }
    }
}

string_enum! {
    /// The `type` of a content part.
    pub enum ContentKind {
        /// User/system text.
        InputText = "input_text",
        /// User audio.
        InputAudio = "input_audio",
        /// User image (GA).
        InputImage = "input_image",
        /// Item reference.
        ItemReference = "item_reference",
        /// Assistant text (GA item content).
        OutputText = "output_text",
        /// Assistant audio (GA item content).
        OutputAudio = "output_audio",
        /// Assistant text (beta item content; `response.content_part.*` in both dialects).
        Text = "text",
        /// Assistant audio (beta item content; `response.content_part.*` in both dialects).
        Audio = "audio",
    }
}
