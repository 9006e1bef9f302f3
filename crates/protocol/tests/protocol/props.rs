//! Property tests: generated events survive write -> parse unchanged, in both dialects.

use proptest::prelude::*;
use rtclient_protocol::{ClientEvent, Dialect, Item, ServerVad, Session};

fn dialects() -> impl Strategy<Value = Dialect> {
    prop_oneof![Just(Dialect::Ga), Just(Dialect::Beta)]
}

fn event_id() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(any::<String>())
}

fn round_trip(d: Dialect, mut ev: ClientEvent, id: Option<String>) -> Result<(), TestCaseError> {
    if let Some(id) = id {
        ev.set_event_id(id);
    }
    let json = d.client_event_to_json(&ev).unwrap();
    let back = d.parse_client_event(&json).unwrap();
    prop_assert_eq!(&back, &ev, "{}", json);
    // the wire form is stable
    prop_assert_eq!(d.client_event_to_json(&back).unwrap(), json);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn append(d in dialects(), audio in proptest::collection::vec(any::<u8>(), 0..2000), id in event_id()) {
        let ev = ClientEvent::append_audio(&audio);
        // json_from_audio writes the same bytes as the event
        if d == Dialect::Ga {
            prop_assert_eq!(
                rtclient_protocol::event::client::InputAudioBufferAppend::json_from_audio(&audio),
                ev.to_json().unwrap()
            );
        }
        round_trip(d, ev, id)?;
    }

    #[test]
    fn append_any_string(d in dialects(), audio in any::<String>()) {
        round_trip(d, ClientEvent::append_base64(audio), None)?;
    }

    #[test]
    fn truncate(d in dialects(), item in any::<String>(), ci in any::<u32>(), ms in any::<u64>(), id in event_id()) {
        round_trip(d, ClientEvent::truncate(item, ci, ms), id)?;
    }

    #[test]
    fn create_item(d in dialects(), text in any::<String>(), kind in 0..4u8, id in event_id()) {
        let item = match kind {
            0 => Item::user_text(text),
            1 => Item::system_text(text),
            2 => Item::assistant_text(text),
            _ => Item::function_call_output("call_1", text),
        };
        round_trip(d, ClientEvent::create_item(item), id)?;
    }

    #[test]
    fn session_update(
        d in dialects(),
        instructions in any::<String>(),
        threshold in 0.0f64..1.0,
        prefix in 0u64..2000,
        silence in 0u64..5000,
        create in proptest::option::of(any::<bool>()),
        vad_off in any::<bool>(),
    ) {
        let s = Session::realtime().instructions(instructions);
        let s = if vad_off {
            s.turn_detection(None)
        } else {
            s.server_vad(ServerVad {
                threshold,
                prefix_padding_ms: prefix,
                silence_duration_ms: silence,
                create_response: create,
                ..Default::default()
            })
        };
        round_trip(d, ClientEvent::session_update(s), None)?;
    }

    #[test]
    fn simple_events(d in dialects(), which in 0..4u8, id in event_id()) {
        let ev = match which {
            0 => ClientEvent::commit(),
            1 => ClientEvent::clear_input(),
            2 => ClientEvent::create_response(),
            _ => ClientEvent::cancel_response(),
        };
        round_trip(d, ev, id)?;
    }
}
