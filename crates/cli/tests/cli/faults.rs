//! `rtclient send` against `rtclient serve --script` with faults: what a user sees when the
//! service fails a response, drops the connection, closes the session or runs out of budget.

use std::path::Path;

use crate::send::write_wav;
use crate::serve::spawn;
use crate::testutil::{base64_bytes, frame_types, of_kind, recorded, rtclient, speech};

/// Starts `rtclient serve --script` with the YAML `script` (written into `dir`), runs
/// `rtclient send ARGS --provider URL --record log.jsonl` in `dir`, stops the server and returns
/// the exit code, stdout and stderr.
fn send_to(dir: &Path, script: &str, args: &[&str]) -> (Option<i32>, String, String) {
    let path = dir.join("script.yaml");
    std::fs::write(&path, script).unwrap();
    let (server, url) = spawn(&["--script", path.to_str().unwrap()]);
    let output = rtclient(dir)
        .arg("send")
        .args(args)
        .args(["--provider", &url, "--record", "log.jsonl"])
        .output()
        .unwrap();
    drop(server);
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_drop_mid_response_exits_3_saying_the_connection_was_lost_and_keeps_the_audio() {
    let dir = tempfile::tempdir().unwrap();
    write_wav(&dir.path().join("a.wav"));
    let (code, stdout, stderr) = send_to(
        dir.path(),
        r#"
rules:
  - say: "This reply is cut short by a dropped connection, so nobody hears its end."
    drop: {after_events: 8}
"#,
        &["a.wav", "--vad", "none", "--pace", "max"],
    );
    assert_eq!(code, Some(3), "{stdout}\n{stderr}");
    let received = recorded(&dir.path().join("log.jsonl"), "received");
    let kinds = frame_types(&received);
    assert!(!kinds.contains(&"response.done"), "{kinds:?}");
    let created = of_kind(&received, "response.created");
    let response = created[0]["response"]["id"].as_str().unwrap();
    assert!(
        stderr.contains(&format!(
            "error: the connection was lost without a close frame during response {response}"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "hint: the server or the network dropped the session; what arrived before was saved"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("0 responses (0 failed)"), "{stderr}");

    // The audio that arrived before the drop is saved as a complete WAV.
    let deltas = of_kind(&received, "response.output_audio.delta");
    assert!(!deltas.is_empty(), "{kinds:?}");
    let bytes = base64_bytes(&deltas, "delta");
    let wav_path = format!(
        "rtclient-out/{}.wav",
        deltas[0]["item_id"].as_str().unwrap()
    );
    assert!(stderr.contains(&format!("wrote {wav_path}")), "{stderr}");
    let wav = std::fs::read(dir.path().join(&wav_path)).unwrap();
    assert_eq!(wav.len(), 44 + bytes);
    assert_eq!(
        u32::from_le_bytes([wav[40], wav[41], wav[42], wav[43]]) as usize,
        bytes,
        "the WAV header counts the saved samples"
    );
    // So is the transcript of what was said before the drop.
    let said: String = of_kind(&received, "response.output_audio_transcript.delta")
        .iter()
        .map(|d| d["delta"].as_str().unwrap())
        .collect();
    assert!(!said.is_empty(), "{kinds:?}");
    let text_path = dir.path().join(wav_path.replace(".wav", ".txt"));
    assert_eq!(
        std::fs::read_to_string(text_path).unwrap(),
        format!("{said}\n")
    );
}

#[test]
fn an_error_rule_exits_1_showing_the_error_on_stdout_and_stderr() {
    let dir = tempfile::tempdir().unwrap();
    write_wav(&dir.path().join("a.wav"));
    let (code, stdout, stderr) = send_to(
        dir.path(),
        r#"
rules:
  - error: {type: server_error, code: overloaded, message: "The engine is overloaded."}
"#,
        &["a.wav", "--vad", "none", "--pace", "max"],
    );
    assert_eq!(code, Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("← error server_error overloaded \"The engine is overloaded.\""),
        "{stdout}"
    );
    let done = stdout
        .lines()
        .find(|l| l.starts_with("← response.done"))
        .unwrap_or_else(|| panic!("no response.done in {stdout}"));
    // A failed response still reports its usage: the input it read, nothing produced.
    assert!(
        done.contains("failed \"The engine is overloaded.\" out=0 tokens=") && done.ends_with("/0"),
        "{done}"
    );
    assert!(
        stderr.contains("1 response (1 failed), 1 error"),
        "{stderr}"
    );
    assert!(
        stderr.contains("error: the service reported 1 error and 1 failed response"),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: see the error events and failed responses above"),
        "{stderr}"
    );
    // The error event and the failed response carry the same error: it is shown once.
    let causes: Vec<&str> = stderr
        .lines()
        .filter(|l| l.trim_start().starts_with("Caused by:"))
        .collect();
    assert_eq!(
        causes,
        ["  Caused by: server_error (overloaded): The engine is overloaded."],
        "{stderr}"
    );
}

#[test]
fn the_forced_1001_close_mid_stream_exits_3_with_the_reason_and_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let clip = speech();
    let clip = clip.to_str().unwrap();
    // The 10 s clip at the real pace: the server closes the session a second in.
    let (code, stdout, stderr) = send_to(dir.path(), "faults: {close_after_s: 1}\n", &[clip]);
    assert_eq!(code, Some(3), "{stdout}\n{stderr}");
    assert!(
        stderr.contains(
            "error: the server closed the connection with code 1001 (Your session hit the maximum duration of 1 second.)"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "hint: the session reached its maximum duration; reconnect to start a new session"
        ),
        "{stderr}"
    );
    let errors = stderr.lines().filter(|l| l.starts_with("error: ")).count();
    assert_eq!(errors, 1, "{stderr}");
    // It ended mid-stream: most of the clip's 100 chunks were never sent.
    let sent = recorded(&dir.path().join("log.jsonl"), "sent");
    let appends = frame_types(&sent)
        .iter()
        .filter(|k| **k == "input_audio_buffer.append")
        .count();
    assert!(appends > 0 && appends < 100, "{appends} appends");
}
#[test]
fn a_spent_request_budget_fails_the_next_response_with_the_rate_limit_shown() {
    let dir = tempfile::tempdir().unwrap();
    write_wav(&dir.path().join("a.wav"));
    write_wav(&dir.path().join("b.wav"));
    let (code, stdout, stderr) = send_to(
        dir.path(),
        "faults: {rate_limits: {requests: 1, window_s: 600}}\n",
        &["a.wav", "b.wav", "--vad", "none", "--pace", "max"],
    );
    assert_eq!(code, Some(1), "{stdout}\n{stderr}");
    let received = recorded(&dir.path().join("log.jsonl"), "received");
    let statuses: Vec<&str> = of_kind(&received, "response.done")
        .iter()
        .map(|f| f["response"]["status"].as_str().unwrap())
        .collect();
    // The second file's turn waited for the first response, so the service refused no
    // request: the spent budget failed the second response.
    assert_eq!(statuses, ["completed", "failed"]);
    assert!(
        stderr.contains("2 responses (1 failed), 0 errors"),
        "{stderr}"
    );
    // What is left is reported: no requests; the tokens, not limited here, as usual.
    let report = of_kind(&received, "rate_limits.updated")[0];
    let requests = &report["rate_limits"][0];
    assert_eq!(requests["name"], "requests", "{report}");
    assert_eq!(requests["limit"], 1, "{report}");
    assert_eq!(requests["remaining"], 0, "{report}");
    assert_eq!(report["rate_limits"][1]["limit"], 40_000, "{report}");
    assert!(
        stdout.contains("← rate_limits.updated requests=0/1 tokens="),
        "{stdout}"
    );
    assert!(
        stderr
            .contains("Caused by: requests (rate_limit_exceeded): Rate limit reached for requests"),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: see the failed responses above"),
        "{stderr}"
    );
}
