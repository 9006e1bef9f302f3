//! The built-in responder: deterministic, and true about the turn. It says what it heard when
//! there is a transcript or typed text, how long the user spoke otherwise, and what a tool
//! returned after a function call round.

use super::{FunctionOutput, Prompt, Reply, Responder};

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
}
