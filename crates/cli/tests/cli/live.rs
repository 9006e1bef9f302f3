//! `rtclient send --api live` against the built-in local server's GPT-Live route.

use std::path::Path;
use std::process::Output;

use crate::testutil::{assert_reply_wav, rtclient, speech};

/// Runs `rtclient send --api live` on the test speech in `dir` as fast as it goes, answered by
/// the echo responder and saved under `out/`, with `extra` options.
fn send_live(dir: &Path, extra: &[&str]) -> Output {
    rtclient(dir)
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
        .args(extra)
        .arg(speech())
        .output()
        .unwrap()
}

#[test]
fn send_live_streams_the_file_and_saves_the_track_and_transcripts() {
    let dir = tempfile::tempdir().unwrap();
    let output = send_live(dir.path(), &[]);
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

#[test]
fn send_live_json_prints_every_received_event_as_one_json_line() {
    let dir = tempfile::tempdir().unwrap();
    let output = send_live(dir.path(), &["--json"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    let events: Vec<serde_json::Value> = stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}")))
        .collect();
    let kinds: Vec<&str> = events.iter().filter_map(|e| e["type"].as_str()).collect();
    assert_eq!(kinds.len(), events.len(), "every line is an event");
    assert_eq!(kinds.first(), Some(&"session.started"));
    assert_eq!(kinds.last(), Some(&"session.closed"));
    assert!(kinds.contains(&"session.output_audio.delta"));
    assert!(kinds.contains(&"session.input_transcript.delta"));
    // The transcripts in the JSON are the ones saved.
    let said: String = events
        .iter()
        .filter(|e| e["type"] == "session.output_transcript.delta")
        .filter_map(|e| e["delta"].as_str())
        .collect();
    assert!(said.starts_with("I heard: "), "{said}");
    let saved = std::fs::read_dir(dir.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(".output.txt"))
        .unwrap();
    assert_eq!(std::fs::read_to_string(saved).unwrap().trim(), said.trim());
}

#[test]
fn send_live_record_writes_the_session_log_inspect_reads() {
    let dir = tempfile::tempdir().unwrap();
    let output = send_live(dir.path(), &["--record", "live.jsonl"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let log = std::fs::read_to_string(dir.path().join("live.jsonl")).unwrap();
    let records: Vec<serde_json::Value> = log
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let frame = |i: usize| {
        (
            records[i]["dir"].as_str().unwrap().to_owned(),
            records[i]["frame"]["type"].as_str().unwrap().to_owned(),
        )
    };
    assert_eq!(frame(0), ("sent".to_owned(), "session.start".to_owned()));
    assert_eq!(
        frame(1),
        ("received".to_owned(), "session.started".to_owned())
    );
    let sent: Vec<String> = (0..records.len())
        .map(frame)
        .filter(|(dir, _)| dir == "sent")
        .map(|(_, kind)| kind)
        .collect();
    assert!(sent.iter().any(|k| k == "session.input_audio.append"));
    assert_eq!(sent.last().map(String::as_str), Some("session.close"));
    assert_eq!(
        frame(records.len() - 1),
        ("received".to_owned(), "session.closed".to_owned())
    );

    let inspected = rtclient(dir.path())
        .args(["inspect", "--strict", "live.jsonl"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&inspected.stdout);
    let stderr = String::from_utf8_lossy(&inspected.stderr);
    assert_eq!(inspected.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stderr.contains(&format!("{} frames, GPT-Live", records.len())),
        "{stderr}"
    );
    assert!(stdout.contains("→ session.start"), "{stdout}");
    assert!(stdout.contains("← session.closed"), "{stdout}");
}
