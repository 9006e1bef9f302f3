//! Responses delegation: the backend Responses model a GPT-Live session hands delegated tasks
//! to, played by the session's responder.
//!
//! A delegated turn runs one backend response: its streaming events are returned here and sent
//! wrapped in `response.event` with the delegation id, lifecycle snapshots with `output: []`,
//! `tools: []` and `instructions: null` as the service forwards them. A function call the
//! backend makes (a script `call:` rule whose tool is in `delegation.responses.tools`) waits
//! for the application's `function_call_output` (`response.item.create`) and `response.create`;
//! the next response answers it (an `after_tool:` rule). A text answer is also spoken into the
//! live session, as the service injects delegated output text. The usage of
//! `response.completed` is all zeros: this backend counts no tokens.

use std::time::{SystemTime, UNIX_EPOCH};

use rtclient_protocol::ErrorCode;
use rtclient_protocol::live::ResponsesDelegation;
use serde_json::{Value, json};

use crate::engine::reply::{FunctionOutput, Prompt, Reply, Responder};
use crate::session::errors::ClientError;
use crate::session::ids::new_id;

/// A function call of the backend, waiting for its output.
#[derive(Debug, Clone)]
struct PendingCall {
    call_id: String,
    name: String,
    output: Option<String>,
}

/// One backend response: the nested events to forward and the text to speak.
#[derive(Debug, Default)]
pub(super) struct Run {
    /// Responses streaming events, in order.
    pub(super) events: Vec<Value>,
    /// A text answer, spoken into the live session.
    pub(super) say: Option<String>,
}

/// The backend of a session in Responses delegation.
#[derive(Debug)]
pub(super) struct Backend {
    settings: ResponsesDelegation,
    /// The user's request of the current delegation.
    request: Option<String>,
    /// Typed user messages added since the last response.
    messages: Vec<String>,
    calls: Vec<PendingCall>,
}

impl Backend {
    /// A backend with the session's startup settings.
    pub(super) fn new(settings: ResponsesDelegation) -> Self {
        Self {
            settings,
            request: None,
            messages: Vec::new(),
            calls: Vec::new(),
        }
    }

    /// The current settings.
    pub(super) fn settings(&self) -> &ResponsesDelegation {
        &self.settings
    }

    /// Applies a sparse `session.update`: fields it sets replace the current ones.
    pub(super) fn update(&mut self, update: &ResponsesDelegation) {
        let s = &mut self.settings;
        macro_rules! take {
            ($($field:ident),*) => {$(
                if update.$field.is_some() {
                    s.$field = update.$field.clone();
                }
            )*};
        }
        take!(
            model,
            instructions,
            max_output_tokens,
            parallel_tool_calls,
            reasoning,
            service_tier,
            text,
            tool_choice,
            tools
        );
    }

    /// A delegated task: runs the backend on the user's `request`.
    pub(super) fn delegate(
        &mut self,
        responder: &dyn Responder,
        response_id: &str,
        request: Option<String>,
    ) -> Run {
        self.request = request;
        self.calls.clear();
        self.messages.clear();
        self.run(responder, response_id, None)
    }

    /// `response.item.create`: a `function_call_output` for a pending call, or a user message.
    pub(super) fn add_item(&mut self, item: &Value) -> Result<(), ClientError> {
        match item.get("type").and_then(Value::as_str) {
            Some("function_call_output") => {
                let call_id = item.get("call_id").and_then(Value::as_str).unwrap_or("");
                let Some(call) = self.calls.iter_mut().find(|c| c.call_id == call_id) else {
                    return Err(ClientError::invalid_value(
                        "item.call_id",
                        format!("No function call with call_id '{call_id}' is waiting."),
                    ));
                };
                call.output = Some(match item.get("output") {
                    Some(Value::String(text)) => text.clone(),
                    Some(other) => other.to_string(),
                    None => String::new(),
                });
                Ok(())
            }
            Some("message") | None if item.get("role").and_then(Value::as_str) == Some("user") => {
                let text = item
                    .pointer("/content/0/text")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                self.messages.push(text.to_owned());
                Ok(())
            }
            other => Err(ClientError::invalid_value(
                "item.type",
                format!(
                    "Unsupported item type '{}': this local server takes function_call_output \
                     and user messages.",
                    other.unwrap_or("")
                ),
            )),
        }
    }

    /// `response.create`: continues the backend with the outputs and messages added since the
    /// last response. A call without its output, or nothing new, is an error.
    pub(super) fn resume(
        &mut self,
        responder: &dyn Responder,
        response_id: &str,
    ) -> Result<Run, ClientError> {
        if let Some(call) = self.calls.iter().find(|c| c.output.is_none()) {
            return Err(ClientError::new(
                ErrorCode::InvalidRequest,
                format!(
                    "Function call '{}' is waiting for its function_call_output.",
                    call.call_id
                ),
            ));
        }
        if self.calls.is_empty() && self.messages.is_empty() {
            return Err(ClientError::new(
                ErrorCode::InvalidRequest,
                "Nothing to continue: add an item with response.item.create first.",
            ));
        }
        if let Some(message) = self.messages.pop() {
            self.request = Some(message);
        }
        self.messages.clear();
        let answered = self.calls.pop();
        self.calls.clear();
        let output = answered.and_then(|c| Some((c.name, c.output?)));
        Ok(self.run(responder, response_id, output))
    }

    /// One backend response to the current request (and a function output, if any).
    fn run(
        &mut self,
        responder: &dyn Responder,
        response_id: &str,
        output: Option<(String, String)>,
    ) -> Run {
        let tools = self.settings.tools.as_deref().unwrap_or_default();
        let names: Vec<&str> = tools.iter().filter_map(|t| t.name.as_deref()).collect();
        let prompt = Prompt {
            user_text: self.request.as_deref(),
            function_output: output
                .as_ref()
                .map(|(name, output)| FunctionOutput { name, output }),
            tools: &names,
            tool_specs: tools,
            tool_choice: self.settings.tool_choice.as_ref(),
            instructions: self
                .settings
                .instructions
                .as_ref()
                .and_then(|i| i.value().map(String::as_str)),
            ..Prompt::default()
        };
        let reply = responder.reply(&prompt);
        let model = self.settings.model.clone().unwrap_or_default();
        let mut stream = Stream::new(response_id, &model);
        let mut run = Run::default();
        stream.lifecycle("response.created", "in_progress");
        match reply {
            Reply::Say(text) => {
                stream.message(&text);
                stream.lifecycle("response.completed", "completed");
                run.say = Some(text);
            }
            Reply::Calls(calls) => {
                for (index, call) in calls.into_iter().enumerate() {
                    let call_id = new_id("call_");
                    stream.function_call(index, &call_id, &call.name, &call.arguments);
                    self.calls.push(PendingCall {
                        call_id,
                        name: call.name,
                        output: None,
                    });
                }
                stream.lifecycle("response.completed", "completed");
            }
            Reply::Fail(failure) => {
                let code = failure
                    .code
                    .as_deref()
                    .map_or(ErrorCode::ServerError, ErrorCode::from);
                stream.failed(&code, &failure.message);
            }
        }
        run.events = stream.events;
        run
    }
}

/// Builds one response's Responses streaming events.
struct Stream {
    response_id: String,
    model: String,
    created_at: u64,
    sequence: u64,
    events: Vec<Value>,
}

impl Stream {
    fn new(response_id: &str, model: &str) -> Self {
        let created_at = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Self {
            response_id: response_id.to_owned(),
            model: model.to_owned(),
            created_at,
            sequence: 0,
            events: Vec::new(),
        }
    }

    /// Adds an event of `kind` with `fields` and the next `sequence_number`.
    fn push(&mut self, kind: &str, fields: Value) {
        let mut event = json!({ "type": kind, "sequence_number": self.sequence });
        if let (Some(event), Value::Object(fields)) = (event.as_object_mut(), fields) {
            event.extend(fields);
        }
        self.sequence += 1;
        self.events.push(event);
    }

    /// The response snapshot of a lifecycle event, trimmed as the service forwards it.
    fn snapshot(&self, status: &str) -> Value {
        let mut response = json!({
            "id": self.response_id,
            "object": "response",
            "created_at": self.created_at,
            "status": status,
            "model": self.model,
            "output": [],
            "tools": [],
            "tool_choice": "auto",
            "parallel_tool_calls": true,
            "instructions": null,
        });
        if status == "completed" {
            response["usage"] = json!({
                "input_tokens": 0,
                "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
                "output_tokens": 0,
                "output_tokens_details": {"reasoning_tokens": 0},
                "total_tokens": 0,
            });
        }
        response
    }

    fn lifecycle(&mut self, kind: &str, status: &str) {
        let response = self.snapshot(status);
        self.push(kind, json!({ "response": response }));
    }

    fn failed(&mut self, code: &ErrorCode, message: &str) {
        let mut response = self.snapshot("failed");
        response["error"] = json!({ "code": code, "message": message });
        self.push("response.failed", json!({ "response": response }));
    }

    /// An assistant message saying `text`, streamed word by word.
    fn message(&mut self, text: &str) {
        let item_id = new_id("msg_");
        let item = |status: &str, content: Value| json!({"id": item_id, "type": "message", "role": "assistant", "status": status, "content": content});
        let part = |text: &str| json!({"type": "output_text", "text": text, "annotations": []});
        let at = json!({"item_id": item_id, "output_index": 0, "content_index": 0});
        let with = |extra: Value| {
            let mut fields = at.clone();
            if let (Some(fields), Value::Object(extra)) = (fields.as_object_mut(), extra) {
                fields.extend(extra);
            }
            fields
        };
        self.push(
            "response.output_item.added",
            json!({"output_index": 0, "item": item("in_progress", json!([]))}),
        );
        self.push(
            "response.content_part.added",
            with(json!({"part": part("")})),
        );
        for word in text.split_inclusive(' ') {
            self.push(
                "response.output_text.delta",
                with(json!({"delta": word, "logprobs": []})),
            );
        }
        self.push(
            "response.output_text.done",
            with(json!({"text": text, "logprobs": []})),
        );
        self.push(
            "response.content_part.done",
            with(json!({"part": part(text)})),
        );
        self.push(
            "response.output_item.done",
            json!({"output_index": 0, "item": item("completed", json!([part(text)]))}),
        );
    }

    /// A function call with its arguments, the response's output item at `index`.
    fn function_call(&mut self, index: usize, call_id: &str, name: &str, arguments: &str) {
        let item_id = new_id("fc_");
        let item = |status: &str, arguments: &str| {
            json!({"id": item_id, "type": "function_call", "call_id": call_id, "name": name,
                   "arguments": arguments, "status": status})
        };
        self.push(
            "response.output_item.added",
            json!({"output_index": index, "item": item("in_progress", "")}),
        );
        self.push(
            "response.function_call_arguments.delta",
            json!({"item_id": item_id, "output_index": index, "delta": arguments}),
        );
        self.push(
            "response.function_call_arguments.done",
            json!({"item_id": item_id, "output_index": index, "arguments": arguments}),
        );
        self.push(
            "response.output_item.done",
            json!({"output_index": index, "item": item("completed", arguments)}),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::script::Script;

    const SCRIPT: &str = r#"
rules:
  - when: weather
    call: get_weather
    arguments: {city: Paris}
  - after_tool: get_weather
    say: "It is {output} in Paris."
"#;

    fn backend() -> Backend {
        let tool = rtclient_protocol::Tool::function("get_weather", "Weather.", json!({}));
        Backend::new(ResponsesDelegation {
            model: Some("gpt-5".to_owned()),
            tools: Some(vec![tool]),
            ..Default::default()
        })
    }

    fn kinds(run: &Run) -> Vec<&str> {
        run.events
            .iter()
            .filter_map(|e| e["type"].as_str())
            .collect()
    }

    #[test]
    fn a_call_waits_for_its_output_then_the_answer_is_spoken() {
        let script = Script::from_yaml(SCRIPT).unwrap();
        let mut backend = backend();
        let run = backend.delegate(&script, "resp_1", Some("what's the weather".into()));
        assert_eq!(
            kinds(&run),
            [
                "response.created",
                "response.output_item.added",
                "response.function_call_arguments.delta",
                "response.function_call_arguments.done",
                "response.output_item.done",
                "response.completed",
            ]
        );
        assert_eq!(run.say, None);
        let call = &run.events[4]["item"];
        assert_eq!(call["arguments"], r#"{"city":"Paris"}"#);
        assert_eq!(run.events[5]["response"]["output"], json!([]));
        let early = backend.resume(&script, "resp_2").unwrap_err();
        assert!(early.message.contains("waiting"), "{early:?}");
        let wrong = json!({"type": "function_call_output", "call_id": "call_x", "output": "?"});
        assert!(backend.add_item(&wrong).is_err());
        let output =
            json!({"type": "function_call_output", "call_id": call["call_id"], "output": "sunny"});
        backend.add_item(&output).unwrap();
        let run = backend.resume(&script, "resp_2").unwrap();
        assert_eq!(run.say.as_deref(), Some("It is sunny in Paris."));
        let text: String = run
            .events
            .iter()
            .filter(|e| e["type"] == "response.output_text.delta")
            .filter_map(|e| e["delta"].as_str())
            .collect();
        assert_eq!(text, "It is sunny in Paris.");
        let sequence: Vec<u64> = run
            .events
            .iter()
            .filter_map(|e| e["sequence_number"].as_u64())
            .collect();
        assert_eq!(sequence, (0..run.events.len() as u64).collect::<Vec<_>>());
        assert!(backend.resume(&script, "resp_3").is_err(), "nothing new");
    }

    #[test]
    fn an_update_replaces_only_the_fields_it_sets() {
        let mut backend = backend();
        backend.update(&ResponsesDelegation {
            max_output_tokens: Some(rtclient_protocol::Nullable::Value(1024)),
            ..Default::default()
        });
        assert_eq!(backend.settings().model.as_deref(), Some("gpt-5"));
        assert_eq!(backend.settings().tools.as_ref().map(Vec::len), Some(1));
        assert_eq!(
            backend.settings().max_output_tokens,
            Some(rtclient_protocol::Nullable::Value(1024))
        );
    }
}
