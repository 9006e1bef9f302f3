//! Tool calls written by a local model as text: how the prompt offers the tools, and how a
//! reply that calls one is recognised (`<tool_call>{"name": ..., "arguments": {...}}</tool_call>`,
//! the format SmolLM2 and most small chat models were tuned on; a bare JSON object or a list of
//! them is accepted too).

use rtclient_protocol::{Tool, ToolChoice, ToolChoiceMode};
use serde_json::Value;

use super::Reply;

const OPEN: &str = "<tool_call>";
/// The end of a call.
pub(crate) const CLOSE: &str = "</tool_call>";

/// The system-prompt text that offers `tools` to the model.
pub fn instructions(tools: &[Tool]) -> String {
    let specs: Vec<Value> = tools
        .iter()
        .filter_map(|tool| {
            Some(serde_json::json!({
                "name": tool.name.as_deref()?,
                "description": tool.description.as_deref().unwrap_or(""),
                "parameters": tool.parameters.clone().unwrap_or_else(|| serde_json::json!({})),
            }))
        })
        .collect();
    let list = Value::Array(specs);
    format!(
        "\n\nYou have access to the following tools:\n<tools>{list}</tools>\n\nWhen one of the \
         tools answers the user's request, reply with only the call, in this format:\n\
         {OPEN}{{\"name\": \"tool_name\", \"arguments\": {{\"argument\": \"value\"}}}}{CLOSE}\n\
         Otherwise answer in plain words."
    )
}

/// A call written the way [`instructions`] asks for it (for earlier calls in the chat).
pub fn render(name: &str, arguments: &str) -> String {
    let arguments: Value = serde_json::from_str(arguments).unwrap_or(Value::Null);
    let call = serde_json::json!({"name": name, "arguments": arguments});
    format!("{OPEN}{call}{CLOSE}")
}

/// The start of the reply when `choice` says it must be a call of one of `tools` (`required`,
/// or a named tool): the model then only writes the tool's name (unless it is named) and the
/// arguments. `None` when the model may answer in words.
pub fn forced_start(choice: Option<&ToolChoice>, tools: &[&str]) -> Option<String> {
    if tools.is_empty() {
        return None;
    }
    match choice? {
        ToolChoice::Mode(ToolChoiceMode::Required) => Some(format!("{OPEN}{{\"name\": \"")),
        ToolChoice::Tool(tool) => {
            let name = tool.name.as_deref().filter(|name| tools.contains(name))?;
            Some(format!("{OPEN}{{\"name\": \"{name}\", \"arguments\": "))
        }
        ToolChoice::Mode(_) => None,
    }
}

/// Whether a call being written is complete.
pub fn is_closed(text: &str) -> bool {
    text.contains(CLOSE)
}

/// What the start of a reply is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parsed {
    /// Too little text to tell.
    Undecided,
    /// The start of a tool call.
    Call,
    /// Words to speak.
    Text,
}

/// Whether the reply that starts with `text` is a tool call or speech.
pub fn parse_start(text: &str) -> Parsed {
    let text = text.trim_start();
    if text.is_empty() || (OPEN.starts_with(text) && text.len() < OPEN.len()) {
        Parsed::Undecided
    } else if text.starts_with(OPEN) || text.starts_with('{') || text.starts_with('[') {
        Parsed::Call
    } else {
        Parsed::Text
    }
}

/// The call a whole reply makes, if it is a call of one of `tools` (the first, when it lists
/// several).
pub fn parse(text: &str, tools: &[&str]) -> Option<Reply> {
    let body = text.trim();
    let body = body.strip_prefix(OPEN).unwrap_or(body);
    let body = body.split(CLOSE).next().unwrap_or(body).trim();
    let value: Value = serde_json::Deserializer::from_str(body)
        .into_iter::<Value>()
        .next()?
        .ok()?;
    let call = match value {
        Value::Array(calls) => calls.into_iter().next()?,
        call => call,
    };
    let name = call.get("name")?.as_str()?;
    if !tools.contains(&name) {
        return None;
    }
    let arguments = match call.get("arguments") {
        Some(Value::String(text)) => text.clone(),
        Some(value @ Value::Object(_)) => value.to_string(),
        _ => "{}".to_owned(),
    };
    Some(Reply::call(name, arguments))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_are_told_from_speech_as_soon_as_possible() {
        assert_eq!(parse_start(" "), Parsed::Undecided);
        assert_eq!(parse_start("<tool"), Parsed::Undecided);
        assert_eq!(parse_start("<tool_call>{\"na"), Parsed::Call);
        assert_eq!(parse_start("[{\"name\""), Parsed::Call);
        assert_eq!(parse_start("The weather"), Parsed::Text);
        assert_eq!(parse_start("<b>"), Parsed::Text);
    }

    #[test]
    fn a_call_of_an_offered_tool_is_parsed_with_its_arguments() {
        let tools = ["get_weather"];
        let call = |arguments: &str| Reply::call("get_weather", arguments);
        assert_eq!(
            parse(
                r#"<tool_call>{"name": "get_weather", "arguments": {"city": "Paris"}}</tool_call>"#,
                &tools
            ),
            Some(call(r#"{"city":"Paris"}"#))
        );
        assert_eq!(
            parse(r#"[{"name": "get_weather"}] and more"#, &tools),
            Some(call("{}"))
        );
        assert_eq!(parse(r#"{"name": "launch_rocket"}"#, &tools), None);
        assert_eq!(parse("It is sunny.", &tools), None);
    }

    #[test]
    fn a_rendered_call_parses_back() {
        let text = render("get_weather", r#"{"city":"Oslo"}"#);
        assert_eq!(
            parse(&text, &["get_weather"]),
            Some(Reply::call("get_weather", r#"{"city":"Oslo"}"#))
        );
        assert!(
            instructions(&[Tool::function(
                "get_weather",
                "Weather.",
                serde_json::json!({})
            )])
            .contains("\"get_weather\"")
        );
    }
}
