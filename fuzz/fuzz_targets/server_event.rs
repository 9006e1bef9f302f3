//! Server-event parsing: GA and beta enums must round-trip exactly (parse -> write -> parse
//! gives the same value), the dialect translation must be stable after one pass, and the
//! zero-copy audio delta view must agree with the owned parse.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rtclient_protocol::{beta, Dialect, ServerEvent};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };

    if let Ok(ev) = ServerEvent::from_json(text) {
        let json = ev.to_json().expect("write GA");
        let again = ServerEvent::from_json(&json).expect("re-parse GA");
        assert_eq!(again, ev, "GA round trip of {json}");
    }
    if let Ok(ev) = beta::ServerEvent::from_json(text) {
        let json = ev.to_json().expect("write beta");
        let again = beta::ServerEvent::from_json(&json).expect("re-parse beta");
        assert_eq!(again, ev, "beta round trip of {json}");
    }
    for d in [Dialect::Ga, Dialect::Beta] {
        if let Ok(ev) = d.parse_server_event(text) {
            let json1 = d.server_event_to_json(&ev).expect("write");
            let ev2 = d.parse_server_event(&json1).expect("re-parse");
            let json2 = d.server_event_to_json(&ev2).expect("write again");
            assert_eq!(json1, json2, "{d:?} translation not stable");
            let _ = (ev.kind(), ev.event_id());
            // the zero-copy delta view agrees with the owned parse
            if let ServerEvent::ResponseOutputAudioDelta(owned) = &ev {
                let view = d.parse_audio_delta(text).expect("an audio delta").expect("view parses");
                assert_eq!(&view.into_owned(), owned);
            }
        }
        if let Some(Ok(view)) = d.parse_audio_delta(text) {
            let owned = d.parse_server_event(text).expect("owned parse of a parsed delta");
            assert_eq!(owned, ServerEvent::ResponseOutputAudioDelta(view.into_owned()));
        }
    }
});
