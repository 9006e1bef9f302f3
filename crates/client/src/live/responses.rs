//! Responses delegation on the client: the backend's function calls, found in the nested
//! `response.event`s, answered with `response.item.create` (`function_call_output`) and
//! `response.create`.
//!
//! Calls to tools of the session's [`Tools`] registry are run by the session, with the runner
//! the Realtime [`Conversation`](crate::Conversation) uses (see [`tools`](mod@crate::tools)):
//! every call gets its output, and once the backend response completed and all its calls were
//! answered, exactly one `response.create` goes out. Other calls are left to the application as
//! [`ToolCall`]s.

use std::collections::HashMap;

use serde_json::Value;

use super::handle::LiveHandle;
use crate::error::Error;
use crate::tools::{FunctionCall, OutputSender, ToolCallDone, ToolRunner, Tools};

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
            .send_output(self.call.call_id.clone(), output.into())
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

/// The session's tool runner, and the backend response each delegation works on (the
/// round its calls belong to).
#[derive(Debug)]
pub(super) struct ResponsesTools {
    runner: ToolRunner,
    /// The latest backend response id of each delegation.
    responses: HashMap<Option<String>, String>,
}

impl ResponsesTools {
    pub(super) fn new(tools: Tools) -> Self {
        Self {
            runner: ToolRunner::new(tools),
            responses: HashMap::new(),
        }
    }

    /// The registry.
    pub(super) fn tools(&self) -> &Tools {
        self.runner.tools()
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
                if self.runner.response_done(&id, kind == "response.completed") {
                    handle.create_response().await?;
                }
            }
            "response.output_item.done" => {
                if let Some(call) = self.function_call(&delegation, event.get("item"))
                    && !self.runner.start(&call, handle)
                {
                    return Ok(Nested::Call(call));
                }
            }
            _ => {}
        }
        Ok(Nested::Pass)
    }

    /// The next finished registered call, its output sent, and whether its round is over and
    /// wants the follow-up `response.create` (cancel-safe; the runner holds a sender itself, so
    /// this never ends).
    pub(super) async fn next_done(&mut self) -> (ToolCallDone, bool) {
        std::future::poll_fn(|cx| self.runner.poll_done(cx)).await
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
