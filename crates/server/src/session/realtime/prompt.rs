//! What the responder reads: the prompt of a response, built from the conversation (or the
//! response's own `input`) and the response's plan, and the same prompt read ahead for a turn
//! whose transcript is only just heard.

use std::sync::Arc;

use rtclient_protocol::{ContentKind, ContentPart, Item, ItemKind, ItemStatus, Nullable, Role};

use super::plan::{self, Plan};
use super::read_ahead::Prepare;
use super::state::{SharedState, State};
use crate::engine::reply::{FunctionOutput, Prompt};
use crate::session::engines::Engines;
use crate::session::lock::lock;

/// The items the responder reads for a response under `plan`: the conversation (or the
/// response's own `input`), with what was heard privately in user turns that have no
/// transcript.
pub(super) fn responder_items(st: &State, plan: &Plan) -> Vec<Item> {
    let mut items: Vec<Item> = match &plan.input {
        Some(items) => items.clone(),
        None => st.conversation.items().map(|s| s.item.clone()).collect(),
    };
    for (heard_id, text) in &st.heard {
        fill_transcript(&mut items, heard_id, text);
    }
    items
}

/// Gives the input audio of item `id` (in the responder's copy of the conversation) the
/// transcript `text` when it has none.
fn fill_transcript(items: &mut [Item], id: &str, text: &str) {
    let Some(item) = items.iter_mut().find(|i| i.id.as_deref() == Some(id)) else {
        return;
    };
    for part in item.content.iter_mut().flatten() {
        let untranscribed = part.transcript.as_ref().is_none_or(|t| t.value().is_none());
        if part.kind == Some(ContentKind::InputAudio) && untranscribed {
            part.transcript = Some(Nullable::Value(text.to_owned()));
        }
    }
}

/// Calls `f` with the responder's view of `items` (the conversation, or the response's own
/// `input`), the user's latest audio length and the response's plan.
pub(super) fn with_prompt<R>(
    items: &[Item],
    audio_ms: Option<u64>,
    plan: &Plan,
    f: impl FnOnce(&Prompt<'_>) -> R,
) -> R {
    let tool_names: Vec<&str> = plan
        .tools
        .iter()
        .filter_map(|t| t.name.as_deref())
        .collect();
    let last = items.last();
    let function_output = last
        .filter(|i| i.kind == Some(ItemKind::FunctionCallOutput))
        .map(|out| {
            let call = items.iter().rev().find(|i| {
                i.kind == Some(ItemKind::FunctionCall)
                    && i.call_id.is_some()
                    && i.call_id == out.call_id
            });
            FunctionOutput {
                name: call.and_then(|c| c.name.as_deref()).unwrap_or("function"),
                output: out
                    .output
                    .as_ref()
                    .and_then(Nullable::value)
                    .map(String::as_str)
                    .unwrap_or(""),
            }
        });
    let user_text = items
        .iter()
        .rev()
        .find(|i| i.role == Some(Role::User))
        .and_then(|i| i.content.as_ref())
        .and_then(|parts| {
            parts.iter().find_map(|p| match p.kind {
                Some(ContentKind::InputText) => p.text.as_deref(),
                Some(ContentKind::InputAudio) => p
                    .transcript
                    .as_ref()
                    .and_then(Nullable::value)
                    .map(String::as_str),
                _ => None,
            })
        });
    let prompt = Prompt {
        user_text,
        user_audio_ms: audio_ms,
        function_output,
        tools: &tool_names,
        tool_specs: &plan.tools,
        tool_choice: plan.tool_choice.as_ref(),
        instructions: plan.instructions.as_deref(),
        history: items,
    };
    f(&prompt)
}

/// What reads ahead the prompt of the response to the user turn `item_id`, once its
/// transcript is known: the conversation as it stands, with that turn added as its
/// transcript.
pub(super) fn prepare_reply(
    state: &SharedState,
    engines: &Arc<Engines>,
    item_id: String,
) -> Prepare {
    let (plan, items) = {
        let st = lock(state);
        let plan = plan::plan(&st, None);
        let items = responder_items(&st, &plan);
        (plan, items)
    };
    let engines = Arc::clone(engines);
    Box::new(move |transcript| {
        let mut items = items;
        items.push(user_item(item_id, transcript));
        with_prompt(&items, None, &plan, |prompt| {
            engines.responder.prepare(prompt);
        });
    })
}

/// The user's audio message `item_id` as the conversation will hold it once transcribed.
fn user_item(item_id: String, transcript: String) -> Item {
    Item {
        id: Some(item_id),
        kind: Some(ItemKind::Message),
        status: Some(ItemStatus::Completed),
        role: Some(Role::User),
        content: Some(vec![ContentPart {
            kind: Some(ContentKind::InputAudio),
            transcript: Some(Nullable::Value(transcript)),
            ..Default::default()
        }]),
        ..Default::default()
    }
}
