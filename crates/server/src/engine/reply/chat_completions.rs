//! Replies from any OpenAI-compatible chat-completions server the user already runs (Ollama,
//! the llama.cpp server, vLLM, ...): `--llm-url URL`. The conversation, the instructions and
//! the session's tools are sent as a streamed chat completion; text streams back into speech as
//! it arrives, and a `tool_calls` answer becomes function calls (parallel calls kept apart).

use std::io::{BufRead, BufReader};
use std::time::Duration;

use rtclient_protocol::ToolChoice;
use serde_json::{Value, json};

use super::chat::{self, Message};
use super::{Answer, FunctionCall, Prompt, Reply, Responder};
use crate::engine::faults::Failure;

/// Parallel tool calls kept from one answer at most (a stream's call index beyond is merged).
const MAX_CALLS: usize = 16;

/// Environment variable with the API key sent to the chat server as a bearer token (optional).
pub const API_KEY_ENV: &str = "RTCLIENT_LLM_API_KEY";

/// A chat-completions server as a [`Responder`].
pub struct ChatCompletions {
    url: String,
    model: String,
    api_key: Option<String>,
    agent: ureq::Agent,
}

impl std::fmt::Debug for ChatCompletions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key stays out of logs.
        f.debug_struct("ChatCompletions")
            .field("url", &self.url)
            .field("model", &self.model)
            .finish_non_exhaustive()
    }
}

impl ChatCompletions {
    /// Talks to the server at `url`: its API base (`http://localhost:11434/v1`) or the full
    /// `.../chat/completions` address, asking for `model`. The API key, if any, comes from
    /// [`API_KEY_ENV`].
    pub fn new(url: &str, model: &str) -> Self {
        let url = url.trim_end_matches('/');
        let url = if url.ends_with("/chat/completions") {
            url.to_owned()
        } else {
            format!("{url}/chat/completions")
        };
        let agent = ureq::Agent::config_builder()
            .timeout_connect(Some(Duration::from_secs(10)))
            .timeout_recv_body(Some(Duration::from_secs(120)))
            .http_status_as_error(false)
            .build()
            .into();
        Self {
            url,
            model: model.to_owned(),
            api_key: std::env::var(API_KEY_ENV).ok().filter(|k| !k.is_empty()),
            agent,
        }
    }

    /// The chat-completions address requests go to.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The request body for `prompt`.
    fn body(&self, prompt: &Prompt<'_>) -> Value {
        let messages: Vec<Value> = chat::messages(prompt).iter().map(message_json).collect();
        let mut body = json!({
            "model": self.model,
            "messages": messages,
            "stream": true,
        });
        let tools: Vec<Value> = prompt
            .tool_specs
            .iter()
            .filter_map(|tool| {
                Some(json!({
                    "type": "function",
                    "function": {
                        "name": tool.name.as_deref()?,
                        "description": tool.description.as_deref().unwrap_or(""),
                        "parameters": tool.parameters.clone()
                            .unwrap_or_else(|| json!({"type": "object", "properties": {}})),
                    }
                }))
            })
            .collect();
        if !tools.is_empty() {
            body["tools"] = Value::Array(tools);
            match prompt.tool_choice {
                Some(ToolChoice::Mode(mode)) => body["tool_choice"] = json!(mode),
                Some(ToolChoice::Tool(tool)) => {
                    body["tool_choice"] = json!({
                        "type": "function",
                        "function": {"name": tool.name},
                    });
                }
                None => {}
            }
        }
        body
    }

    fn complete(
        &self,
        prompt: &Prompt<'_>,
        sink: &mut dyn FnMut(&str) -> bool,
    ) -> Result<Reply, String> {
        let mut request = self.agent.post(&self.url);
        if let Some(key) = &self.api_key {
            request = request.header("Authorization", &format!("Bearer {key}"));
        }
        let mut response = request
            .send_json(self.body(prompt))
            .map_err(|e| format!("cannot reach {}: {e}", self.url))?;
        let status = response.status();
        if !status.is_success() {
            let text = response.body_mut().read_to_string().unwrap_or_default();
            let text: String = text.chars().take(300).collect();
            return Err(format!("{} answered {status}: {text}", self.url));
        }
        let mut stream = Stream::default();
        let reader = BufReader::new(response.body_mut().as_reader());
        for line in reader.lines() {
            let line = line.map_err(|e| format!("reading the answer of {}: {e}", self.url))?;
            let Some(data) = line.strip_prefix("data:").map(str::trim) else {
                continue;
            };
            if data == "[DONE]" {
                break;
            }
            let chunk: Value = serde_json::from_str(data)
                .map_err(|e| format!("{} sent a chunk that is not JSON: {e}", self.url))?;
            if !stream.add(&chunk, sink) {
                break;
            }
        }
        Ok(stream.into_reply())
    }
}

/// A chat turn in the chat-completions format.
fn message_json(message: &Message) -> Value {
    match &message.tool_call {
        Some(call) => json!({
            "role": message.role.as_str(),
            "content": null,
            "tool_calls": [{
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments},
            }],
        }),
        None => match &message.tool_call_id {
            Some(id) => json!({
                "role": message.role.as_str(),
                "tool_call_id": id,
                "content": message.content,
            }),
            None => json!({"role": message.role.as_str(), "content": message.content}),
        },
    }
}

/// The answer as it streams in: text, or the tool calls' names and arguments (by the stream's
/// call `index`, so parallel calls stay apart).
#[derive(Debug, Default)]
struct Stream {
    text: String,
    calls: Vec<FunctionCall>,
}

impl Stream {
    /// Adds one streamed chunk; false once `sink` wants no more.
    fn add(&mut self, chunk: &Value, sink: &mut dyn FnMut(&str) -> bool) -> bool {
        let delta = &chunk["choices"][0]["delta"];
        for call in delta["tool_calls"].as_array().into_iter().flatten() {
            let index = call["index"]
                .as_u64()
                .and_then(|i| usize::try_from(i).ok())
                .unwrap_or(0)
                .min(MAX_CALLS - 1);
            if self.calls.len() <= index {
                self.calls.resize_with(index + 1, || FunctionCall {
                    name: String::new(),
                    arguments: String::new(),
                });
            }
            let function = &call["function"];
            let target = &mut self.calls[index];
            target
                .name
                .push_str(function["name"].as_str().unwrap_or(""));
            target
                .arguments
                .push_str(function["arguments"].as_str().unwrap_or(""));
        }
        match delta["content"].as_str() {
            Some(piece) if !piece.is_empty() && self.calls.is_empty() => {
                self.text.push_str(piece);
                sink(piece)
            }
            _ => true,
        }
    }

    fn into_reply(self) -> Reply {
        let calls: Vec<FunctionCall> = self
            .calls
            .into_iter()
            .filter(|call| !call.name.is_empty())
            .map(|mut call| {
                if call.arguments.trim().is_empty() {
                    call.arguments = "{}".to_owned();
                }
                call
            })
            .collect();
        if calls.is_empty() {
            Reply::Say(self.text.trim().to_owned())
        } else {
            Reply::Calls(calls)
        }
    }
}

impl Responder for ChatCompletions {
    fn reply(&self, prompt: &Prompt<'_>) -> Reply {
        self.stream(prompt, &mut |_| true).reply
    }

    fn stream(&self, prompt: &Prompt<'_>, sink: &mut dyn FnMut(&str) -> bool) -> Answer {
        match self.complete(prompt, sink) {
            Ok(reply) => reply.into(),
            Err(reason) => {
                tracing::warn!(%reason, "the chat-completions server failed");
                Reply::Fail(Failure {
                    message: format!("The reply server failed: {reason}"),
                    ..Failure::default()
                })
                .into()
            }
        }
    }
}
