//! A response's prompt as chat messages: the session's instructions, the conversation and the
//! tools, in the shape every chat model takes (system, user, assistant and tool turns).

use rtclient_protocol::{ContentKind, ContentPart, Item, ItemKind, Nullable, Role as ItemRole};

use super::Prompt;

/// What the model is told when the session gives no instructions.
pub const DEFAULT_INSTRUCTIONS: &str =
    "You are a helpful voice assistant. Answer in one or two short spoken sentences.";

/// Who says a [`Message`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Instructions for the model.
    System,
    /// The user.
    User,
    /// The model.
    Assistant,
    /// A tool's result.
    Tool,
}

impl Role {
    /// The role's name in chat APIs and chat templates.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::Tool => "tool",
        }
    }
}

/// A function call the assistant made earlier in the conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolCall {
    /// The call's id, which the tool's result refers to.
    pub id: String,
    /// The function's name.
    pub name: String,
    /// Its arguments as JSON text.
    pub arguments: String,
}

/// One turn of a chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Who says it.
    pub role: Role,
    /// What is said (for a tool turn: the tool's output).
    pub content: String,
    /// The call an assistant turn makes instead of speaking.
    pub tool_call: Option<ToolCall>,
    /// For a tool turn: the call it answers.
    pub tool_call_id: Option<String>,
}

impl Message {
    fn new(role: Role, content: impl Into<String>) -> Self {
        Self {
            role,
            content: content.into(),
            tool_call: None,
            tool_call_id: None,
        }
    }
}

/// The chat for `prompt`: a system turn with the instructions, then the conversation. Items
/// with nothing to say (audio never transcribed, empty messages) are left out.
pub fn messages(prompt: &Prompt<'_>) -> Vec<Message> {
    let instructions = prompt
        .instructions
        .map(str::trim)
        .filter(|text| !text.is_empty())
        .unwrap_or(DEFAULT_INSTRUCTIONS);
    let mut out = vec![Message::new(Role::System, instructions)];
    out.extend(prompt.history.iter().filter_map(message));
    if out.len() == 1
        && let Some(text) = prompt.user_text
    {
        out.push(Message::new(Role::User, text));
    }
    out
}

fn message(item: &Item) -> Option<Message> {
    match item.kind {
        Some(ItemKind::FunctionCall) => Some(Message {
            tool_call: Some(ToolCall {
                id: item.call_id.clone().unwrap_or_default(),
                name: item.name.clone()?,
                arguments: item.arguments.clone().unwrap_or_else(|| "{}".to_owned()),
            }),
            ..Message::new(Role::Assistant, "")
        }),
        Some(ItemKind::FunctionCallOutput) => Some(Message {
            tool_call_id: item.call_id.clone(),
            ..Message::new(Role::Tool, item.output.as_ref().and_then(Nullable::value)?)
        }),
        _ => {
            let role = match item.role.as_ref()? {
                ItemRole::User => Role::User,
                ItemRole::Assistant => Role::Assistant,
                ItemRole::System => Role::System,
                _ => return None,
            };
            let text: Vec<&str> = item
                .content
                .iter()
                .flatten()
                .filter_map(part_text)
                .collect();
            let text = text.join(" ");
            (!text.trim().is_empty()).then(|| Message::new(role, text))
        }
    }
}

/// The words of a content part: typed text or the transcript of audio.
fn part_text(part: &ContentPart) -> Option<&str> {
    match part.kind.as_ref()? {
        ContentKind::InputText | ContentKind::OutputText | ContentKind::Text => {
            part.text.as_deref()
        }
        ContentKind::InputAudio | ContentKind::OutputAudio | ContentKind::Audio => part
            .transcript
            .as_ref()
            .and_then(Nullable::value)
            .map(String::as_str),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_item(role: ItemRole, kind: ContentKind, text: &str) -> Item {
        Item {
            kind: Some(ItemKind::Message),
            role: Some(role),
            content: Some(vec![ContentPart {
                kind: Some(kind),
                text: Some(text.to_owned()),
                ..Default::default()
            }]),
            ..Default::default()
        }
    }

    #[test]
    fn the_conversation_becomes_chat_turns_after_the_instructions() {
        let history = [
            text_item(
                ItemRole::User,
                ContentKind::InputText,
                "What is the weather?",
            ),
            Item {
                kind: Some(ItemKind::FunctionCall),
                name: Some("get_weather".into()),
                call_id: Some("call_1".into()),
                arguments: Some(r#"{"city":"Paris"}"#.into()),
                ..Default::default()
            },
            Item {
                kind: Some(ItemKind::FunctionCallOutput),
                call_id: Some("call_1".into()),
                output: Some(Nullable::Value("sunny".into())),
                ..Default::default()
            },
            Item {
                kind: Some(ItemKind::Message),
                role: Some(ItemRole::Assistant),
                content: Some(vec![ContentPart {
                    kind: Some(ContentKind::OutputAudio),
                    transcript: Some(Nullable::Value("It is sunny.".into())),
                    ..Default::default()
                }]),
                ..Default::default()
            },
            // Audio that was never transcribed says nothing to a model.
            Item {
                kind: Some(ItemKind::Message),
                role: Some(ItemRole::User),
                content: Some(vec![ContentPart {
                    kind: Some(ContentKind::InputAudio),
                    transcript: Some(Nullable::Null),
                    ..Default::default()
                }]),
                ..Default::default()
            },
        ];
        let prompt = Prompt {
            instructions: Some("Be brief."),
            history: &history,
            ..Prompt::default()
        };
        let chat = messages(&prompt);
        let roles: Vec<Role> = chat.iter().map(|m| m.role).collect();
        assert_eq!(
            roles,
            [
                Role::System,
                Role::User,
                Role::Assistant,
                Role::Tool,
                Role::Assistant
            ]
        );
        assert_eq!(chat[0].content, "Be brief.");
        assert_eq!(chat[1].content, "What is the weather?");
        assert_eq!(
            chat[2].tool_call.as_ref().map(|c| c.name.as_str()),
            Some("get_weather")
        );
        assert_eq!(chat[3].content, "sunny");
        assert_eq!(chat[3].tool_call_id.as_deref(), Some("call_1"));
        assert_eq!(chat[4].content, "It is sunny.");
    }

    #[test]
    fn without_instructions_or_history_the_user_text_is_the_chat() {
        let prompt = Prompt {
            user_text: Some("hello"),
            instructions: Some("  "),
            ..Prompt::default()
        };
        let chat = messages(&prompt);
        assert_eq!(chat[0].content, DEFAULT_INSTRUCTIONS);
        assert_eq!(chat[1], Message::new(Role::User, "hello"));
    }
}
