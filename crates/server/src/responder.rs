//! The responder: decides what the assistant says, or which tool it calls, for each response.
//!
//! The default, [`EchoResponder`], is deterministic and says something true about the turn: what
//! it heard when there is a transcript or typed text, how long the user spoke otherwise, and what
//! a tool returned after a function call round. A [`Script`] (YAML or JSON, `--script FILE`) lets
//! tests choose replies and tool calls by matching the user's words.

use std::path::Path;

use serde::Deserialize;

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
}

/// Decides each response's content.
pub trait Responder: Send + Sync {
    /// The reply to `prompt`.
    fn reply(&self, prompt: &Prompt<'_>) -> Reply;
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
/// default: "Sorry, I did not catch that."  # optional; else the default responder's answer
/// ```
///
/// The first rule that matches wins. A `when` rule matches the user's latest text or transcript;
/// an `after_tool` rule matches a response that follows that tool's output; a rule with neither
/// matches any turn. A `call` rule only fires when the tool is offered to the model.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Script {
    /// The rules, tried in order.
    #[serde(default)]
    pub rules: Vec<Rule>,
    /// What to say when no rule matches.
    #[serde(default)]
    pub default: Option<String>,
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
    #[error("invalid script {path}: {reason}")]
    Invalid {
        /// The script's path.
        path: String,
        /// What is wrong, with the line where the parser knows it.
        reason: String,
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
        script.map_err(|reason| ScriptError::Invalid {
            path: shown,
            reason,
        })
    }

    /// Parses a YAML script; the error says what is wrong and where.
    pub fn from_yaml(text: &str) -> Result<Script, String> {
        let script: Script = serde_norway::from_str(text).map_err(|e| e.to_string())?;
        script.validate()
    }

    /// Parses a JSON script; the error says what is wrong and where.
    pub fn from_json(text: &str) -> Result<Script, String> {
        let script: Script = serde_json::from_str(text).map_err(|e| e.to_string())?;
        script.validate()
    }

    fn validate(self) -> Result<Script, String> {
        for (index, rule) in self.rules.iter().enumerate() {
            let number = index + 1;
            match (&rule.say, &rule.call) {
                (Some(_), Some(_)) => {
                    return Err(format!("rule {number} has both `say` and `call`"));
                }
                (None, None) => return Err(format!("rule {number} needs `say` or `call`")),
                (Some(_), None) if rule.arguments.is_some() => {
                    return Err(format!("rule {number} has `arguments` without `call`"));
                }
                _ => {}
            }
        }
        Ok(self)
    }

    fn action(rule: &Rule, prompt: &Prompt<'_>) -> Option<Reply> {
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
        self.rules
            .iter()
            .filter(|rule| Script::matches(rule, prompt))
            .find_map(|rule| Script::action(rule, prompt))
            .unwrap_or_else(|| match &self.default {
                Some(text) => Reply::Say(text.clone()),
                None => EchoResponder.reply(prompt),
            })
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
    fn json_scripts_load_too() {
        let script = Script::from_json(r#"{"rules":[{"say":"always this"}]}"#).unwrap();
        assert_eq!(script.reply(&Prompt::default()), say("always this"));
    }

    #[test]
    fn invalid_scripts_say_what_is_wrong() {
        let both = Script::from_yaml("rules:\n  - say: a\n    call: b\n").unwrap_err();
        assert_eq!(both, "rule 1 has both `say` and `call`");
        let neither = Script::from_yaml("rules:\n  - when: a\n").unwrap_err();
        assert_eq!(neither, "rule 1 needs `say` or `call`");
        let typo = Script::from_yaml("rules:\n  - sya: a\n").unwrap_err();
        assert!(typo.contains("unknown field `sya`"), "{typo}");
        let dir = tempfile::tempdir().unwrap();
        let missing = Script::load(&dir.path().join("nope.yaml")).unwrap_err();
        assert!(missing.to_string().contains("nope.yaml"), "{missing}");
    }
}
