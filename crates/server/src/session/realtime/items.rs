//! Conversation item events: `conversation.item.create`, `.retrieve`, `.delete` and
//! `.truncate`.

use base64::Engine as _;
use rtclient_protocol::event::client as cl;
use rtclient_protocol::event::server as ev;
use rtclient_protocol::{ContentKind, Dialect, ErrorCode, Nullable, Role};

use super::config;
use super::conversation::{MAX_CONVERSATION_AUDIO, Stored, prepare_client_item, without_audio};
use super::state::Running;
use crate::session::errors::ClientError;
use crate::session::ids::new_id;
use crate::session::lock::lock;

impl Running {
    pub(super) fn item_create(&mut self, e: cl::ConversationItemCreate) -> Result<(), ClientError> {
        if self.emitter.dialect() == Dialect::Ga {
            config::unknown_field("item", &e.item.extra)?;
        }
        let item = prepare_client_item(e.item, new_id("item_"))?;
        let mut st = lock(&self.state);
        let previous = e
            .previous_item_id
            .as_ref()
            .and_then(Nullable::value)
            .map(String::as_str);
        let (position, previous) = st.conversation.position(previous)?;
        st.conversation.check_room(&item)?;
        let audio = item
            .content
            .iter()
            .flatten()
            .filter_map(|p| p.decoded_audio()?.ok())
            .next()
            .unwrap_or_default();
        let rate = config::input_format(&st.session).bytes_per_second().max(1);
        let audio_ms = audio.len() as u64 * 1000 / rate;
        // The audio is kept decoded once, in `audio`; retrieve encodes it again.
        st.conversation.insert(
            position,
            Stored {
                item: without_audio(&item),
                audio,
                audio_ms,
            },
        );
        st.conversation.limit_audio(MAX_CONVERSATION_AUDIO);
        let shown = without_audio(&item);
        self.emitter.send(ev::ConversationItemAdded {
            previous_item_id: Some(previous.clone().into()),
            item: shown.clone(),
            ..Default::default()
        });
        self.emitter.send(ev::ConversationItemDone {
            previous_item_id: Some(previous.into()),
            item: shown,
            ..Default::default()
        });
        Ok(())
    }

    pub(super) fn item_retrieve(
        &mut self,
        e: &cl::ConversationItemRetrieve,
    ) -> Result<(), ClientError> {
        let st = lock(&self.state);
        let stored = st
            .conversation
            .get(&e.item_id)
            .ok_or_else(|| item_not_found(&e.item_id))?;
        let mut item = stored.item.clone();
        if !stored.audio.is_empty() {
            let encoded = base64::engine::general_purpose::STANDARD.encode(&stored.audio);
            for part in item.content.iter_mut().flatten() {
                if matches!(
                    part.kind,
                    Some(ContentKind::InputAudio | ContentKind::OutputAudio)
                ) {
                    part.audio = Some(encoded.clone());
                }
            }
        }
        self.emitter.send(ev::ConversationItemRetrieved {
            item,
            ..Default::default()
        });
        Ok(())
    }

    pub(super) fn item_delete(
        &mut self,
        e: &cl::ConversationItemDelete,
    ) -> Result<(), ClientError> {
        let mut st = lock(&self.state);
        if !st.conversation.remove(&e.item_id) {
            return Err(item_not_found(&e.item_id));
        }
        self.emitter.send(ev::ConversationItemDeleted {
            item_id: e.item_id.clone(),
            ..Default::default()
        });
        Ok(())
    }

    pub(super) fn item_truncate(
        &mut self,
        e: &cl::ConversationItemTruncate,
    ) -> Result<(), ClientError> {
        let mut st = lock(&self.state);
        let format = config::output_format(&st.session);
        let stored = st
            .conversation
            .get_mut(&e.item_id)
            .ok_or_else(|| item_not_found(&e.item_id))?;
        let is_audio = stored.item.role == Some(Role::Assistant)
            && stored
                .item
                .content
                .iter()
                .flatten()
                .nth(e.content_index as usize)
                .is_some_and(|p| p.kind == Some(ContentKind::OutputAudio));
        if !is_audio {
            return Err(ClientError::new(
                ErrorCode::UnsupportedContentType,
                "Only assistant messages with audio content can be truncated.",
            )
            .param("item_id"));
        }
        if e.audio_end_ms > stored.audio_ms {
            return Err(ClientError::invalid_value(
                "audio_end_ms",
                format!(
                    "Audio content of {}ms is already shorter than {}ms",
                    stored.audio_ms, e.audio_end_ms
                ),
            ));
        }
        let keep = (format.bytes_per_second() * e.audio_end_ms / 1000) as usize;
        let keep = keep - keep % format.bytes_per_sample();
        stored.audio.truncate(keep);
        let ratio = e.audio_end_ms as f64 / stored.audio_ms.max(1) as f64;
        stored.audio_ms = e.audio_end_ms;
        for part in stored.item.content.iter_mut().flatten() {
            if let Some(Nullable::Value(t)) = part.transcript.as_mut() {
                let words: Vec<&str> = t.split(' ').collect();
                let kept = (words.len() as f64 * ratio).floor() as usize;
                *t = words[..kept.min(words.len())].join(" ");
            }
        }
        self.emitter.send(ev::ConversationItemTruncated {
            item_id: e.item_id.clone(),
            content_index: e.content_index,
            audio_end_ms: e.audio_end_ms,
            ..Default::default()
        });
        Ok(())
    }
}

fn item_not_found(id: &str) -> ClientError {
    ClientError::invalid_value("item_id", format!("Item with item_id not found: {id}"))
}
