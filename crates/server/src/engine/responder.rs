//! The responder: decides what the assistant says, or which tool it calls, for each response.
//!
//! The default, [`EchoResponder`], is deterministic and says something true about the turn: what
//! it heard when there is a transcript or typed text, how long the user spoke otherwise, and what
//! a tool returned after a function call round. A [`Script`] (YAML or JSON, `--script FILE`) lets
//! tests choose replies and tool calls by matching the user's words, and inject faults (see
//! [`crate::engine::faults`]).

use std::path::Path;
use std::time::Duration;

use rtclient_protocol::{Item, Tool, ToolChoice};
use serde::Deserialize;

use crate::engine::faults::{Disruption, Failure, Faults, RateLimits};

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
    /// Call a function tool with these JSON arguments.
    Call {
        /// The tool's name.
        name: String,
        /// Arguments as a JSON text.
        arguments: String,
    },
    /// Fail the response with this error instead of replying.
    Fail(Failure),
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

/// Scripted replies, read from a YAML or JSON file:
///
/// ```yaml
/// rules:
///   - when: "weather"              # case-insensitive words the user's text must contain
///     call: get_weather            # call this tool...
///     arguments: {"city": "Paris"} # ...with these arguments
///   - after_tool: get_weather      # answers the tool's result; {output} is replaced by it
///     say: "It is {output} in Paris."
///   - when: "hello"
///     say: "Hi there!"
///   - when: "slow"
///     say: "Sorry for the wait."
///     delay_ms: 1500               # stall 1.5 s after response.created
///   - when: "break"
///     error: {type: server_error, message: "Boom."}  # an error event + a failed response
///   - when: "drop"
///     say: "This reply is cut short by a dropped connection."
///     drop: {after_events: 4}      # no close frame after the response's 4th event
///   - when: "bye"
///     say: "Goodbye!"
///     close: {code: 1000, reason: "bye"}  # close after the response (or `after_events`)
///   - when: "check"                # GPT-Live: delegate the task to the application
///     say: "Okay, checking now."   # the holding line spoken meanwhile
///     delegate: true
/// default: "Sorry, I did not catch that."  # optional; else the default responder's answer
/// faults:                          # optional, for the whole session
///   latency_ms: 50                 # every event 50 ms late
///   close_after_s: 30              # close 1001 after 30 s, like the 60-minute limit
///   rate_limits: {requests: 3, tokens: 10000, window_s: 60}
/// ```
///
/// The first rule that matches wins. A `when` rule matches the user's latest text or transcript;
/// an `after_tool` rule matches a response that follows that tool's output; a rule with neither
/// matches any turn. A `call` rule only fires when the tool is offered to the model. Each rule
/// does one of `say`, `call` or `error`; `delay_ms`, `drop` and `close` add faults to it (see
/// [`crate::engine::faults`]).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Script {
    /// The rules, tried in order.
    #[serde(default)]
    pub rules: Vec<Rule>,
    /// What to say when no rule matches.
    #[serde(default)]
    pub default: Option<String>,
    /// Session-wide faults.
    #[serde(default)]
    pub faults: Option<FaultsRule>,
}

/// The `faults:` section of a [`Script`]: session-wide faults.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultsRule {
    /// Extra delay of every server event, in ms.
    #[serde(default)]
    pub latency_ms: u64,
    /// Close the session with 1001 after this many seconds (fractions allowed).
    #[serde(default)]
    pub close_after_s: Option<f64>,
    /// Request and token budgets.
    #[serde(default)]
    pub rate_limits: Option<RateLimitsRule>,
}

/// `rate_limits:` in a script's `faults:` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitsRule {
    /// Responses per window (default: unlimited).
    #[serde(default)]
    pub requests: Option<u64>,
    /// Tokens per window (default: unlimited).
    #[serde(default)]
    pub tokens: Option<u64>,
    /// The window in seconds (default 60).
    #[serde(default = "RateLimitsRule::default_window")]
    pub window_s: f64,
}

impl RateLimitsRule {
    fn default_window() -> f64 {
        60.0
    }
}

/// `drop:` in a rule: drop the connection, with no close frame.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DropRule {
    /// Drop after this many events of the response; after its last event when absent.
    #[serde(default)]
    pub after_events: Option<usize>,
}

/// `close:` in a rule: close the connection with a close frame.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloseRule {
    /// The close code (default 1000).
    #[serde(default = "CloseRule::default_code")]
    pub code: u16,
    /// The close reason.
    #[serde(default)]
    pub reason: String,
    /// Close after this many events of the response; after its last event when absent.
    #[serde(default)]
    pub after_events: Option<usize>,
}

impl CloseRule {
    fn default_code() -> u16 {
        1000
    }
}

/// One rule of a [`Script`]: a condition and an action (`say`, or `call` with `arguments`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Words the user's latest text or transcript must contain (case-insensitive).
    #[serde(default)]
    pub when: Option<String>,
    /// The tool whose output this rule answers.
    #[serde(default)]
    pub after_tool: Option<String>,
    /// Text to say; `{output}` is replaced by the tool output, `{text}` by the user's words.
    #[serde(default)]
    pub say: Option<String>,
    /// Tool to call.
    #[serde(default)]
    pub call: Option<String>,
    /// Arguments of the call (any JSON value; sent as JSON text).
    #[serde(default)]
    pub arguments: Option<serde_json::Value>,
    /// Fail the response with this error instead of replying.
    #[serde(default)]
    pub error: Option<Failure>,
    /// Stall this many ms after `response.created`.
    #[serde(default)]
    pub delay_ms: Option<u64>,
    /// Drop the connection during or after the response.
    #[serde(default)]
    pub drop: Option<DropRule>,
    /// Close the connection during or after the response.
    #[serde(default)]
    pub close: Option<CloseRule>,
    /// GPT-Live only: also delegate the turn to the application (`session.delegation.created`,
    /// client delegation); `say` is then the holding line spoken meanwhile.
    #[serde(default)]
    pub delegate: bool,
}

impl Rule {
    fn disruption(&self) -> Option<Disruption> {
        if let Some(drop) = &self.drop {
            return Some(Disruption::Drop {
                after_events: drop.after_events,
            });
        }
        self.close.as_ref().map(|close| Disruption::Close {
            code: close.code,
            reason: close.reason.clone(),
            after_events: close.after_events,
        })
    }
}

/// Why a script could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScriptError {
    /// The file could not be read.
    #[error("cannot read script {path}")]
    Read {
        /// The script's path.
        path: String,
        /// Why reading failed.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a valid script.
    #[error("invalid script {path}")]
    Invalid {
        /// The script's path.
        path: String,
        /// What is wrong with it.
        #[source]
        source: ScriptProblem,
    },
}

/// What is wrong with a script's text.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScriptProblem {
    /// Not YAML, or not the script format (serde says what and where).
    #[error(transparent)]
    Yaml(#[from] serde_norway::Error),
    /// Not JSON, or not the script format (serde says what and where).
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// A rule with no action.
    #[error("rule {rule} needs `say`, `call` or `error`")]
    NoAction {
        /// The rule's number, from 1.
        rule: usize,
    },
    /// A rule with more than one action.
    #[error("rule {rule} has more than one of `say`, `call` and `error`")]
    SeveralActions {
        /// The rule's number, from 1.
        rule: usize,
    },
    /// `arguments` on a rule that calls no tool.
    #[error("rule {rule} has `arguments` without `call`")]
    ArgumentsWithoutCall {
        /// The rule's number, from 1.
        rule: usize,
    },
    /// A rule that both drops and closes the connection.
    #[error("rule {rule} has both `drop` and `close`")]
    DropAndClose {
        /// The rule's number, from 1.
        rule: usize,
    },
    /// A close code a WebSocket peer may not send.
    #[error("rule {rule}: close code {code} cannot be sent; use 1000-1003, 1007-1014 or 3000-4999")]
    UnsendableCloseCode {
        /// The rule's number, from 1.
        rule: usize,
        /// The code.
        code: u16,
    },
    /// A `faults` duration that is not a positive number of seconds.
    #[error("faults.{name} must be a positive number of seconds")]
    NotPositiveSeconds {
        /// The setting, e.g. `close_after_s`.
        name: &'static str,
    },
}

impl Script {
    /// Loads a script: JSON when the file name ends in `.json`, YAML otherwise.
    pub fn load(path: &Path) -> Result<Script, ScriptError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ScriptError::Read {
            path: shown.clone(),
            source,
        })?;
        let is_json = path.extension().is_some_and(|ext| ext == "json");
        let script = if is_json {
            Script::from_json(&text)
        } else {
            Script::from_yaml(&text)
        };
        script.map_err(|source| ScriptError::Invalid {
            path: shown,
            source,
        })
    }

    /// Parses a YAML script; the error says what is wrong and where.
    pub fn from_yaml(text: &str) -> Result<Script, ScriptProblem> {
        let script: Script = serde_norway::from_str(text)?;
        script.validate()
    }

    /// Parses a JSON script; the error says what is wrong and where.
    pub fn from_json(text: &str) -> Result<Script, ScriptProblem> {
        let script: Script = serde_json::from_str(text)?;
        script.validate()
    }

    /// The session-wide faults of the script's `faults:` section.
    pub fn faults(&self) -> Faults {
        let Some(rule) = &self.faults else {
            return Faults::default();
        };
        Faults {
            latency: Duration::from_millis(rule.latency_ms),
            close_after: rule.close_after_s.map(Duration::from_secs_f64),
            rate_limits: rule.rate_limits.as_ref().map(|limits| RateLimits {
                requests: limits.requests.unwrap_or(u64::MAX),
                tokens: limits.tokens.unwrap_or(u64::MAX),
                window: Duration::from_secs_f64(limits.window_s),
            }),
        }
    }

    fn validate(self) -> Result<Script, ScriptProblem> {
        for (index, rule) in self.rules.iter().enumerate() {
            let rule_number = index + 1;
            let actions = [
                rule.say.is_some(),
                rule.call.is_some(),
                rule.error.is_some(),
            ];
            match actions.iter().filter(|set| **set).count() {
                0 => return Err(ScriptProblem::NoAction { rule: rule_number }),
                1 => {}
                _ => return Err(ScriptProblem::SeveralActions { rule: rule_number }),
            }
            if rule.arguments.is_some() && rule.call.is_none() {
                return Err(ScriptProblem::ArgumentsWithoutCall { rule: rule_number });
            }
            if rule.drop.is_some() && rule.close.is_some() {
                return Err(ScriptProblem::DropAndClose { rule: rule_number });
            }
            if let Some(close) = &rule.close
                && !crate::net::connection::sendable(close.code)
            {
                return Err(ScriptProblem::UnsendableCloseCode {
                    rule: rule_number,
                    code: close.code,
                });
            }
        }
        if let Some(faults) = &self.faults {
            let seconds = [
                ("close_after_s", faults.close_after_s),
                (
                    "rate_limits.window_s",
                    faults.rate_limits.as_ref().map(|r| r.window_s),
                ),
            ];
            for (name, value) in seconds {
                if let Some(value) = value
                    && !(value.is_finite() && value > 0.0 && value < 1e9)
                {
                    return Err(ScriptProblem::NotPositiveSeconds { name });
                }
            }
        }
        Ok(self)
    }

    fn action(rule: &Rule, prompt: &Prompt<'_>) -> Option<Reply> {
        if let Some(failure) = &rule.error {
            return Some(Reply::Fail(failure.clone()));
        }
        if let Some(name) = &rule.call {
            if !prompt.tools.contains(&name.as_str()) {
                return None;
            }
            let arguments = rule
                .arguments
                .as_ref()
                .map_or_else(|| "{}".to_owned(), serde_json::Value::to_string);
            return Some(Reply::Call {
                name: name.clone(),
                arguments,
            });
        }
        let say = rule.say.as_deref()?;
        let output = prompt.function_output.map_or("", |f| f.output);
        let text = prompt.user_text.unwrap_or("");
        Some(Reply::Say(
            say.replace("{output}", output).replace("{text}", text),
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
            Reply::Call {
                name: "get_weather".into(),
                arguments: r#"{"city":"Paris"}"#.into()
            }
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
    fn the_readme_fault_script_is_valid() {
        let readme = include_str!("../../../../README.md");
        let section = readme
            .split("### Testing your client's failure paths")
            .nth(1)
            .unwrap();
        let yaml = section
            .split("```yaml\n")
            .nth(1)
            .and_then(|rest| rest.split("```").next())
            .unwrap();
        let script = Script::from_yaml(yaml).unwrap();
        assert_eq!(script.rules.len(), 5);
        assert!(script.faults().rate_limits.is_some());
    }

    #[test]
    fn json_scripts_load_too() {
        let script = Script::from_json(r#"{"rules":[{"say":"always this"}]}"#).unwrap();
        assert_eq!(script.reply(&Prompt::default()), say("always this"));
    }

    #[test]
    fn invalid_scripts_say_what_is_wrong() {
        let both = Script::from_yaml("rules:\n  - say: a\n    call: b\n").unwrap_err();
        assert_eq!(
            both.to_string(),
            "rule 1 has more than one of `say`, `call` and `error`"
        );
        let neither = Script::from_yaml("rules:\n  - when: a\n").unwrap_err();
        assert_eq!(neither.to_string(), "rule 1 needs `say`, `call` or `error`");
        let say_and_error = Script::from_yaml("rules:\n  - say: a\n    error: {}\n").unwrap_err();
        assert_eq!(
            say_and_error.to_string(),
            "rule 1 has more than one of `say`, `call` and `error`"
        );
        let drop_and_close =
            Script::from_yaml("rules:\n  - say: a\n    drop: {}\n    close: {}\n").unwrap_err();
        assert_eq!(
            drop_and_close.to_string(),
            "rule 1 has both `drop` and `close`"
        );
        let reserved =
            Script::from_yaml("rules:\n  - say: a\n    close: {code: 1006}\n").unwrap_err();
        assert!(
            reserved
                .to_string()
                .contains("close code 1006 cannot be sent"),
            "{reserved}"
        );
        let window =
            Script::from_yaml("faults:\n  rate_limits: {requests: 1, window_s: 0}\n").unwrap_err();
        assert_eq!(
            window.to_string(),
            "faults.rate_limits.window_s must be a positive number of seconds"
        );
        let typo = Script::from_yaml("rules:\n  - sya: a\n").unwrap_err();
        assert!(typo.to_string().contains("unknown field `sya`"), "{typo}");
        let dir = tempfile::tempdir().unwrap();
        let missing = Script::load(&dir.path().join("nope.yaml")).unwrap_err();
        assert!(missing.to_string().contains("nope.yaml"), "{missing}");
    }
}
