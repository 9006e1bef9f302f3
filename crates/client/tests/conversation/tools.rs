//! The tool registry against a scripted server: calls run by the conversation, outputs the
//! model reads (results, handler errors, timeouts, refusals) and one follow-up per round.

use std::time::Duration;

use rtclient::{BoxError, Conversation, ConversationEvent, Tool, ToolOutcome, Tools};

use crate::server::{next, scripted, text, text_only, turn};

const SCRIPT: &str = r#"
rules:
  - when: "weather"
    call: get_weather
    arguments: {"city": "Paris"}
  - when: "atlantis"
    call: get_weather
    arguments: {"city": "Atlantis"}
  - when: "slow"
    call: slow
    arguments: {}
  - after_tool: get_weather
    say: "It says {output}"
  - after_tool: slow
    say: "It says {output}"
"#;

#[derive(serde::Deserialize)]
struct City {
    city: String,
}

fn tools() -> Tools {
    let weather = Tool::typed(
        "get_weather",
        "The weather in a city.",
        serde_json::json!({"type": "object", "properties": {"city": {"type": "string"}}}),
        |args: City| async move {
            if args.city == "Atlantis" {
                return Err("Atlantis sank".to_owned());
            }
            Ok(format!("clear skies in {}", args.city))
        },
    );
    let slow = Tool::new(
        "slow",
        "Takes its time.",
        serde_json::json!({}),
        |_| async {
            tokio::time::sleep(Duration::from_secs(60)).await;
            Ok::<_, BoxError>("finally".to_owned())
        },
    );
    Tools::new()
        .tool(weather)
        .tool(slow)
        .timeout(Duration::from_millis(300))
}

async fn with_tools(tools: Tools) -> Conversation {
    let mut conversation = scripted(SCRIPT).await;
    text_only(&mut conversation).await;
    conversation.set_tools(tools).await.unwrap();
    loop {
        if let ConversationEvent::SessionUpdated(session) = next(&mut conversation).await {
            assert_eq!(session.tools.map(|tools| tools.len()), Some(2));
            break;
        }
    }
    conversation
}

/// One tool round: the calling response, the call's result and the follow-up response.
async fn round(conversation: &mut Conversation, words: &str) -> (ToolOutcome, String) {
    let events = turn(conversation, words).await;
    let calls = events
        .iter()
        .filter(|e| matches!(e, ConversationEvent::FunctionCall(_)))
        .count();
    assert_eq!(calls, 1, "{events:?}");
    let mut outcome = None;
    let mut follow_up = Vec::new();
    loop {
        let event = next(conversation).await;
        match &event {
            ConversationEvent::ToolCallDone(done) => {
                assert!(done.output_event_id.is_some());
                outcome = Some(done.outcome.clone());
            }
            ConversationEvent::ResponseStarted { .. } => {
                assert!(outcome.is_some(), "the follow-up waits for the output");
            }
            ConversationEvent::Error(error) => panic!("unexpected error {error:?}"),
            _ => {}
        }
        let done = matches!(event, ConversationEvent::ResponseDone { .. });
        follow_up.push(event);
        if done {
            break;
        }
    }
    (outcome.expect("the call's result"), text(&follow_up))
}

#[tokio::test]
async fn registered_tools_run_and_the_model_reads_their_output() {
    let mut conversation = with_tools(tools()).await;
    let (outcome, said) = round(&mut conversation, "what is the weather?").await;
    assert_eq!(outcome, ToolOutcome::Output("clear skies in Paris".into()));
    assert_eq!(said, "It says clear skies in Paris");

    // A handler error and a timeout are outputs the model reads, not crashes.
    let (outcome, said) = round(&mut conversation, "and in atlantis?").await;
    assert_eq!(outcome, ToolOutcome::Failed("Atlantis sank".into()));
    assert!(said.contains("the tool failed: Atlantis sank"), "{said}");
    let (outcome, said) = round(&mut conversation, "something slow").await;
    assert_eq!(outcome, ToolOutcome::TimedOut(Duration::from_millis(300)));
    assert!(said.contains("did not answer within 300 ms"), "{said}");

    // No stray response is left: the next turn is answered by its own response.
    let events = turn(&mut conversation, "hello").await;
    assert_eq!(text(&events), "I heard: hello");
}

#[tokio::test]
async fn the_approval_hook_refuses_a_call() {
    let tools = tools().approve(|call| async move {
        match call.name.as_str() {
            "get_weather" => Err("weather is private".to_owned()),
            _ => Ok(()),
        }
    });
    let mut conversation = with_tools(tools).await;
    let (outcome, said) = round(&mut conversation, "the weather please").await;
    assert_eq!(outcome, ToolOutcome::Refused("weather is private".into()));
    assert!(said.contains("not approved: weather is private"), "{said}");
}
