//! What a conversation carries over to a new session ([`Conversation::resume`]): its settings
//! and its items, rewritten the way a client may create them.
//!
//! [`Conversation::resume`]: super::Conversation::resume

use rtclient_protocol::{
    ClientEvent, ContentKind, ContentPart, Item, ItemKind, Nullable, Role, Session,
};

use crate::conversation::state::ConversationState;

/// The events that carry a conversation over to a new session, in the order they must be sent.
#[derive(Debug)]
pub(super) struct Replay {
    /// The `session.update` of the old settings (when they were seen), then one
    /// `conversation.item.create` per replayable item, then the note, if any.
    pub(super) events: Vec<ClientEvent>,
    /// Whether the first event is the `session.update`.
    pub(super) restores_session: bool,
    /// Items replayed.
    pub(super) replayed: usize,
    /// Items left out.
    pub(super) skipped: usize,
}

/// The replay of `state` into a new session, with `note` as a system message after the
/// history.
pub(super) fn replay(state: &ConversationState, note: Option<&str>) -> Replay {
    let mut events = Vec::new();
    let restores_session = match state.session() {
        Some(session) => {
            events.push(ClientEvent::session_update(session_settings(session)));
            true
        }
        None => false,
    };
    let (mut replayed, mut skipped) = (0, 0);
    for item in state.items() {
        match replayable(item) {
            Some(item) => {
                events.push(ClientEvent::create_item(item));
                replayed += 1;
            }
            None => skipped += 1,
        }
    }
    if let Some(note) = note.filter(|_| replayed > 0) {
        events.push(ClientEvent::create_item(Item::system_text(note)));
    }
    Replay {
        events,
        restores_session,
        replayed,
        skipped,
    }
}

/// The `session.update` that gives a new session the effective settings of `session`: the
/// server-owned fields (`id`, `object`, `model`, `expires_at`, the beta `client_secret`) are
/// left out, since a client may not set them.
pub(super) fn session_settings(session: &Session) -> Session {
    let mut settings = session.clone();
    settings.id = None;
    settings.object = None;
    settings.model = None;
    settings.expires_at = None;
    settings.extra.remove("client_secret");
    settings
}

/// `item` as a client can create it again, or `None` when nothing of it can be replayed.
///
/// Audio is not kept by the conversation, so audio content is replayed as its transcript: user
/// audio as `input_text`, assistant audio as `output_text`; audio without a transcript is left
/// out. Function calls and their outputs are replayed as they are, so the model knows what its
/// tools returned. The item keeps its id; status and `object` are the server's to set.
pub(super) fn replayable(item: &Item) -> Option<Item> {
    let kind = item.kind.clone()?;
    let mut replay = Item {
        id: item.id.clone(),
        kind: Some(kind.clone()),
        ..Default::default()
    };
    match kind {
        ItemKind::Message => {
            let role = item.role.clone()?;
            let content: Vec<ContentPart> = item
                .content
                .iter()
                .flatten()
                .filter_map(|part| replayable_part(part, &role))
                .collect();
            if content.is_empty() {
                return None;
            }
            replay.role = Some(role);
            replay.content = Some(content);
        }
        ItemKind::FunctionCall => {
            replay.call_id = Some(item.call_id.clone()?);
            replay.name = Some(item.name.clone()?);
            replay.arguments = Some(item.arguments.clone().unwrap_or_default());
        }
        ItemKind::FunctionCallOutput => {
            replay.call_id = Some(item.call_id.clone()?);
            replay.output = Some(
                item.output
                    .clone()
                    .unwrap_or(Nullable::Value(String::new())),
            );
        }
        _ => return None,
    }
    Some(replay)
}

fn replayable_part(part: &ContentPart, role: &Role) -> Option<ContentPart> {
    let transcript = || {
        part.transcript
            .as_ref()
            .and_then(Nullable::value)
            .filter(|t| !t.trim().is_empty())
            .cloned()
    };
    let text = |kind: ContentKind, text: String| ContentPart {
        kind: Some(kind),
        text: Some(text),
        ..Default::default()
    };
    let kind = part.kind.clone()?;
    let assistant = *role == Role::Assistant;
    match kind {
        ContentKind::InputText | ContentKind::OutputText | ContentKind::Text => {
            let kind = if assistant {
                ContentKind::OutputText
            } else {
                ContentKind::InputText
            };
            Some(text(kind, part.text.clone()?))
        }
        ContentKind::InputAudio if !assistant => Some(text(ContentKind::InputText, transcript()?)),
        ContentKind::OutputAudio | ContentKind::Audio if assistant => {
            Some(text(ContentKind::OutputText, transcript()?))
        }
        ContentKind::InputImage if !assistant => Some(part.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(kind: ContentKind, text: Option<&str>, transcript: Option<&str>) -> ContentPart {
        ContentPart {
            kind: Some(kind),
            text: text.map(str::to_owned),
            transcript: transcript.map(|t| Nullable::Value(t.to_owned())),
            ..Default::default()
        }
    }

    fn message(role: Role, content: Vec<ContentPart>) -> Item {
        Item {
            id: Some("item_1".to_owned()),
            object: Some("realtime.item".to_owned()),
            kind: Some(ItemKind::Message),
            status: Some(rtclient_protocol::ItemStatus::Completed),
            role: Some(role),
            content: Some(content),
            ..Default::default()
        }
    }

    #[test]
    fn audio_is_replayed_as_its_transcript() {
        let user = message(
            Role::User,
            vec![part(
                ContentKind::InputAudio,
                None,
                Some("turn on the lights"),
            )],
        );
        let replay = replayable(&user).unwrap();
        assert_eq!(replay.id.as_deref(), Some("item_1"));
        assert_eq!(replay.status, None);
        assert_eq!(replay.object, None);
        assert_eq!(
            replay.content.unwrap(),
            [part(
                ContentKind::InputText,
                Some("turn on the lights"),
                None
            )]
        );
        let assistant = message(
            Role::Assistant,
            vec![part(ContentKind::OutputAudio, None, Some("Done."))],
        );
        assert_eq!(
            replayable(&assistant).unwrap().content.unwrap(),
            [part(ContentKind::OutputText, Some("Done."), None)]
        );
        // Beta assistant text becomes GA output_text.
        let beta = message(
            Role::Assistant,
            vec![part(ContentKind::Text, Some("Hi"), None)],
        );
        assert_eq!(
            replayable(&beta).unwrap().content.unwrap(),
            [part(ContentKind::OutputText, Some("Hi"), None)]
        );
    }

    #[test]
    fn audio_without_a_transcript_is_left_out() {
        let silent = message(Role::User, vec![part(ContentKind::InputAudio, None, None)]);
        assert_eq!(replayable(&silent), None);
    }

    #[test]
    fn tool_rounds_are_replayed_as_they_are() {
        let call = Item {
            id: Some("item_c".into()),
            kind: Some(ItemKind::FunctionCall),
            status: Some(rtclient_protocol::ItemStatus::Completed),
            call_id: Some("call_1".into()),
            name: Some("get_weather".into()),
            arguments: Some("{}".into()),
            ..Default::default()
        };
        let replay = replayable(&call).unwrap();
        assert_eq!(replay.status, None);
        assert_eq!(replay.name.as_deref(), Some("get_weather"));
        let output = Item::function_call_output("call_1", "sunny");
        assert_eq!(replayable(&output).unwrap().output, output.output);
    }

    #[test]
    fn server_owned_session_fields_are_not_carried() {
        let mut session = Session::realtime().instructions("Be brief.");
        session.id = Some("sess_1".into());
        session.object = Some("realtime.session".into());
        session.model = Some("gpt-realtime".into());
        session.expires_at = Some(1);
        session
            .extra
            .insert("client_secret".into(), serde_json::Value::Null);
        let settings = session_settings(&session);
        assert_eq!(settings.instructions.as_deref(), Some("Be brief."));
        assert!(settings.id.is_none() && settings.object.is_none());
        assert!(settings.model.is_none() && settings.expires_at.is_none());
        assert!(settings.extra.is_empty());
    }
}
