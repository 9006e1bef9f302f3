//! Responses delegation against the local server: the backend's function call found in the
//! nested `response.event`s, answered by a registered tool (the registry the Realtime
//! conversation runs) or by the application, and the backend's answer spoken.

use std::time::Duration;

use rtclient::live::{LiveEvent, LiveSession};
use rtclient::protocol::live::{self, DelegationKind, ServerEvent, SessionConfig};
use rtclient::{BoxError, LiveEndpoint, Tool, ToolOutcome, Tools};

use crate::server::{config, microphone, server_with, speech};

const HEARD: &str = "what is the weather in paris";

/// The voice model says a holding line and delegates; the backend calls `get_weather`, then
/// says what it returned.
const SCRIPT: &str = r#"
rules:
  - after_tool: get_weather
    say: "It is {output} in Paris."
  - when: weather
    call: get_weather
    arguments: {city: Paris}
  - when: weather
    say: "Let me look."
    delegate: true
"#;

fn weather(answer: &'static str) -> Tool {
    Tool::new(
        "get_weather",
        "The weather in a city.",
        serde_json::json!({"type": "object", "properties": {"city": {"type": "string"}}}),
        move |arguments: String| async move {
            assert_eq!(arguments, r#"{"city":"Paris"}"#);
            Ok::<_, BoxError>(answer.to_owned())
        },
    )
}

/// A session in Responses delegation, its backend offered `tools`.
fn responses_session(tools: &Tools) -> SessionConfig {
    SessionConfig::new("gpt-live-1").delegation(live::Delegation::responses(
        live::ResponsesDelegation {
            model: Some("gpt-5-mini".to_owned()),
            tools: Some(tools.definitions()),
            ..Default::default()
        },
    ))
}

/// Streams the request and reads events until the backend's answer was spoken; returns what
/// the events showed: (delegation targets, tool outcomes, backend event types).
async fn until_spoken(
    live: &mut LiveSession,
    answer: &str,
) -> (Vec<DelegationKind>, Vec<ToolOutcome>, Vec<String>) {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mic = tokio::spawn(microphone(live.handle(), speech(HEARD), stop_rx));
    let (mut targets, mut outcomes, mut nested) = (Vec::new(), Vec::new(), Vec::new());
    let run = async {
        loop {
            match live.next_event().await.unwrap().unwrap() {
                LiveEvent::Delegation(task) => targets.push(task.target),
                LiveEvent::ToolCallDone(done) => outcomes.push(done.outcome),
                LiveEvent::ToolCall(call) => {
                    assert_eq!(call.call.name, "get_weather");
                    assert!(call.delegation_id.is_some());
                    call.answer("rainy").await.unwrap();
                }
                LiveEvent::Other(ServerEvent::ResponseEvent(event)) => {
                    nested.push(event.event["type"].as_str().unwrap_or("").to_owned());
                }
                LiveEvent::OutputTranscript(_) if live.output_transcript().contains(answer) => {
                    break;
                }
                LiveEvent::Error(error) => panic!("{error:?}"),
                _ => {}
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("the answer was not spoken within 60 s");
    stop_tx.send(true).unwrap();
    mic.await.unwrap();
    assert!(live.output_transcript().starts_with("Let me look."));
    (targets, outcomes, nested)
}

#[tokio::test]
async fn a_registered_tool_answers_the_backend_and_its_answer_is_spoken() {
    let base = server_with(SCRIPT, HEARD).await;
    let tools = Tools::new().tool(weather("sunny"));
    let start = responses_session(&Tools::new());
    let mut live = LiveSession::start(&config(&base, LiveEndpoint::Sessions), start)
        .await
        .unwrap();
    // The tools are offered to the backend with session.update.
    live.set_tools(tools).await.unwrap();
    let (targets, outcomes, nested) = until_spoken(&mut live, "It is sunny in Paris.").await;
    assert_eq!(targets, [DelegationKind::Responses]);
    assert_eq!(outcomes, [ToolOutcome::Output("sunny".to_owned())]);
    let responses = live::ResponsesDelegation::default();
    let backend = live
        .session()
        .and_then(|s| s.delegation.clone())
        .and_then(|d| d.into_option())
        .and_then(|d| d.responses)
        .unwrap_or(responses);
    let offered: Vec<_> = backend.tools.unwrap().into_iter().map(|t| t.name).collect();
    assert_eq!(offered, [Some("get_weather".to_owned())], "session.updated");
    // Two backend responses: the call, then the answer.
    let lifecycle: Vec<&str> = nested
        .iter()
        .map(String::as_str)
        .filter(|kind| kind.starts_with("response.c"))
        .filter(|kind| !kind.starts_with("response.content_part"))
        .collect();
    assert_eq!(
        lifecycle,
        [
            "response.created",
            "response.completed",
            "response.created",
            "response.completed"
        ]
    );
    assert!(nested.contains(&"response.output_text.delta".to_owned()));
    live.close().await.unwrap();
}

#[tokio::test]
async fn the_application_answers_an_unregistered_call() {
    let base = server_with(SCRIPT, HEARD).await;
    let offered = Tools::new().tool(weather("unused"));
    let mut live = LiveSession::start(
        &config(&base, LiveEndpoint::Sessions),
        responses_session(&offered),
    )
    .await
    .unwrap();
    let (targets, outcomes, _) = until_spoken(&mut live, "It is rainy in Paris.").await;
    assert_eq!(targets, [DelegationKind::Responses]);
    assert!(outcomes.is_empty(), "no registered tool ran");

    // Commands of client delegation are refused in Responses mode, and a continuation with
    // nothing new is an error.
    let handle = live.handle();
    let append = handle
        .append(
            live::ContextKind::Thinking,
            "x",
            Some("item_anything".to_owned()),
        )
        .await
        .unwrap();
    let resume = handle.create_response().await.unwrap();
    let mut errors = Vec::new();
    while errors.len() < 2 {
        if let LiveEvent::Error(error) = live.next_event().await.unwrap().unwrap() {
            errors.push(error.client_event_id.unwrap_or_default());
        }
    }
    assert_eq!(errors, [append, resume]);
    live.close().await.unwrap();
}
