//! Responses delegation on the client: the backend's function calls, found in the nested
//! `response.event`s, answered with `response.item.create` (`function_call_output`) and
//! `response.create`.
//!
//! Calls to tools of the session's [`Tools`] registry (the same registry the Realtime
//! [`Conversation`](crate::Conversation) runs) are run by the session: every call gets its
//! output, and once the backend response completed and all its calls were answered, exactly one
//! `response.create` goes out. Other calls are left to the application as [`ToolCall`]s.

use std::collections::HashMap;
use std::sync::Arc;

use rtclient_protocol::live::{ClientEvent, ResponseCreate, ResponseItemCreate};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::LiveHandle;
use crate::conversation::{FunctionCall, Rounds, ToolCallDone, Tools};
use crate::error::Error;

/// A function call of the Responses backend that no registered tool answers: answer it with
/// [`answer`](Self::answer) (or [`submit`](Self::submit) each call of a response and then
/// [`LiveHandle::create_response`]).
#[derive(Debug, Clone)]
pub struct ToolCall {
    /// The call: id, function name, JSON arguments, item and backend response.
    pub call: FunctionCall,
    /// The delegation the backend works on, when the service named it.
    pub delegation_id: Option<String>,
    handle: LiveHandle,
}

impl ToolCall {
    /// Sends `output` as the call's `function_call_output` and lets the backend go on
    /// (`response.create`). Returns the `event_id` of the item.
    pub async fn answer(&self, output: impl Into<String>) -> Result<String, Error> {
        let id = self.submit(output).await?;
        self.handle.create_response().await?;
        Ok(id)
    }

    /// Sends `output` as the call's `function_call_output` only (for a response with several
    /// calls; send `response.create` after the last). Returns the `event_id` of the item.
    pub async fn submit(&self, output: impl Into<String>) -> Result<String, Error> {
        self.handle
            .add_item(function_call_output(&self.call.call_id, &output.into()))
            .await
    }
}

/// A `function_call_output` Responses input item.
fn function_call_output(call_id: &str, output: &str) -> Value {
    json!({"type": "function_call_output", "call_id": call_id, "output": output})
}

impl LiveHandle {
    /// Adds an item to the backend conversation (`response.item.create`, Responses delegation
    /// only), e.g. a user message; returns its `event_id` (errors carry it; nothing acks it).
    pub async fn add_item(&self, item: Value) -> Result<String, Error> {
        self.command(ResponseItemCreate {
            item,
            ..Default::default()
        })
        .await
    }

    /// Lets the backend go on with the items added (`response.create`); returns its
    /// `event_id`.
    pub async fn create_response(&self) -> Result<String, Error> {
        self.command(ClientEvent::from(ResponseCreate::default()))
            .await
    }
}

/// What the session does with a nested Responses event.
#[derive(Debug)]
pub(super) enum Nested {
    /// Nothing to act on.
    Pass,
    /// A function call that no registered tool answers.
    Call(FunctionCall),
}

/// Runs the registered tools' calls and tracks the backend responses' rounds.
#[derive(Debug)]
pub(super) struct ResponsesTools {
    tools: Arc<Tools>,
    rounds: Rounds,
    /// The latest backend response id of each delegation.
    responses: HashMap<Option<String>, String>,
    done_tx: mpsc::UnboundedSender<ToolCallDone>,
    done_rx: mpsc::UnboundedReceiver<ToolCallDone>,
}

impl ResponsesTools {
    pub(super) fn new(tools: Tools) -> Self {
        let (done_tx, done_rx) = mpsc::unbounded_channel();
        Self {
            tools: Arc::new(tools),
            rounds: Rounds::default(),
            responses: HashMap::new(),
            done_tx,
            done_rx,
        }
    }

    /// The registry.
    pub(super) fn tools(&self) -> &Tools {
        &self.tools
    }

    /// Acts on one nested event of `delegation_id`: starts registered calls, and sends the
    /// follow-up `response.create` when a response's round is over.
    pub(super) async fn observe(
        &mut self,
        delegation_id: Option<&String>,
        event: &Value,
        handle: &LiveHandle,
    ) -> Result<Nested, Error> {
        let kind = event.get("type").and_then(Value::as_str).unwrap_or("");
        let response_id = event
            .pointer("/response/id")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let delegation = delegation_id.cloned();
        match kind {
            "response.created" => {
                if let Some(id) = response_id {
                    self.responses.insert(delegation, id);
                }
            }
            "response.completed" | "response.failed" | "response.incomplete" => {
                let id = response_id
                    .or_else(|| self.responses.get(&delegation).cloned())
                    .unwrap_or_default();
                if self.rounds.response_done(&id, kind == "response.completed") {
                    handle.create_response().await?;
                }
            }
            "response.output_item.done" => {
                if let Some(call) = self.function_call(&delegation, event.get("item")) {
                    if !self.tools.contains(&call.name) {
                        return Ok(Nested::Call(call));
                    }
                    self.start(call, handle);
                }
            }
            _ => {}
        }
        Ok(Nested::Pass)
    }

    /// The next finished registered call, its output sent (cancel-safe; the runner holds a
    /// sender itself, so this never ends).
    pub(super) async fn next_done(&mut self) -> Option<ToolCallDone> {
        self.done_rx.recv().await
    }

    /// Counts a finished call; sends the follow-up `response.create` when its round is over.
    pub(super) async fn finished(
        &mut self,
        done: &ToolCallDone,
        handle: &LiveHandle,
    ) -> Result<(), Error> {
        if self.rounds.call_finished(&done.call.response_id) {
            handle.create_response().await?;
        }
        Ok(())
    }

    /// The function call of an output item, if it is one.
    fn function_call(
        &self,
        delegation: &Option<String>,
        item: Option<&Value>,
    ) -> Option<FunctionCall> {
        let item = item?;
        if item.get("type").and_then(Value::as_str) != Some("function_call") {
            return None;
        }
        let text = |key: &str| {
            item.get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        Some(FunctionCall {
            call_id: text("call_id"),
            name: text("name"),
            arguments: text("arguments"),
            item_id: text("id"),
            response_id: self.responses.get(delegation).cloned().unwrap_or_default(),
        })
    }

    fn start(&mut self, call: FunctionCall, handle: &LiveHandle) {
        self.rounds.call_started(&call.response_id);
        let (tools, handle, done) = (
            Arc::clone(&self.tools),
            handle.clone(),
            self.done_tx.clone(),
        );
        tokio::spawn(async move {
            let outcome = tools.run(&call).await;
            let item = function_call_output(&call.call_id, &outcome.output());
            let output_event_id = handle.add_item(item).await.ok();
            // The session may be gone; then nobody waits for the result.
            let _ = done.send(ToolCallDone {
                call,
                outcome,
                output_event_id,
            });
        });
    }
}

impl ToolCall {
    pub(super) fn new(
        call: FunctionCall,
        delegation_id: Option<String>,
        handle: LiveHandle,
    ) -> Self {
        Self {
            call,
            delegation_id,
            handle,
        }
    }
}
