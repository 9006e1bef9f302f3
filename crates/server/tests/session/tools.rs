//! The function tools the engine tests offer a reply model, and the check of the call it makes.

use serde_json::{Value, json};

/// `get_weather(city)`.
pub(crate) fn weather_tool() -> Value {
    json!({
        "type": "function",
        "name": "get_weather",
        "description": "Get the current weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string", "description": "The city."}},
            "required": ["city"]
        }
    })
}

/// `set_lights(room, on)`.
pub(crate) fn lights_tool() -> Value {
    json!({
        "type": "function",
        "name": "set_lights",
        "description": "Turn the lights in a room on or off.",
        "parameters": {
            "type": "object",
            "properties": {"room": {"type": "string"}, "on": {"type": "boolean"}},
            "required": ["room", "on"]
        }
    })
}

/// Checks that the first output of the `response.done` event `done` calls `get_weather` for
/// Paris.
pub(crate) fn assert_calls_weather_in_paris(done: &Value) {
    assert_calls(done, "get_weather", "city", "paris");
}

/// Checks that the first output of the `response.done` event `done` calls `name` with a string
/// `argument` that holds `word` (in any case).
pub(crate) fn assert_calls(done: &Value, name: &str, argument: &str, word: &str) {
    let call = &done["response"]["output"][0];
    assert_eq!(call["type"], "function_call", "{done}");
    assert_eq!(call["name"], name, "{done}");
    let arguments: Value = serde_json::from_str(call["arguments"].as_str().unwrap()).unwrap();
    assert!(
        arguments[argument]
            .as_str()
            .is_some_and(|value| value.to_lowercase().contains(word)),
        "{arguments}"
    );
}
