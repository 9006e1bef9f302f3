//! Tools (`function`, `mcp`) and `tool_choice`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::wire::{string_enum, wire_struct};

wire_struct! {
    /// A tool the model may call. Function tools use `name`, `description`, `parameters`;
    /// MCP tools (GA) use `server_label`, `server_url` and more (kept in `extra`).
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct Tool [object] {
        /// `function` or `mcp`.
        opt kind: ToolKind = "type",
        /// Function name.
        opt name: String = "name",
        /// What the function does and when to call it.
        opt description: String = "description",
        /// JSON Schema of the arguments.
        opt parameters: serde_json::Value = "parameters",
        /// MCP server label.
        opt server_label: String = "server_label",
        /// MCP server URL.
        opt server_url: String = "server_url",
    }
}

impl Tool {
    /// A function tool.
    pub fn function(
        name: impl Into<String>,
        description: impl Into<String>,
        parameters: serde_json::Value,
    ) -> Self {
        Self {
            kind: Some(ToolKind::Function),
            name: Some(name.into()),
            description: Some(description.into()),
            parameters: Some(parameters),
            ..Default::default()
        }
    }
}

string_enum! {
    /// The `type` of a tool.
    pub enum ToolKind {
        /// A function the client runs.
        Function = "function",
        /// A remote MCP server (GA).
        Mcp = "mcp",
    }
}

string_enum! {
    /// A `tool_choice` mode string.
    pub enum ToolChoiceMode {
        /// Never call tools.
        None = "none",
        /// The model decides.
        Auto = "auto",
        /// The model must call a tool.
        Required = "required",
    }
}

wire_struct! {
    /// A `tool_choice` object: `{"type":"function","name":...}` or an MCP choice.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct ToolChoiceObject [object] {
        /// `function` or `mcp`.
        opt kind: ToolKind = "type",
        /// Function or MCP tool name.
        opt name: String = "name",
        /// MCP server label.
        opt server_label: String = "server_label",
    }
}

/// `tool_choice`: a mode string or an object naming a tool.
#[derive(Debug, Clone, PartialEq)]
pub enum ToolChoice {
    /// `"none"`, `"auto"`, `"required"`, or an unknown string.
    Mode(ToolChoiceMode),
    /// A specific tool.
    Tool(ToolChoiceObject),
}

impl Serialize for ToolChoice {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ToolChoice::Mode(m) => m.serialize(s),
            ToolChoice::Tool(t) => t.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for ToolChoice {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::String(s) => Ok(ToolChoice::Mode(ToolChoiceMode::from(s.as_str()))),
            v @ serde_json::Value::Object(_) => serde_json::from_value(v)
                .map(ToolChoice::Tool)
                .map_err(serde::de::Error::custom),
            other => Err(serde::de::Error::custom(format!(
                "tool_choice must be a string or an object, got {other}"
            ))),
        }
    }
}
