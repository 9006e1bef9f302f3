//! A call the model made and how running it ended: [`FunctionCall`], [`ToolOutcome`],
//! [`ToolCallDone`].

use std::time::Duration;

/// A function call the model made, complete with its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionCall {
    /// The call id to answer (`call_...`).
    pub call_id: String,
    /// The function's name (empty only if the server never sent it).
    pub name: String,
    /// The arguments, a JSON text (may contain whitespace and newlines).
    pub arguments: String,
    /// The `function_call` item.
    pub item_id: String,
    /// The response that made the call.
    pub response_id: String,
}

/// How one tool call ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ToolOutcome {
    /// The handler's output.
    Output(String),
    /// The handler failed (or the tool or its arguments were wrong), with this message.
    Failed(String),
    /// The handler ran longer than the timeout.
    TimedOut(Duration),
    /// The approval hook refused the call, with this reason.
    Refused(String),
}

impl ToolOutcome {
    /// The `function_call_output` the model reads: the output itself, or `{"error": "..."}`.
    pub fn output(&self) -> String {
        let error = match self {
            ToolOutcome::Output(output) => return output.clone(),
            ToolOutcome::Failed(message) => format!("the tool failed: {message}"),
            ToolOutcome::TimedOut(timeout) => {
                format!("the tool did not answer within {} ms", timeout.as_millis())
            }
            ToolOutcome::Refused(reason) => format!("the call was not approved: {reason}"),
        };
        serde_json::json!({ "error": error }).to_string()
    }
}

/// A registered tool's call that the session ran and answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolCallDone {
    /// The call.
    pub call: FunctionCall,
    /// How it ended.
    pub outcome: ToolOutcome,
    /// The `event_id` of the item carrying its output (`conversation.item.create` in Realtime,
    /// `response.item.create` in GPT-Live); `None` when it could not be sent (the connection had
    /// ended).
    pub output_event_id: Option<String>,
}
