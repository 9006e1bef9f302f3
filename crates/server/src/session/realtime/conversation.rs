//! The conversation: items in order, with the audio of audio items kept for retrieve and
//! truncate.

use rtclient_protocol::{ContentKind, ErrorCode, Item, ItemKind, Nullable, Role};

use super::validation;
use crate::session::errors::ClientError;

/// One stored item and its audio (wire bytes in the format it was produced or appended in).
#[derive(Debug, Clone)]
pub(crate) struct Stored {
    pub(crate) item: Item,
    pub(crate) audio: Vec<u8>,
    /// Milliseconds of audio held in `audio`.
    pub(crate) audio_ms: u64,
}

/// Most audio a conversation keeps (about 6 minutes of 24 kHz PCM16): beyond it the audio of
/// the oldest items is dropped (their text and transcripts stay), so a long session's memory
/// stays bounded.
pub(crate) const MAX_CONVERSATION_AUDIO: usize = 16 * 1024 * 1024;

/// Most text a conversation holds: the text, transcripts, function arguments and outputs of its
/// items, 8 MiB. That is far more than any Realtime model's context takes (128k tokens are about
/// 512 KiB of text); with [`MAX_CONVERSATION_AUDIO`], one session's conversation stays under
/// 24 MiB. An item that would go over is refused with `context_length_exceeded`, the code
/// OpenAI gives input longer than a model's context.
pub(crate) const MAX_CONVERSATION_TEXT: usize = 8 * 1024 * 1024;

/// The items of a session, in conversation order.
#[derive(Debug, Default)]
pub(crate) struct Conversation {
    items: Vec<Stored>,
}

impl Conversation {
    /// The id of the last item, if any.
    pub(crate) fn last_id(&self) -> Option<String> {
        self.items.last().and_then(|s| s.item.id.clone())
    }

    /// Where an item goes: after `previous` (`root` for the start, `None` for the end).
    /// Returns the insert position and the previous item's id.
    pub(crate) fn position(
        &self,
        previous: Option<&str>,
    ) -> Result<(usize, Option<String>), ClientError> {
        match previous {
            None => Ok((self.items.len(), self.last_id())),
            Some("root") => Ok((0, None)),
            Some(id) => match self.index(id) {
                Some(i) => Ok((i + 1, Some(id.to_owned()))),
                None => Err(ClientError::invalid_value(
                    "previous_item_id",
                    format!("Previous item with id '{id}' not found."),
                )),
            },
        }
    }

    /// Inserts at `position`.
    pub(crate) fn insert(&mut self, position: usize, stored: Stored) {
        let at = position.min(self.items.len());
        self.items.insert(at, stored);
    }

    /// Appends at the end; returns the previous item's id.
    pub(crate) fn push(&mut self, stored: Stored) -> Option<String> {
        let previous = self.last_id();
        self.items.push(stored);
        previous
    }

    fn index(&self, id: &str) -> Option<usize> {
        self.items
            .iter()
            .position(|s| s.item.id.as_deref() == Some(id))
    }

    /// The stored item `id`.
    pub(crate) fn get(&self, id: &str) -> Option<&Stored> {
        self.index(id).map(|i| &self.items[i])
    }

    /// The stored item `id`, mutable.
    pub(crate) fn get_mut(&mut self, id: &str) -> Option<&mut Stored> {
        self.index(id).map(|i| &mut self.items[i])
    }

    /// Removes item `id`; false when it does not exist.
    pub(crate) fn remove(&mut self, id: &str) -> bool {
        match self.index(id) {
            Some(i) => {
                self.items.remove(i);
                true
            }
            None => false,
        }
    }

    /// The items, in order.
    pub(crate) fn items(&self) -> impl DoubleEndedIterator<Item = &Stored> {
        self.items.iter()
    }

    /// Checks that `item` fits in the conversation's text budget ([`MAX_CONVERSATION_TEXT`]).
    pub(crate) fn check_room(&self, item: &Item) -> Result<(), ClientError> {
        let held: usize = self.items.iter().map(|s| text_len(&s.item)).sum();
        let total = held + text_len(item);
        if total <= MAX_CONVERSATION_TEXT {
            return Ok(());
        }
        Err(ClientError::new(
            ErrorCode::ContextLengthExceeded,
            format!(
                "The conversation is too long: with this item it would hold {total} bytes of \
                 text, more than its limit of {} MiB. Delete items (conversation.item.delete) \
                 or start a new session.",
                MAX_CONVERSATION_TEXT / (1024 * 1024)
            ),
        )
        .param("item"))
    }

    /// Drops the audio of the oldest items until at most `max` bytes of audio are kept. An item
    /// without its audio can no longer be retrieved with audio or truncated.
    pub(crate) fn limit_audio(&mut self, max: usize) {
        let mut total: usize = self.items.iter().map(|s| s.audio.len()).sum();
        for stored in &mut self.items {
            if total <= max {
                break;
            }
            total -= stored.audio.len();
            stored.audio = Vec::new();
            stored.audio_ms = 0;
        }
    }
}

/// Checks a client item and fills in `id`, `object` (absent), and `status`.
pub(crate) fn prepare_client_item(mut item: Item, new_id: String) -> Result<Item, ClientError> {
    let Some(kind) = item.kind.clone() else {
        return Err(ClientError::new(
            ErrorCode::MissingRequiredParameter,
            "Missing required parameter: 'item.type'.",
        )
        .param("item.type"));
    };
    match kind {
        ItemKind::Message => {
            let Some(role) = item.role.clone() else {
                return Err(ClientError::new(
                    ErrorCode::MissingRequiredParameter,
                    "Missing required parameter: 'item.role'.",
                )
                .param("item.role"));
            };
            validation::check_role(&role)?;
            for (i, part) in item.content.iter().flatten().enumerate() {
                let allowed: &[&str] = match role {
                    Role::Assistant => &["output_text", "output_audio"],
                    _ => &["input_text", "input_audio", "input_image"],
                };
                let kind = part.kind.as_ref().map(ContentKind::as_str).unwrap_or("");
                if !allowed.contains(&kind) {
                    let expected = if allowed.len() == 2 && kind == "text" {
                        "Value must be 'output_text'.".to_owned()
                    } else {
                        format!("Supported values are: '{}'.", allowed.join("', '"))
                    };
                    return Err(ClientError::invalid_value(
                        format!("item.content[{i}].type"),
                        format!("Invalid value: '{kind}'. {expected}"),
                    ));
                }
            }
        }
        ItemKind::FunctionCallOutput => {
            if item.call_id.is_none() {
                return Err(ClientError::new(
                    ErrorCode::MissingRequiredParameter,
                    "Missing required parameter: 'item.call_id'.",
                )
                .param("item.call_id"));
            }
        }
        ItemKind::FunctionCall => {}
        other => {
            return Err(ClientError::invalid_value(
                "item.type",
                format!(
                    "Invalid value: '{}'. Supported values are: 'message', 'function_call', and \
                     'function_call_output'.",
                    other.as_str()
                ),
            ));
        }
    }
    item.id = Some(item.id.unwrap_or(new_id));
    if item.kind == Some(ItemKind::Message) || item.kind == Some(ItemKind::FunctionCall) {
        item.status = Some(rtclient_protocol::ItemStatus::Completed);
    }
    Ok(item)
}

/// The bytes of text `item` holds: content text and transcripts, function arguments and output.
fn text_len(item: &Item) -> usize {
    let content: usize = item
        .content
        .iter()
        .flatten()
        .map(|p| {
            p.text.as_ref().map_or(0, String::len)
                + p.transcript
                    .as_ref()
                    .and_then(Nullable::value)
                    .map_or(0, String::len)
        })
        .sum();
    let output = item
        .output
        .as_ref()
        .and_then(Nullable::value)
        .map_or(0, String::len);
    content + item.arguments.as_ref().map_or(0, String::len) + output
}

/// The item as sent in `added`/`done`: audio bytes left out.
pub(crate) fn without_audio(item: &Item) -> Item {
    let mut item = item.clone();
    for part in item.content.iter_mut().flatten() {
        part.audio = None;
    }
    item
}

#[cfg(test)]
mod tests {
    use rtclient_protocol::ItemStatus;

    use super::*;

    fn stored(id: &str) -> Stored {
        let mut item = Item::user_text("x");
        item.id = Some(id.to_owned());
        Stored {
            item,
            audio: Vec::new(),
            audio_ms: 0,
        }
    }

    #[test]
    fn positions_follow_previous_item_id() {
        let mut c = Conversation::default();
        assert_eq!(c.position(None).unwrap(), (0, None));
        c.push(stored("a"));
        c.push(stored("b"));
        assert_eq!(c.position(None).unwrap(), (2, Some("b".to_owned())));
        assert_eq!(c.position(Some("root")).unwrap(), (0, None));
        assert_eq!(c.position(Some("a")).unwrap(), (1, Some("a".to_owned())));
        let error = c.position(Some("zz")).unwrap_err();
        assert_eq!(error.code, "invalid_value");
        assert_eq!(error.param.as_deref(), Some("previous_item_id"));
        c.insert(1, stored("m"));
        let ids: Vec<_> = c.items().map(|s| s.item.id.clone().unwrap()).collect();
        assert_eq!(ids, ["a", "m", "b"]);
        assert!(c.remove("m"));
        assert!(!c.remove("m"));
    }

    #[test]
    fn the_oldest_audio_goes_first() {
        let mut c = Conversation::default();
        for (id, bytes) in [("a", 400), ("b", 300), ("c", 200)] {
            let mut s = stored(id);
            s.audio = vec![0; bytes];
            s.audio_ms = bytes as u64 / 48;
            c.push(s);
        }
        c.limit_audio(600);
        let kept: Vec<usize> = c.items().map(|s| s.audio.len()).collect();
        assert_eq!(kept, [0, 300, 200]);
        assert_eq!(c.get("a").unwrap().audio_ms, 0);
        c.limit_audio(600);
        assert_eq!(c.get("b").unwrap().audio.len(), 300);
    }

    #[test]
    fn client_items_are_checked_and_completed() {
        let item = prepare_client_item(Item::user_text("hi"), "item_1".to_owned()).unwrap();
        assert_eq!(item.id.as_deref(), Some("item_1"));
        assert_eq!(item.status, Some(ItemStatus::Completed));
        let output = prepare_client_item(Item::function_call_output("c", "o"), "i".into()).unwrap();
        assert_eq!(output.status, None);
        let mut bad = Item::assistant_text("x");
        if let Some(part) = bad.content.as_mut().and_then(|c| c.first_mut()) {
            part.kind = Some(ContentKind::InputText);
        }
        let error = prepare_client_item(bad, "i".into()).unwrap_err();
        assert_eq!(error.param.as_deref(), Some("item.content[0].type"));
    }
}
