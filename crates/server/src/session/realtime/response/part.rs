//! The events of a message's content part that several steps send: the part's stream ended
//! (`output_audio.done` and its transcript's, or `output_text.done`) and `content_part.done`.

use rtclient_protocol::ServerEvent;

use crate::session::realtime::active::Part;

/// `$event { $field: $value, .. }` of the content part of message `$item_id` in response
/// `$response_id`: a message streams one part, so the event is at output 0 and content 0.
macro_rules! part_event {
    ($response_id:expr, $item_id:expr, $event:ident { $($field:ident: $value:expr),* $(,)? }) => {
        ::rtclient_protocol::event::server::$event {
            response_id: $response_id.to_owned(),
            item_id: $item_id.to_owned(),
            output_index: 0,
            content_index: 0,
            $($field: $value,)*
            ..Default::default()
        }
    };
}
pub(crate) use part_event;

/// The events that end a part's stream: `output_audio.done` and `output_audio_transcript.done`
/// for audio, `output_text.done` for text.
pub(crate) fn stream_done(
    part: Part,
    response_id: &str,
    item_id: &str,
    text: &str,
) -> Vec<ServerEvent> {
    match part {
        Part::Audio => vec![
            part_event!(response_id, item_id, ResponseOutputAudioDone {}).into(),
            part_event!(
                response_id,
                item_id,
                ResponseOutputAudioTranscriptDone {
                    transcript: text.to_owned()
                }
            )
            .into(),
        ],
        Part::Text => vec![
            part_event!(
                response_id,
                item_id,
                ResponseOutputTextDone {
                    text: text.to_owned()
                }
            )
            .into(),
        ],
    }
}

/// `response.content_part.done` of `part` holding `text`.
pub(crate) fn part_done(part: Part, response_id: &str, item_id: &str, text: &str) -> ServerEvent {
    part_event!(
        response_id,
        item_id,
        ResponseContentPartDone {
            part: part.streamed(text)
        }
    )
    .into()
}
