//! The responder: decides what the assistant says, or which tool it calls, for each response.
//!
//! The default, [`EchoResponder`], is deterministic and says something true about the turn: what
//! it heard when there is a transcript or typed text, how long the user spoke otherwise, and what
//! a tool returned after a function call round. A [`Script`] (YAML or JSON, `--script FILE`) lets
//! tests choose replies and tool calls by matching the user's words, and inject faults (see
//! [`crate::engine::faults`]); its file format is in [`crate::engine::script`].

use std::time::Duration;

use rtclient_protocol::{Item, Tool, ToolChoice};

use crate::engine::faults::{Disruption, Failure};
use crate::engine::script::{Rule, Script, ScriptCall};

/// What the responder knows about the turn it answers.
#[derive(Debug, Clone, Copy, Default)]
pub struct Prompt<'a> {
    /// The user's latest words: typed text, or the transcript of their audio turn.
    pub user_text: Option<&'a str>,
    /// Length of the user's latest audio turn, when it was audio.
    pub user_audio_ms: Option<u64>,
    /// The result of a function call the client answered since the last response.
    pub function_output: Option<FunctionOutput<'a>>,
    /// Names of the function tools the model may call in this response.
    pub tools: &'a [&'a str],
    /// The definitions of those tools (description and JSON Schema of the arguments), for a
    /// responder backed by a model.
    pub tool_specs: &'a [Tool],
    /// The response's `tool_choice` (its own, else the session's): `required` or a named tool
    /// means the reply must be a call.
    pub tool_choice: Option<&'a ToolChoice>,
    /// The response's instructions (from `response.create`, else the session's). The default
    /// responders do not read them; a responder backed by a model does.
    pub instructions: Option<&'a str>,
    /// The conversation the response reads, oldest first (or the response's own `input`).
    pub history: &'a [Item],
}

/// A function call's result, as the client sent it in a `function_call_output` item.
#[derive(Debug, Clone, Copy)]
pub struct FunctionOutput<'a> {
    /// The function that was called.
    pub name: &'a str,
    /// What the client returned (often JSON).
    pub output: &'a str,
}

/// What the assistant does in a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// Say this text (spoken when the response has audio output).
    Say(String),
    /// Call function tools: one output item per call, in this order (a model's parallel
    /// calls). Never empty.
    Calls(Vec<FunctionCall>),
    /// Fail the response with this error instead of replying.
    Fail(Failure),
}

/// One function tool call of a [`Reply::Calls`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionCall {
    /// The tool's name.
    pub name: String,
    /// Arguments as a JSON text.
    pub arguments: String,
}

impl Reply {
    /// A reply that calls one tool with `arguments` (JSON text).
    pub fn call(name: impl Into<String>, arguments: impl Into<String>) -> Reply {
        Reply::Calls(vec![FunctionCall {
            name: name.into(),
            arguments: arguments.into(),
        }])
    }
}

/// A reply and the faults around it: how long the server stalls before replying, and how the
/// connection breaks during or after the response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// What the assistant does.
    pub reply: Reply,
    /// Silence after `response.created` before the response goes on.
    pub delay: Duration,
    /// A broken connection during or after the response.
    pub disruption: Option<Disruption>,
}

impl From<Reply> for Answer {
    fn from(reply: Reply) -> Self {
        Answer {
            reply,
            delay: Duration::ZERO,
            disruption: None,
        }
    }
}

/// Decides each response's content.
pub trait Responder: Send + Sync {
    /// The reply to `prompt`.
    fn reply(&self, prompt: &Prompt<'_>) -> Reply;

    /// The reply to `prompt` with its faults; the default has none.
    fn answer(&self, prompt: &Prompt<'_>) -> Answer {
        self.reply(prompt).into()
    }

    /// The answer to `prompt`, for a responder that produces its reply bit by bit (a language
    /// model): the text of a spoken reply goes to `sink` piece by piece as it is generated, so
    /// speech can start before the reply is finished. Generation stops early when `sink`
    /// returns false (the response was cancelled); the answer then holds the text so far.
    ///
    /// The default sends nothing to `sink` and returns [`Responder::answer`].
    fn stream(&self, prompt: &Prompt<'_>, sink: &mut dyn FnMut(&str) -> bool) -> Answer {
        let _ = sink;
        self.answer(prompt)
    }

    /// Whether a GPT-Live session hands this turn to the application as a client delegation
    /// (`session.delegation.created`) besides saying the reply; the default never delegates.
    fn delegates(&self, prompt: &Prompt<'_>) -> bool {
        let _ = prompt;
        false
    }

    /// Gets ready to answer `prompt`, which a response is likely to ask for soon (the server
    /// calls it while the user's pause may still end their turn), so that the answer, if it
    /// comes, starts sooner: a language model reads the prompt ahead. Runs off the async
    /// runtime and may take a while; the default does nothing.
    fn prepare(&self, prompt: &Prompt<'_>) {
        let _ = prompt;
    }
}

impl<T: Responder + ?Sized> Responder for std::sync::Arc<T> {
    fn reply(&self, prompt: &Prompt<'_>) -> Reply {
        (**self).reply(prompt)
    }

    fn answer(&self, prompt: &Prompt<'_>) -> Answer {
        (**self).answer(prompt)
    }

    fn stream(&self, prompt: &Prompt<'_>, sink: &mut dyn FnMut(&str) -> bool) -> Answer {
        (**self).stream(prompt, sink)
    }

    fn delegates(&self, prompt: &Prompt<'_>) -> bool {
        (**self).delegates(prompt)
    }

    fn prepare(&self, prompt: &Prompt<'_>) {
        (**self).prepare(prompt);
    }
}

/// The default responder: deterministic, and true about the turn.
#[derive(Debug, Clone, Copy, Default)]
pub struct EchoResponder;

impl Responder for EchoResponder {
    fn reply(&self, prompt: &Prompt<'_>) -> Reply {
        Reply::Say(describe(prompt))
    }
}

fn describe(prompt: &Prompt<'_>) -> String {
    if let Some(FunctionOutput { name, output }) = prompt.function_output {
        return format!("The {name} tool returned: {output}");
    }
    match (prompt.user_text.map(str::trim), prompt.user_audio_ms) {
        (Some(text), _) if !text.is_empty() => format!("I heard: {text}"),
        (_, Some(ms)) => {
            let tenths = (ms + 50) / 100;
            format!("You spoke for {}.{} seconds.", tenths / 10, tenths % 10)
        }
        _ => "Hello! This is the rtclient local server.".to_owned(),
    }
}

impl Script {
    fn action(rule: &Rule, prompt: &Prompt<'_>) -> Option<Reply> {
        if let Some(failure) = &rule.error {
            return Some(Reply::Fail(failure.clone()));
        }
        if let Some(name) = &rule.call {
            let one = ScriptCall {
                name: name.clone(),
                arguments: rule.arguments.clone(),
            };
            return Self::calls(std::slice::from_ref(&one), prompt);
        }
        if let Some(calls) = &rule.calls {
            return Self::calls(calls, prompt);
        }
        let say = rule.say.as_deref()?;
        let output = prompt.function_output.map_or("", |f| f.output);
        let text = prompt.user_text.unwrap_or("");
        Some(Reply::Say(
            say.replace("{output}", output).replace("{text}", text),
        ))
    }

    /// `calls` as a reply, when every tool they name is offered to the model.
    fn calls(calls: &[ScriptCall], prompt: &Prompt<'_>) -> Option<Reply> {
        if !calls
            .iter()
            .all(|call| prompt.tools.contains(&call.name.as_str()))
        {
            return None;
        }
        Some(Reply::Calls(
            calls
                .iter()
                .map(|call| FunctionCall {
                    name: call.name.clone(),
                    arguments: call
                        .arguments
                        .as_ref()
                        .map_or_else(|| "{}".to_owned(), serde_json::Value::to_string),
                })
                .collect(),
        ))
    }

    fn matches(rule: &Rule, prompt: &Prompt<'_>) -> bool {
        if let Some(tool) = &rule.after_tool {
            if prompt.function_output.map(|f| f.name) != Some(tool.as_str()) {
                return false;
            }
        } else if prompt.function_output.is_some() && rule.when.is_some() {
            // A `when` rule answers the user, not a tool result.
            return false;
        }
        match &rule.when {
            Some(words) => prompt
                .user_text
                .is_some_and(|text| text.to_lowercase().contains(&words.to_lowercase())),
            None => true,
        }
    }
}

impl Responder for Script {
    fn reply(&self, prompt: &Prompt<'_>) -> Reply {
        self.answer(prompt).reply
    }

    fn delegates(&self, prompt: &Prompt<'_>) -> bool {
        self.rules
            .iter()
            .filter(|rule| Script::matches(rule, prompt))
            .find(|rule| Script::action(rule, prompt).is_some() || rule.delegate)
            .is_some_and(|rule| rule.delegate)
    }

    fn answer(&self, prompt: &Prompt<'_>) -> Answer {
        let matched = self
            .rules
            .iter()
            .filter(|rule| Script::matches(rule, prompt))
            .find_map(|rule| Script::action(rule, prompt).map(|reply| (rule, reply)));
        match matched {
            Some((rule, reply)) => Answer {
                reply,
                delay: Duration::from_millis(rule.delay_ms.unwrap_or(0)),
                disruption: rule.disruption(),
            },
            None => match &self.default {
                Some(text) => Reply::Say(text.clone()).into(),
                None => EchoResponder.answer(prompt),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::faults::{Faults, RateLimits};

    fn say(text: &str) -> Reply {
        Reply::Say(text.to_owned())
    }

    #[test]
    fn echo_says_what_it_heard_or_how_long_the_user_spoke() {
        let heard = Prompt {
            user_text: Some(" turn on the lights "),
            user_audio_ms: Some(2_340),
            ..Prompt::default()
        };
        assert_eq!(
            EchoResponder.reply(&heard),
            say("I heard: turn on the lights")
        );
        let audio_only = Prompt {
            user_audio_ms: Some(2_360),
            ..Prompt::default()
        };
        assert_eq!(
            EchoResponder.reply(&audio_only),
            say("You spoke for 2.4 seconds.")
        );
        let rounding_up = Prompt {
            user_audio_ms: Some(1_960),
            ..Prompt::default()
        };
        assert_eq!(
            EchoResponder.reply(&rounding_up),
            say("You spoke for 2.0 seconds.")
        );
        let after_tool = Prompt {
            function_output: Some(FunctionOutput {
                name: "get_weather",
                output: "{\"temp\":21}",
            }),
            ..Prompt::default()
        };
        assert_eq!(
            EchoResponder.reply(&after_tool),
            say("The get_weather tool returned: {\"temp\":21}")
        );
    }

    const SCRIPT: &str = r#"
rules:
  - when: "Weather"
    call: get_weather
    arguments: {"city": "Paris"}
  - after_tool: get_weather
    say: "It is {output} in Paris."
  - when: "hello"
    say: "Hi! You said: {text}"
default: "Sorry?"
"#;

    #[test]
    fn script_rules_match_words_tools_and_tool_results() {
        let script = Script::from_yaml(SCRIPT).unwrap();
        let tools = ["get_weather"];
        let ask = Prompt {
            user_text: Some("what is the weather like"),
            tools: &tools,
            ..Prompt::default()
        };
        assert_eq!(
            script.reply(&ask),
            Reply::call("get_weather", r#"{"city":"Paris"}"#)
        );
        let result = Prompt {
            function_output: Some(FunctionOutput {
                name: "get_weather",
                output: "sunny",
            }),
            tools: &tools,
            user_text: Some("what is the weather like"),
            ..Prompt::default()
        };
        assert_eq!(script.reply(&result), say("It is sunny in Paris."));
        let hello = Prompt {
            user_text: Some("Hello there"),
            ..Prompt::default()
        };
        assert_eq!(script.reply(&hello), say("Hi! You said: Hello there"));
        assert_eq!(script.reply(&Prompt::default()), say("Sorry?"));
    }

    #[test]
    fn a_calls_rule_makes_parallel_calls_in_order() {
        let script = Script::from_yaml(
            "rules:\n  - calls:\n      - {name: a, arguments: {x: 1}}\n      - {name: b}\n",
        )
        .unwrap();
        let tools = ["a", "b"];
        let ask = Prompt {
            tools: &tools,
            ..Prompt::default()
        };
        let call = |name: &str, arguments: &str| FunctionCall {
            name: name.into(),
            arguments: arguments.into(),
        };
        assert_eq!(
            script.reply(&ask),
            Reply::Calls(vec![call("a", r#"{"x":1}"#), call("b", "{}")])
        );
    }

    #[test]
    fn a_call_rule_does_not_fire_when_the_tool_is_not_offered() {
        let script = Script::from_yaml(SCRIPT).unwrap();
        let ask = Prompt {
            user_text: Some("weather?"),
            ..Prompt::default()
        };
        assert_eq!(script.reply(&ask), say("Sorry?"));
    }

    #[test]
    fn fault_rules_come_with_their_reply() {
        let script = Script::from_yaml(
            r#"
rules:
  - when: slow
    say: "Finally."
    delay_ms: 250
    close: {code: 4001, reason: "bye", after_events: 3}
  - when: break
    error: {code: overloaded, message: "Too busy."}
    drop: {}
faults:
  latency_ms: 40
  close_after_s: 1.5
  rate_limits: {requests: 2}
"#,
        )
        .unwrap();
        let slow = Prompt {
            user_text: Some("slow please"),
            ..Prompt::default()
        };
        assert_eq!(
            script.answer(&slow),
            Answer {
                reply: say("Finally."),
                delay: Duration::from_millis(250),
                disruption: Some(Disruption::Close {
                    code: 4001,
                    reason: "bye".into(),
                    after_events: Some(3)
                }),
            }
        );
        let broken = Prompt {
            user_text: Some("break it"),
            ..Prompt::default()
        };
        let answer = script.answer(&broken);
        assert_eq!(
            answer.reply,
            Reply::Fail(Failure {
                kind: "server_error".into(),
                code: Some("overloaded".into()),
                message: "Too busy.".into(),
            })
        );
        assert_eq!(
            answer.disruption,
            Some(Disruption::Drop { after_events: None })
        );
        // Unmatched turns get the plain default reply, with no faults.
        assert_eq!(
            script.answer(&Prompt::default()),
            Answer::from(EchoResponder.reply(&Prompt::default()))
        );
        assert_eq!(
            script.faults(),
            Faults {
                latency: Duration::from_millis(40),
                close_after: Some(Duration::from_millis(1_500)),
                rate_limits: Some(RateLimits {
                    requests: 2,
                    tokens: u64::MAX,
                    window: Duration::from_secs(60),
                }),
            }
        );
        assert!(Script::from_yaml(SCRIPT).unwrap().faults().is_none());
    }
}
