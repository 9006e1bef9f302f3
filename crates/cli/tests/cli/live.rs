//! `rtclient send --api live` against the built-in local server's GPT-Live route.

use crate::testutil::{assert_reply_wav, rtclient, speech};

#[test]
fn send_live_streams_the_file_and_saves_the_track_and_transcripts() {
    let dir = tempfile::tempdir().unwrap();
    let output = rtclient(dir.path())
        .args([
            "send",
            "--api",
            "live",
            "--pace",
            "max",
            "--responder",
            "echo",
        ])
        .args(["--out", "out"])
        .arg(speech())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("using the built-in local server at ws://127.0.0.1:"),
        "{stderr}"
    );
    assert!(stderr.contains("/v1/live/sessions (GPT-Live)"), "{stderr}");
    assert!(
        stderr.contains("session closed (close_requested)"),
        "{stderr}"
    );
    // The echo responder says what it heard; its words arrive in order.
    let said: Vec<&str> = stdout
        .lines()
        .filter_map(|line| line.split_once("assistant: ").map(|(_, word)| word))
        .collect();
    assert_eq!(said.get(..2), Some(&["I", "heard:"][..]), "{stdout}");
    let files: Vec<_> = std::fs::read_dir(dir.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let with = |suffix: &str| {
        files
            .iter()
            .find(|p| p.to_string_lossy().ends_with(suffix))
            .unwrap_or_else(|| panic!("no *{suffix} in {files:?}"))
            .clone()
    };
    let output_text = std::fs::read_to_string(with(".output.txt")).unwrap();
    assert!(output_text.starts_with("I heard: "), "{output_text}");
    assert_eq!(output_text.trim(), said.join(" "));
    // The whole output track: silence and the spoken reply.
    assert_reply_wav(&with(".wav"));
    let input_text = std::fs::read_to_string(with(".input.txt")).unwrap();
    assert!(input_text.contains("Seattle"), "{input_text}");
}
