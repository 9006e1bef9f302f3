//! The grammar a forced tool call is written under (llama.cpp's GBNF): when a response must call
//! a tool, the local model may only write the name of one of the offered tools and arguments
//! with the keys and value types of that tool's JSON Schema. A small model left free names tools
//! that do not exist and invents argument keys.

use std::fmt::Write as _;

use rtclient_protocol::{Tool, ToolChoice, ToolChoiceMode};
use serde_json::Value;

use crate::engine::reply::tool_call::CLOSE;

/// Any JSON value, for arguments whose schema says nothing narrower.
const JSON_RULES: &str = r#"value ::= object | array | string | number | "true" | "false" | "null"
object ::= "{" ( string ": " value ( ", " string ": " value )* )? "}"
array ::= "[" ( value ( ", " value )* )? "]"
string ::= "\"" [^"\\\n<]{1,64} "\""
number ::= "-"? [0-9]{1,12} ( "." [0-9]{1,6} )?
"#;

/// The grammar of what the model writes after [`crate::engine::reply::tool_call::forced_start`] for `choice`:
/// the rest of a call of one of `tools` (the named one, when `choice` names it), then the call's
/// end. `None` when the model may answer in words.
pub(crate) fn for_choice(choice: Option<&ToolChoice>, tools: &[Tool]) -> Option<String> {
    let named = |tool: &&Tool| tool.name.is_some();
    let mut out = String::new();
    match choice? {
        ToolChoice::Mode(ToolChoiceMode::Required) => {
            let calls: Vec<String> = (0..tools.iter().filter(named).count())
                .map(|i| format!("call{i}"))
                .collect();
            if calls.is_empty() {
                return None;
            }
            let _ = writeln!(out, "root ::= {}", calls.join(" | "));
            for (i, tool) in tools.iter().filter(named).enumerate() {
                let name = tool.name.as_deref().unwrap_or_default();
                let rest = format!("{name}\", \"arguments\": ");
                let _ = writeln!(out, "call{i} ::= {} args{i} {}", literal(&rest), end());
                let _ = writeln!(out, "args{i} ::= {}", arguments(tool));
            }
        }
        ToolChoice::Tool(wanted) => {
            let tool = tools.iter().find(|tool| tool.name == wanted.name)?;
            let _ = writeln!(out, "root ::= {} {}", arguments(tool), end());
        }
        ToolChoice::Mode(_) => return None,
    }
    out.push_str(JSON_RULES);
    Some(out)
}

/// The end of a call: the object's brace and the closing tag.
fn end() -> String {
    literal(&format!("}}{CLOSE}"))
}

/// The arguments object of `tool`: its required properties (all of them, when it requires
/// none) in the schema's order, each with a value of its type.
fn arguments(tool: &Tool) -> String {
    let schema = tool.parameters.as_ref();
    let properties = schema
        .and_then(|s| s.get("properties"))
        .and_then(Value::as_object);
    let Some(properties) = properties.filter(|p| !p.is_empty()) else {
        return literal("{}");
    };
    let required: Vec<&str> = schema
        .and_then(|s| s.get("required"))
        .and_then(Value::as_array)
        .map(|list| list.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let fields: Vec<String> = properties
        .iter()
        .filter(|(key, _)| required.is_empty() || required.contains(&key.as_str()))
        .enumerate()
        .map(|(i, (key, property))| {
            let separator = if i == 0 { "" } else { ", " };
            let key = Value::String(key.clone()).to_string();
            format!(
                "{} {}",
                literal(&format!("{separator}{key}: ")),
                value(property)
            )
        })
        .collect();
    format!("{} {} {}", literal("{"), fields.join(" "), literal("}"))
}

/// The rule for a value of JSON Schema `property`.
fn value(property: &Value) -> String {
    if let Some(choices) = property.get("enum").and_then(Value::as_array) {
        let choices: Vec<String> = choices.iter().map(|v| literal(&v.to_string())).collect();
        if !choices.is_empty() {
            return format!("( {} )", choices.join(" | "));
        }
    }
    match property.get("type").and_then(Value::as_str) {
        Some("string") => "string".to_owned(),
        Some("boolean") => r#"( "true" | "false" )"#.to_owned(),
        Some("integer") => r#"( "-"? [0-9]{1,12} )"#.to_owned(),
        Some("number") => "number".to_owned(),
        Some("array") => "array".to_owned(),
        Some("object") => "object".to_owned(),
        _ => "value".to_owned(),
    }
}

/// `text` as a GBNF string literal.
fn literal(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weather() -> Tool {
        Tool::function(
            "get_weather",
            "Weather.",
            serde_json::json!({
                "type": "object",
                "properties": {"city": {"type": "string"}, "unit": {"enum": ["C", "F"]}},
                "required": ["city"]
            }),
        )
    }

    #[test]
    fn a_required_call_may_name_only_offered_tools_with_their_required_keys() {
        let lights = Tool::function("set_lights", "Lights.", serde_json::json!({}));
        let choice = ToolChoice::Mode(ToolChoiceMode::Required);
        let grammar = for_choice(Some(&choice), &[weather(), lights]).unwrap();
        assert!(grammar.starts_with("root ::= call0 | call1\n"), "{grammar}");
        assert!(
            grammar.contains(r#"args0 ::= "{" "\"city\": " string "}""#),
            "{grammar}"
        );
        assert!(grammar.contains(r#"args1 ::= "{}""#), "{grammar}");
        assert!(grammar.contains(r#""}</tool_call>""#), "{grammar}");
    }

    #[test]
    fn a_named_tool_gets_only_its_arguments_and_auto_gets_no_grammar() {
        let choice: ToolChoice =
            serde_json::from_value(serde_json::json!({"type": "function", "name": "get_weather"}))
                .unwrap();
        let grammar = for_choice(Some(&choice), &[weather()]).unwrap();
        assert!(
            grammar.starts_with(r#"root ::= "{" "\"city\": ""#),
            "{grammar}"
        );
        let auto = ToolChoice::Mode(ToolChoiceMode::Auto);
        assert_eq!(for_choice(Some(&auto), &[weather()]), None);
        assert_eq!(for_choice(None, &[weather()]), None);
    }
}
