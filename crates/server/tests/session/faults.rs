//! Scripted faults: stalls, failed responses, dropped and closed connections, latency, the
//! forced 1001 close and rate limits, as a client sees them over a real socket.

use std::time::{Duration, Instant};

use rtclient_audio::Pace;
use rtclient_server::RealtimeSession;
use rtclient_server::Script;
use serde_json::{Value, json};

use crate::client::{Client, End, connect_to, kinds};

const SCRIPT: &str = r#"
rules:
  - when: slow
    say: "Sorry for the wait."
    delay_ms: 400
  - when: break
    error: {code: overloaded, message: "The engine is overloaded."}
  - when: drop
    say: "This reply is cut short."
    drop: {after_events: 3}
  - when: bye
    say: "Goodbye!"
    close: {code: 4001, reason: "scripted goodbye"}
"#;

/// A text-only GA session of a server running `script`.
async fn scripted(script: &str) -> Client {
    let script = Script::from_yaml(script).unwrap();
    let mut client = connect_to(RealtimeSession::new().pace(Pace::Max).script(script)).await;
    client.expect("session.created").await;
    client.update(json!({"output_modalities": ["text"]})).await;
    client
}

/// Sends a user message and asks for a response.
async fn say(client: &mut Client, text: &str) {
    client.add_user_text(text).await;
    client.send(json!({"type": "response.create"})).await;
}

fn reply_text(events: &[Value]) -> String {
    events
        .iter()
        .filter(|e| e["type"] == "response.output_text.delta")
        .map(|e| e["delta"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn a_delay_stalls_the_response_after_it_is_created() {
    let mut client = scripted(SCRIPT).await;
    say(&mut client, "be slow").await;
    client.expect("response.created").await;
    let created_at = Instant::now();
    client.expect("response.output_item.added").await;
    assert!(created_at.elapsed() >= Duration::from_millis(400));
    let events = client.until("response.done").await;
    assert_eq!(reply_text(&events), "Sorry for the wait.");
}

#[tokio::test]
async fn an_error_rule_sends_the_error_and_fails_the_response() {
    let mut client = scripted(SCRIPT).await;
    say(&mut client, "break it").await;
    let events = client.until("rate_limits.updated").await;
    assert_eq!(
        kinds(&events),
        [
            "response.created",
            "error",
            "response.done",
            "rate_limits.updated"
        ]
    );
    let error = &events[1]["error"];
    assert_eq!(error["type"], "server_error");
    assert_eq!(error["code"], "overloaded");
    assert_eq!(error["message"], "The engine is overloaded.");
    let done = &events[2]["response"];
    assert_eq!(done["status"], "failed");
    assert_eq!(
        done["status_details"],
        json!({"type": "failed", "error": {"type": "server_error", "code": "overloaded",
            "message": "The engine is overloaded."}})
    );
    // The session goes on.
    say(&mut client, "hello").await;
    let events = client.until("response.done").await;
    assert_eq!(reply_text(&events), "I heard: hello");
}

#[tokio::test]
async fn a_drop_cuts_the_connection_mid_response_without_a_close_frame() {
    let mut client = scripted(SCRIPT).await;
    say(&mut client, "drop now").await;
    let (events, end) = client.until_end().await;
    assert_eq!(
        kinds(&events),
        [
            "response.created",
            "response.output_item.added",
            "conversation.item.added"
        ]
    );
    assert_eq!(end, End::Dropped);
}

#[tokio::test]
async fn a_close_rule_closes_after_the_whole_response() {
    let mut client = scripted(SCRIPT).await;
    say(&mut client, "bye").await;
    let (events, end) = client.until_end().await;
    assert_eq!(events.last().unwrap()["type"], "rate_limits.updated");
    assert_eq!(reply_text(&events), "Goodbye!");
    assert_eq!(end, End::Closed(4001, "scripted goodbye".to_owned()));
}

#[tokio::test]
async fn close_after_ends_the_session_with_1001_like_the_60_minute_limit() {
    let script = Script::from_yaml("faults: {close_after_s: 1}").unwrap();
    let mut client = connect_to(RealtimeSession::new().pace(Pace::Max).script(script)).await;
    let started = Instant::now();
    let created = client.expect("session.created").await;
    let expires_at = created["session"]["expires_at"].as_u64().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(expires_at <= now + 1, "expires_at {expires_at}, now {now}");
    let (_, end) = client.until_end().await;
    assert!(started.elapsed() >= Duration::from_millis(900));
    assert_eq!(
        end,
        End::Closed(
            1001,
            "Your session hit the maximum duration of 1 second.".to_owned()
        )
    );
}

#[tokio::test]
async fn latency_delays_every_event() {
    let mut client = scripted("faults: {latency_ms: 300}").await;
    let sent = Instant::now();
    client
        .send(json!({"type": "response.cancel", "event_id": "late"}))
        .await;
    let error = client.expect("error").await;
    assert!(sent.elapsed() >= Duration::from_millis(300));
    assert_eq!(error["error"]["event_id"], "late");
}

fn rate_limit<'a>(event: &'a Value, name: &str) -> &'a Value {
    event["rate_limits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .unwrap()
}

#[tokio::test]
async fn requests_run_out_and_the_next_response_fails() {
    let mut client = scripted("faults: {rate_limits: {requests: 2, window_s: 60}}").await;
    for remaining in [1, 0] {
        say(&mut client, "hello").await;
        let events = client.until("rate_limits.updated").await;
        assert_eq!(events[events.len() - 2]["response"]["status"], "completed");
        let requests = rate_limit(events.last().unwrap(), "requests");
        assert_eq!(requests["limit"], 2);
        assert_eq!(requests["remaining"], remaining);
        let reset = requests["reset_seconds"].as_f64().unwrap();
        assert!(reset > 0.0 && reset <= 60.0, "{reset}");
    }
    say(&mut client, "hello").await;
    let events = client.until("rate_limits.updated").await;
    assert_eq!(
        kinds(&events),
        ["response.created", "response.done", "rate_limits.updated"]
    );
    let done = &events[1]["response"];
    assert_eq!(done["status"], "failed");
    let error = &done["status_details"]["error"];
    assert_eq!(error["type"], "requests");
    assert_eq!(error["code"], "rate_limit_exceeded");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .starts_with("Rate limit reached for requests"),
        "{error}"
    );
    // A refused response is not active: cancelling it finds nothing.
    client.send(json!({"type": "response.cancel"})).await;
    let error = client.expect("error").await;
    assert_eq!(error["error"]["code"], "response_cancel_not_active");
}

#[tokio::test]
async fn tokens_run_out_too() {
    let mut client = scripted("faults: {rate_limits: {tokens: 5}}").await;
    say(&mut client, "hello").await;
    let events = client.until("rate_limits.updated").await;
    let used = events[events.len() - 2]["response"]["usage"]["total_tokens"]
        .as_u64()
        .unwrap();
    assert!(used > 5);
    let tokens = rate_limit(events.last().unwrap(), "tokens");
    assert_eq!(tokens["remaining"], 0);
    say(&mut client, "hello").await;
    let events = client.until("rate_limits.updated").await;
    assert_eq!(
        events[1]["response"]["status_details"]["error"]["type"],
        "tokens"
    );
}
