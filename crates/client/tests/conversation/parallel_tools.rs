//! Two function calls in one response, run concurrently, each answered, and exactly one
//! follow-up response. The local server's script makes one call per response, so this test's
//! peer plays the service's side of such a response, frame by frame in the GA shape (a scripted
//! peer stands in only for what the local server cannot do yet).

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rtclient::{
    BoxError, ClientConfig, Conversation, ConversationEvent, Target, Tool, ToolOutcome, Tools,
};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::{Barrier, mpsc};
use tokio_tungstenite::tungstenite::Message;

/// The peer's side: answers a session update, a first response with two calls, and any later
/// response with text; every client frame is passed on to the test.
async fn peer(listener: TcpListener, frames: mpsc::UnboundedSender<Value>) {
    let (stream, _) = listener.accept().await.unwrap();
    let mut socket = tokio_tungstenite::accept_async(stream).await.unwrap();
    let created = json!({"type": "session.created", "event_id": "e0",
        "session": {"type": "realtime", "id": "sess_1", "object": "realtime.session"}});
    socket.send(text(&created)).await.unwrap();
    let mut responses = 0;
    while let Some(Ok(message)) = socket.next().await {
        let Message::Text(received) = message else {
            continue;
        };
        let frame: Value = serde_json::from_str(&received).unwrap();
        let kind = frame["type"].as_str().unwrap_or_default().to_owned();
        frames.send(frame.clone()).unwrap();
        let replies = match kind.as_str() {
            "session.update" => vec![json!({"type": "session.updated", "event_id": "e1",
                "session": frame["session"]})],
            "response.create" => {
                responses += 1;
                let metadata = frame["response"]["metadata"].clone();
                response(&format!("resp_{responses}"), responses == 1, metadata)
            }
            _ => Vec::new(),
        };
        for reply in replies {
            socket.send(text(&reply)).await.unwrap();
        }
    }
}

fn text(frame: &Value) -> Message {
    Message::text(frame.to_string())
}

/// The frames of one response: two function calls, or a short text.
fn response(id: &str, calls: bool, metadata: Value) -> Vec<Value> {
    let mut frames = vec![json!({"type": "response.created", "event_id": "e2",
        "response": {"id": id, "object": "realtime.response", "status": "in_progress",
            "output": [], "metadata": metadata}})];
    let mut output = Vec::new();
    if calls {
        for n in 1..=2 {
            let item = json!({"id": format!("fc_{n}"), "type": "function_call",
                "status": "completed", "call_id": format!("call_{n}"), "name": "meet",
                "arguments": "{}"});
            frames.push(
                json!({"type": "response.output_item.added", "event_id": "e3",
                "response_id": id, "output_index": n - 1, "item": item}),
            );
            frames.push(json!({"type": "response.function_call_arguments.done",
                "event_id": "e4", "response_id": id, "item_id": format!("fc_{n}"),
                "output_index": n - 1, "call_id": format!("call_{n}"), "name": "meet",
                "arguments": "{}"}));
            output.push(item);
        }
    } else {
        frames.push(
            json!({"type": "response.output_text.delta", "event_id": "e5",
            "response_id": id, "item_id": "msg_1", "output_index": 0, "content_index": 0,
            "delta": "Both met."}),
        );
    }
    frames.push(json!({"type": "response.done", "event_id": "e6",
        "response": {"id": id, "object": "realtime.response", "status": "completed",
            "output": output, "metadata": metadata,
            "usage": {"total_tokens": 3, "input_tokens": 2, "output_tokens": 1}}}));
    frames
}

#[tokio::test]
async fn two_calls_of_one_response_run_concurrently_with_one_follow_up() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (frames_tx, mut frames) = mpsc::unbounded_channel();
    tokio::spawn(peer(listener, frames_tx));
    let target = Target::custom(&format!("ws://{addr}/v1/realtime?model=gpt-realtime")).unwrap();
    let config = ClientConfig::builder(target)
        .keepalive_interval(None)
        .build();
    let mut conversation = Conversation::connect(&config).await.unwrap();

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
    conversation.handle().create_response(None).await.unwrap();

    let mut outcomes = Vec::new();
    let mut done = 0;
    while done < 2 {
        let event = tokio::time::timeout(Duration::from_secs(30), conversation.next_event())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        match event {
            ConversationEvent::ToolCallDone(call) => outcomes.push(call.outcome),
            ConversationEvent::ResponseDone { .. } => done += 1,
            ConversationEvent::Error(error) => panic!("unexpected error {error:?}"),
            _ => {}
        }
    }
    assert_eq!(
        outcomes,
        [
            ToolOutcome::Output("met".into()),
            ToolOutcome::Output("met".into())
        ]
    );
    conversation.close(1000, "done").await.unwrap();

    // What the client sent: the update, the request, both outputs, then one follow-up.
    let mut kinds = Vec::new();
    while let Ok(frame) = frames.try_recv() {
        let kind = frame["type"].as_str().unwrap().to_owned();
        if kind == "conversation.item.create" {
            assert_eq!(frame["item"]["type"], "function_call_output");
            assert_eq!(frame["item"]["output"], "met");
        }
        kinds.push(kind);
    }
    assert_eq!(
        kinds,
        [
            "session.update",
            "response.create",
            "conversation.item.create",
            "conversation.item.create",
            "response.create"
        ]
    );
}
