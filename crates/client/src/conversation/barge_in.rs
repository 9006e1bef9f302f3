//! Barge-in: cancel the response the user spoke over and truncate its audio to what was heard,
//! by hand ([`Conversation::interrupt`], [`Conversation::truncate`]) or on its own when a
//! [`PlaybackTracker`](super::PlaybackTracker) is installed.
//!
//! A truncation is only sent when the service will accept it: the item received audio (so it
//! has an audio part), `audio_end_ms` is clamped to the audio received (rounded down, so never
//! past what the server has), and the item was not already cut at or below that point.

use rtclient_protocol::ClientEvent;

use crate::{
    conversation::{
        Conversation,
        event::{ConversationEvent, Interruption, Truncation},
        state::ConversationState,
    },
    error::Error,
};

/// A truncation to send: content part and `audio_end_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cut {
    content_index: u32,
    audio_end_ms: u64,
}

/// The truncation of `item_id` after `played_ms` were played, or `None` when there is nothing
/// to cut: no audio was received for it, it was already cut at or below that point, or all its
/// audio arrived and was played.
fn cut(state: &ConversationState, item_id: &str, played_ms: u64) -> Option<Cut> {
    let audio = state.audio(item_id)?;
    let received_ms = audio.received_ms();
    let audio_end_ms = played_ms.min(received_ms);
    let already_cut = audio
        .truncated_ms()
        .is_some_and(|truncated| truncated <= audio_end_ms);
    let all_heard = audio.is_done() && played_ms >= received_ms;
    if already_cut || all_heard {
        return None;
    }
    Some(Cut {
        content_index: audio.content_index(),
        audio_end_ms,
    })
}

impl Conversation {
    /// Barge-in: the user spoke over the assistant, whose playback had played `played_ms` of
    /// the assistant audio item that received audio last
    /// ([`ConversationState::last_audio_item`]).
    ///
    /// Sends `response.cancel` if a response is in progress
    /// ([`ConversationState::cancellable_response`]), then truncates that item as
    /// [`truncate`](Conversation::truncate) does. Stop playback and drop the queued audio
    /// yourself. The server answers with `response.done` (status `cancelled`) for the cancel and
    /// `conversation.item.truncated` for the truncation.
    ///
    /// With server VAD and `interrupt_response` (the default) the server cancels the response
    /// itself on `speech_started`: call this when [`ConversationEvent::SpeechStarted`] arrives,
    /// and it sends only the truncation (no cancel for the server to refuse). With a
    /// [`PlaybackTracker`](super::PlaybackTracker) installed the conversation does this itself.
    pub async fn interrupt(&self, played_ms: u64) -> Result<Interruption, Error> {
        let cancel_event_id = match self.state.cancellable_response() {
            Some(_) => Some(self.handle.cancel_response().await?),
            None => None,
        };
        let truncation = match self.state.last_audio_item() {
            Some(item_id) => self.truncate(item_id, played_ms).await?,
            None => None,
        };
        Ok(Interruption {
            cancel_event_id,
            truncation,
        })
    }

    /// Truncates the assistant audio item `item_id` to `played_ms`, clamped to the audio
    /// received for it (the server refuses a longer `audio_end_ms`), and returns what it sent.
    ///
    /// Sends nothing and returns `None` when there is nothing to cut: no audio was received
    /// for the item, or it was already truncated at or below that point, or all its audio
    /// arrived and was played.
    pub async fn truncate(
        &self,
        item_id: &str,
        played_ms: u64,
    ) -> Result<Option<Truncation>, Error> {
        let Some(cut) = cut(&self.state, item_id, played_ms) else {
            return Ok(None);
        };
        let event_id = self
            .handle
            .send(ClientEvent::truncate(
                item_id,
                cut.content_index,
                cut.audio_end_ms,
            ))
            .await?;
        Ok(Some(Truncation {
            item_id: item_id.to_owned(),
            content_index: cut.content_index,
            audio_end_ms: cut.audio_end_ms,
            event_id,
        }))
    }

    /// The user started speaking: with a tracker installed, truncate the item being played
    /// at its played position, stop the tracker and report a [`ConversationEvent::BargeIn`].
    ///
    /// The server has cancelled the response already (turn detection interrupts responses);
    /// when the session turned `interrupt_response` off and the response goes on, so does its
    /// playback, and nothing is done.
    pub(super) fn barge_in(&mut self) -> Result<(), Error> {
        let Some(tracker) = &self.playback else {
            return Ok(());
        };
        if self.state.cancellable_response().is_some() {
            return Ok(());
        }
        let Some(item_id) = self.state.last_audio_item() else {
            return Ok(());
        };
        let played_ms = tracker.played_ms(item_id);
        tracker.stop();
        let Some(cut) = played_ms.and_then(|played_ms| cut(&self.state, item_id, played_ms)) else {
            return Ok(());
        };
        let sender = self.handle.sender();
        let event = ClientEvent::truncate(item_id, cut.content_index, cut.audio_end_ms);
        let encoded = sender.encode(event)?;
        let truncation = Truncation {
            item_id: item_id.to_owned(),
            content_index: cut.content_index,
            audio_end_ms: cut.audio_end_ms,
            event_id: encoded.event_id,
        };
        self.outbox.push(sender, encoded.text);
        self.pending
            .push_back(ConversationEvent::BargeIn(Interruption {
                cancel_event_id: None,
                truncation: Some(truncation),
            }));
        Ok(())
    }

    /// Tells the tracker how much audio arrived for `item_id`.
    pub(super) fn track_audio(&self, item_id: &str) {
        if let (Some(tracker), Some(audio)) = (&self.playback, self.state.audio(item_id)) {
            tracker.received(item_id, audio.received_ms());
        }
    }
}
