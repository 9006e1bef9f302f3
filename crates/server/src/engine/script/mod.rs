//! The script file: a [`Script`]'s rules and `faults:` section as they are written in YAML or
//! JSON, and the checks a script passes before it is used ([`ScriptProblem`] says what is
//! wrong). What a script's rules answer is in [`answer`].

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use crate::engine::faults::{Disruption, Failure, Faults, RateLimits};

mod answer;

/// Scripted replies, read from a YAML or JSON file:
///
/// ```yaml
/// rules:
///   - when: "weather"              # case-insensitive words the user's text must contain
///     call: get_weather            # call this tool...
///     arguments: {"city": "Paris"} # ...with these arguments
///   - after_tool: get_weather      # answers the tool's result; {output} is replaced by it
///     say: "It is {output} in Paris."
///   - when: "two cities"           # parallel calls: one output item each, in one response
///     calls:
///       - {name: get_weather, arguments: {"city": "Paris"}}
///       - {name: get_weather, arguments: {"city": "Rome"}}
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
/// matches any turn. A `call` or `calls` rule only fires when its tools are offered to the
/// model. Each rule does one of `say`, `call`, `calls` or `error`; `delay_ms`, `drop` and `close` add faults to it (see
/// [`Faults`](crate::Faults)).
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
    /// Several tools to call in one response (parallel calls), in order.
    #[serde(default)]
    pub calls: Option<Vec<ScriptCall>>,
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

/// One call of a rule's `calls`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptCall {
    /// Tool to call.
    pub name: String,
    /// Arguments of the call (any JSON value; sent as JSON text; `{}` when absent).
    #[serde(default)]
    pub arguments: Option<serde_json::Value>,
}

impl Rule {
    pub(crate) fn disruption(&self) -> Option<Disruption> {
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
    #[error("rule {rule} needs `say`, `call`, `calls` or `error`")]
    NoAction {
        /// The rule's number, from 1.
        rule: usize,
    },
    /// A rule with more than one action.
    #[error("rule {rule} has more than one of `say`, `call`, `calls` and `error`")]
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
    /// A `calls` list with no call.
    #[error("rule {rule} has an empty `calls` list")]
    NoCalls {
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
                rule.calls.is_some(),
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
            if rule.calls.as_ref().is_some_and(Vec::is_empty) {
                return Err(ScriptProblem::NoCalls { rule: rule_number });
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_readme_fault_script_is_valid() {
        let readme = include_str!("../../../../../README.md");
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
        assert_eq!(script.rules.len(), 6);
        assert_eq!(script.rules[1].calls.as_ref().map(Vec::len), Some(2));
        assert!(script.faults().rate_limits.is_some());
    }

    #[test]
    fn invalid_scripts_say_what_is_wrong() {
        let both = Script::from_yaml("rules:\n  - say: a\n    call: b\n").unwrap_err();
        assert_eq!(
            both.to_string(),
            "rule 1 has more than one of `say`, `call`, `calls` and `error`"
        );
        let neither = Script::from_yaml("rules:\n  - when: a\n").unwrap_err();
        assert_eq!(
            neither.to_string(),
            "rule 1 needs `say`, `call`, `calls` or `error`"
        );
        let empty = Script::from_yaml("rules:\n  - calls: []\n").unwrap_err();
        assert_eq!(empty.to_string(), "rule 1 has an empty `calls` list");
        let say_and_error = Script::from_yaml("rules:\n  - say: a\n    error: {}\n").unwrap_err();
        assert_eq!(
            say_and_error.to_string(),
            "rule 1 has more than one of `say`, `call`, `calls` and `error`"
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
