//! Two function calls in one response (parallel calls, as the service makes them), run
//! concurrently against the local server, each answered, and exactly one follow-up response.

use std::sync::Arc;
use std::time::Duration;

use rtclient::{BoxError, ConversationEvent, Tool, ToolOutcome, Tools};
use serde_json::json;
use tokio::sync::Barrier;

use crate::server::{next, scripted, text, text_only, turn};

const SCRIPT: &str = r#"
rules:
  - when: "both"
    calls:
      - {name: meet, arguments: {"who": "first"}}
      - {name: meet, arguments: {"who": "second"}}
  - after_tool: meet
    say: "Both answered, the last with {output}."
"#;

#[tokio::test]
async fn two_calls_of_one_response_run_concurrently_with_one_follow_up() {
    let mut conversation = scripted(SCRIPT).await;
    text_only(&mut conversation).await;
    // Each call waits for the other: run one after the other, the first would time out.
    let barrier = Arc::new(Barrier::new(2));
    let meet = Tool::new("meet", "Waits for the other call.", json!({}), move |_| {
        let barrier = Arc::clone(&barrier);
        async move {
            barrier.wait().await;
            Ok::<_, BoxError>("met".to_owned())
        }
    });
    let tools = Tools::new().tool(meet).timeout(Duration::from_secs(10));
    conversation.set_tools(tools).await.unwrap();
    conversation
        .handle()
        .add_user_text("call both please")
        .await
        .unwrap();
    conversation.handle().create_response(None).await.unwrap();

    let mut outcomes = Vec::new();
    let mut started = 0;
    let mut calls = 0;
    let mut follow_up = Vec::new();
    let mut done = 0;
    while done < 2 {
        let event = next(&mut conversation).await;
        match &event {
            ConversationEvent::FunctionCall(_) => calls += 1,
            ConversationEvent::ToolCallDone(call) => outcomes.push(call.outcome.clone()),
            ConversationEvent::ResponseStarted { .. } => {
                started += 1;
                if started == 2 {
                    assert_eq!(outcomes.len(), 2, "the follow-up waits for both outputs");
                }
            }
            ConversationEvent::ResponseDone { .. } => done += 1,
            ConversationEvent::Error(error) => panic!("unexpected error {error:?}"),
            _ => {}
        }
        if started == 2 {
            follow_up.push(event);
        }
    }
    assert_eq!(calls, 2);
    assert_eq!(
        outcomes,
        [
            ToolOutcome::Output("met".into()),
            ToolOutcome::Output("met".into())
        ]
    );
    assert_eq!(text(&follow_up), "Both answered, the last with met.");
    // Exactly one follow-up: the next turn is answered by its own response, not a stray one.
    let events = turn(&mut conversation, "hello").await;
    assert_eq!(text(&events), "I heard: hello");
    conversation.close(1000, "done").await.unwrap();
}
