//! What a script's rules answer: the [`Script`] as a [`Responder`], which replies by the first
//! rule that matches the user's words (or the tool result), with that rule's faults, and falls
//! back to its `default` text or the [`EchoResponder`].

use std::time::Duration;

use super::{Rule, Script, ScriptCall};
use crate::engine::reply::{Answer, EchoResponder, FunctionCall, Prompt, Reply, Responder};

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
    use crate::engine::faults::{Disruption, Failure, Faults, RateLimits};
    use crate::engine::reply::FunctionOutput;

    fn say(text: &str) -> Reply {
        Reply::Say(text.to_owned())
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

    #[test]
    fn json_scripts_load_too() {
        let script = Script::from_json(r#"{"rules":[{"say":"always this"}]}"#).unwrap();
        assert_eq!(script.reply(&Prompt::default()), say("always this"));
    }
}
