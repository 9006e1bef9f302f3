//! `rtclient inspect`: recorded cassettes, the corpus, crafted bad logs, `--json`.

use predicates::prelude::*;

use crate::testutil::{rtclient, testdata};

#[test]
fn every_recorded_cassette_is_strictly_clean() {
    let dir = tempfile::tempdir().unwrap();
    let mut seen = 0;
    for entry in std::fs::read_dir(testdata().join("recorded")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        rtclient(dir.path())
            .args(["inspect", "--strict"])
            .arg(&path)
            .assert()
            .success()
            .stdout(predicate::str::contains("session.update"));
        seen += 1;
    }
    assert_eq!(seen, 10);
}

#[test]
fn corpus_is_strictly_clean_and_coalesced() {
    let dir = tempfile::tempdir().unwrap();
    for (file, dialect) in [("events_ga.jsonl", "GA"), ("events_beta.jsonl", "beta")] {
        let assert = rtclient(dir.path())
            .args(["inspect", "--strict"])
            .arg(testdata().join("corpus").join(file))
            .assert()
            .success()
            .stderr(predicate::str::contains(format!("{dialect} dialect")));
        let out = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
        let lines = out.lines().count();
        assert!(lines > 10, "{out}");
        // ~500 frames, mostly audio deltas: coalescing leaves far fewer lines.
        assert!(lines < 300, "{lines} lines");
        assert!(out.contains("response.output_audio.delta"), "{out}");
    }
}

#[test]
fn beta_cassette_is_printed_with_ga_names() {
    let dir = tempfile::tempdir().unwrap();
    rtclient(dir.path())
        .arg("inspect")
        .arg(testdata().join("recorded/beta-openai-text-in-audio-out.yaml"))
        .assert()
        .success()
        .stdout(predicate::str::contains("← response.output_audio.delta"))
        .stdout(predicate::str::contains("\"Hi there, friend!\""));
}

const SESSION_LOG: &str = r#"{"t":0.0,"dir":"received","frame":{"type":"session.created","event_id":"e1","session":{"type":"realtime","id":"sess_1","model":"gpt-realtime"}}}
{"t":0.01,"dir":"sent","frame":{"type":"input_audio_buffer.append","audio":"AAAA"}}
{"t":0.02,"dir":"sent","frame":{"type":"input_audio_buffer.append","audio":"AAAA"}}
{"t":0.03,"dir":"sent","frame":{"type":"input_audio_buffer.commit"}}
"#;

#[test]
fn session_log_is_read_with_directions() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.jsonl"), SESSION_LOG).unwrap();
    rtclient(dir.path())
        .args(["inspect", "--strict", "s.jsonl"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "← session.created sess_1 model=gpt-realtime",
        ))
        .stdout(predicate::str::contains(
            "→ input_audio_buffer.append ×2 6 B",
        ))
        .stdout(predicate::str::contains("→ input_audio_buffer.commit"));
}

#[test]
fn unknown_event_fails_strict_naming_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let log = format!(
        "{SESSION_LOG}{}\n",
        r#"{"t":0.5,"dir":"received","frame":{"type":"response.hologram.delta","event_id":"e9"}}"#
    );
    std::fs::write(dir.path().join("u.jsonl"), log).unwrap();
    rtclient(dir.path())
        .args(["inspect", "--strict", "u.jsonl"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("error: 1 of 5 frames"))
        .stderr(predicate::str::contains(
            "line 5: response.hologram.delta is not a known event type",
        ));
    // Without --strict it is printed, with a warning, and the command succeeds.
    rtclient(dir.path())
        .args(["inspect", "u.jsonl"])
        .assert()
        .success()
        .stdout(predicate::str::contains("response.hologram.delta"))
        .stderr(predicate::str::contains("warning: line 5"));
}

#[test]
fn invalid_frames_fail_strict_naming_each_line() {
    let dir = tempfile::tempdir().unwrap();
    let log = concat!(
        r#"{"type":"input_audio_buffer.commit"}"#,
        "\n",
        r#"{"type":"conversation.item.truncate","item_id":"i","content_index":0,"audio_end_ms":"soon"}"#,
        "\n",
        "this is not json\n",
        r#"{"type":"response.create"}"#,
        "\n",
    );
    std::fs::write(dir.path().join("bad.jsonl"), log).unwrap();
    rtclient(dir.path())
        .args(["inspect", "--strict", "bad.jsonl"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "line 2: conversation.item.truncate does not parse",
        ))
        .stderr(predicate::str::contains("line 3: ? not JSON"))
        .stderr(predicate::str::contains("line 1:").not())
        .stderr(predicate::str::contains("line 4:").not());
}

#[test]
fn json_output_is_valid_jsonl() {
    let dir = tempfile::tempdir().unwrap();
    let assert = rtclient(dir.path())
        .args(["inspect", "--json"])
        .arg(testdata().join("recorded/ga-openai-tool-call-round.yaml"))
        .assert()
        .success();
    let out = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    let mut n = 0;
    for line in out.lines() {
        let value: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(value["type"].is_string(), "{line}");
        assert_eq!(value["ok"], true, "{line}");
        assert!(value["frame"].is_object(), "{line}");
        n += 1;
    }
    assert!(n > 20, "{n}");
}

#[test]
fn missing_and_unsupported_logs_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    rtclient(dir.path())
        .args(["inspect", "nope.jsonl"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "error: nope.jsonl: cannot read the log",
        ))
        .stderr(predicate::str::contains("hint:"));
    std::fs::write(dir.path().join("notes.txt"), "hello: world\n").unwrap();
    rtclient(dir.path())
        .args(["inspect", "notes.txt"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a log this command reads"));
    std::fs::write(dir.path().join("empty.jsonl"), "\n").unwrap();
    rtclient(dir.path())
        .args(["inspect", "empty.jsonl"])
        .assert()
        .code(2);
}

#[test]
fn inspect_reads_the_recorded_live_session_strictly() {
    let dir = tempfile::tempdir().unwrap();
    let log = crate::testutil::testdata().join("recorded/live-openai-client-delegation.jsonl");
    let output = crate::testutil::rtclient(dir.path())
        .args(["inspect", "--strict"])
        .arg(&log)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stderr.contains("26 frames, GPT-Live"), "{stderr}");
    assert!(stdout.contains("← session.delegation.created"), "{stdout}");
    assert!(
        stdout.contains("6.603s"),
        "timestamps from the recorder's ms: {stdout}"
    );
}
