//! Spoken turns with server VAD: speech events, the input transcript matched by item id, and
//! barge-in where the server cancels the response and the client truncates what was heard.

use std::collections::HashSet;

use rtclient::protocol::{Nullable, ServerEvent, Session, StatusReason};
use rtclient::{ConversationEvent, Dialect, ResponseOutcome};
use rtclient_audio::Pace;
use rtclient_server::RealtimeSession;
use rtclient_server::{Transcriber, Transcript, TranscriptionError, TurnAudio};

use crate::server::{next, scripted, start, turn, update};

const TRANSCRIPT: &str = "the quick brown fox";

/// A transcriber that hears the same words in every turn of speech.
struct FixedTranscriber;

impl Transcriber for FixedTranscriber {
    fn transcribe(
        &self,
        _audio: TurnAudio<'_>,
        _model: &str,
    ) -> Result<Transcript, TranscriptionError> {
        Ok(TRANSCRIPT.to_owned().into())
    }
}

/// Real speech at 24 kHz: a local server's spoken reply, collected from its audio deltas.
///
/// A scripted reply with no clause break: the echo's "I heard: ..." pauses about 220 ms at the
/// colon, which is a turn end under GA's 200 ms default silence.
pub(crate) async fn speech() -> Vec<u8> {
    let mut conversation =
        scripted("rules:\n  - say: \"the quick brown fox jumps over the lazy dog\"\n").await;
    let events = turn(
        &mut conversation,
        "the quick brown fox jumps over the lazy dog",
    )
    .await;
    let audio: Vec<u8> = events
        .into_iter()
        .flat_map(|event| match event {
            ConversationEvent::AudioDelta { audio, .. } => audio,
            _ => Vec::new(),
        })
        .collect();
    assert!(audio.len() > 48_000, "{} bytes of speech", audio.len());
    audio
}

/// Appends `ms` of silence, `speech`, then `ms` of silence, in 100 ms chunks.
pub(crate) async fn say(conversation: &rtclient::Conversation, speech: &[u8], ms: usize) {
    let silence = vec![0u8; ms * 48];
    for part in [&silence[..], speech, &silence[..]] {
        for chunk in part.chunks(4_800) {
            conversation.handle().send_audio(chunk).await.unwrap();
        }
    }
}

#[tokio::test]
async fn server_vad_turn_then_barge_in() {
    let speech = speech().await;
    let mut conversation = start(
        RealtimeSession::new()
            .pace(Pace::Speed(1.0))
            .transcriber(FixedTranscriber),
        Dialect::Ga,
    )
    .await;
    update(
        &mut conversation,
        Session::realtime().input_transcription(Some("whisper-1")),
    )
    .await;

    // The user speaks: speech events and the commit name one item; a response follows.
    say(&conversation, &speech, 500).await;
    let mut transcribed = HashSet::new();
    let mut spoken = None;
    let response_id = loop {
        match next(&mut conversation).await {
            ConversationEvent::SpeechStarted { item_id, .. } => spoken = Some(item_id),
            ConversationEvent::SpeechStopped { item_id, .. } => {
                assert_eq!(Some(&item_id), spoken.as_ref());
            }
            ConversationEvent::InputCommitted { item_id, .. } => {
                assert_eq!(Some(&item_id), spoken.as_ref());
            }
            ConversationEvent::InputTranscriptCompleted {
                item_id,
                transcript,
            } => {
                assert_eq!(transcript, TRANSCRIPT);
                transcribed.insert(item_id);
            }
            ConversationEvent::ResponseStarted { response_id } => break response_id,
            ConversationEvent::Error(error) => panic!("unexpected error {error:?}"),
            _ => {}
        }
    };
    let first_item = spoken.expect("speech started");

    // Some of the reply arrives and is played; then the user speaks again.
    let reply_item = loop {
        match next(&mut conversation).await {
            ConversationEvent::AudioDelta { item_id, .. }
                if conversation.state().audio(&item_id).unwrap().received_ms() >= 300 =>
            {
                break item_id;
            }
            ConversationEvent::InputTranscriptCompleted { item_id, .. } => {
                transcribed.insert(item_id);
            }
            _ => {}
        }
    };
    say(&conversation, &speech, 100).await;

    let mut truncated = false;
    let mut cancelled = false;
    while !(truncated && cancelled && transcribed.contains(&first_item)) {
        match next(&mut conversation).await {
            ConversationEvent::SpeechStarted { .. } if !truncated && !cancelled => {
                // The server cancels the reply itself: only the truncation is sent.
                let interruption = conversation.interrupt(250).await.unwrap();
                assert_eq!(interruption.cancel_event_id, None);
                let truncation = interruption.truncation.expect("a truncation");
                assert_eq!(truncation.item_id, reply_item);
                assert_eq!(truncation.audio_end_ms, 250);
            }
            ConversationEvent::ResponseDone {
                response_id: done,
                outcome,
                ..
            } if done == response_id => {
                assert_eq!(
                    outcome,
                    ResponseOutcome::Cancelled {
                        reason: Some(StatusReason::TurnDetected)
                    }
                );
                cancelled = true;
            }
            ConversationEvent::Other(ServerEvent::ConversationItemTruncated(event)) => {
                assert_eq!(event.item_id, reply_item);
                assert_eq!(event.audio_end_ms, 250);
                truncated = true;
            }
            ConversationEvent::InputTranscriptCompleted { item_id, .. } => {
                transcribed.insert(item_id);
            }
            ConversationEvent::Error(error) => panic!("unexpected error {error:?}"),
            _ => {}
        }
    }

    // The transcript landed on the right item, whatever the order it arrived in.
    let item = conversation.state().item(&first_item).unwrap();
    let part = &item.content.as_ref().unwrap()[0];
    assert_eq!(
        part.transcript,
        Some(Nullable::Value(TRANSCRIPT.to_owned()))
    );
}
