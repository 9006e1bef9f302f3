//! `rtclient send`: provider resolution, input checks, connecting, and streaming against the
//! real local server (in-process, with a script where a test needs chosen replies or tool
//! calls). What the client sent is read back from its own `--record` session log. Runs of the
//! built-in local server are in `local.rs`, failure paths of a faulty server in `faults.rs`.

use std::path::Path;

use predicates::prelude::*;

use crate::testutil::{
    assert_reply_wav, base64_bytes, frame_types, local_server, of_kind, recorded, rtclient,
    run_send, speech,
};

/// `send` options of a turn without VAD at full speed, recorded to `log.jsonl`.
const NO_VAD: &[&str] = &["--vad", "none", "--pace", "max", "--record", "log.jsonl"];

/// `send` options of a tool round: the tool and the answers `write_weather_tool` wrote.
const TOOL_ROUND: &[&str] = &["--tool", "tools.json", "--tool-outputs", "answers.json"];

/// Writes a one-second 16 kHz mono PCM16 WAV tone.
pub(crate) fn write_wav(path: &Path) {
    write_tone(path, 16_000, 1, 1_000);
}

/// Writes a PCM16 WAV tone of `ms` at `rate` with `channels` (the same tone in each).
fn write_tone(path: &Path, rate: u32, channels: u16, ms: u32) {
    let frames: Vec<i16> = (0..rate * ms / 1_000)
        .map(|i| ((i as f32 * 440.0 * std::f32::consts::TAU / rate as f32).sin() * 8000.0) as i16)
        .collect();
    let block = 2 * u32::from(channels);
    let data_len = frames.len() as u32 * block;
    let mut bytes = Vec::new();
    bytes.extend_from_slice(b"RIFF");
    bytes.extend_from_slice(&(36 + data_len).to_le_bytes());
    bytes.extend_from_slice(b"WAVEfmt ");
    bytes.extend_from_slice(&16u32.to_le_bytes());
    bytes.extend_from_slice(&1u16.to_le_bytes()); // PCM
    bytes.extend_from_slice(&channels.to_le_bytes());
    bytes.extend_from_slice(&rate.to_le_bytes());
    bytes.extend_from_slice(&(rate * block).to_le_bytes());
    bytes.extend_from_slice(&(block as u16).to_le_bytes());
    bytes.extend_from_slice(&16u16.to_le_bytes());
    bytes.extend_from_slice(b"data");
    bytes.extend_from_slice(&data_len.to_le_bytes());
    for s in frames {
        for _ in 0..channels {
            bytes.extend_from_slice(&s.to_le_bytes());
        }
    }
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn missing_file_exits_2_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    rtclient(dir.path())
        .args(["send", "missing.wav"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "error: missing.wav: cannot read the input file",
        ))
        .stderr(predicate::str::contains("hint:"));
}

#[test]
fn unsupported_format_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.wav"), "these are not samples").unwrap();
    rtclient(dir.path())
        .args(["send", "notes.wav", "--provider", "local"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "notes.wav: cannot use this input file",
        ));
}

#[test]
fn bad_url_and_options_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    write_wav(&dir.path().join("a.wav"));
    for argv in [
        &["--provider", "ftp://example.invalid/x"][..],
        &["--provider", "somewhere"][..],
        &["--pace", "quickly"][..],
        &["--threshold", "1.5"][..],
        &["--instructions", "@nope.txt"][..],
        &["--tool", "nope.json"][..],
    ] {
        rtclient(dir.path())
            .args(["send", "a.wav"])
            .args(argv)
            .assert()
            .code(2)
            .stderr(predicate::str::starts_with("error: "));
    }
}

/// The README's main job: real speech, no credentials, the built-in local server's model answers
/// and the reply is saved as a playable WAV with its transcript.
#[test]
fn no_credentials_uses_the_local_server_and_saves_the_reply() {
    let dir = tempfile::tempdir().unwrap();
    let clip = speech();
    let clip = clip.to_str().unwrap();
    let out = dir.path().join("out");
    let output = rtclient(dir.path())
        .args(["send", clip, "--pace", "max", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stderr.contains(
            "no OpenAI/Azure credentials found: using the built-in local server at ws://127.0.0.1:"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("replies: SmolLM2-135M-Instruct on llama.cpp"),
        "{stderr}"
    );
    for event in [
        "input_audio_buffer.speech_started",
        "input_audio_buffer.speech_stopped",
        "input_audio_buffer.committed",
        "response.output_audio.delta",
    ] {
        assert!(stdout.contains(event), "no {event} in\n{stdout}");
    }
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("← response.done") && l.contains("completed")),
        "{stdout}"
    );

    // The completed reply: a transcript and a non-silent 24 kHz mono PCM16 WAV.
    let transcripts: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    assert!(
        !transcripts.is_empty(),
        "no transcript in {}",
        out.display()
    );
    for txt in transcripts {
        let text = std::fs::read_to_string(&txt).unwrap();
        // The local server heard the speech (Moonshine) and the local model answered it in
        // words of its own, not by echoing them.
        assert!(
            !text.trim().is_empty() && !text.starts_with("I heard"),
            "{text}"
        );
        assert_reply_wav(&txt.with_extension("wav"));
    }
}

#[test]
fn provider_openai_without_key_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    write_wav(&dir.path().join("a.wav"));
    rtclient(dir.path())
        .args(["send", "a.wav", "--provider", "openai"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("OPENAI_API_KEY is not set"));
}

#[test]
fn unreachable_host_exits_3_and_never_shows_the_key() {
    let dir = tempfile::tempdir().unwrap();
    write_wav(&dir.path().join("a.wav"));
    let key = "sk-fake-never-print-0123456789";
    let assert = rtclient(dir.path())
        .args([
            "-v",
            "send",
            "a.wav",
            "--provider",
            "openai",
            "--endpoint",
            "http://127.0.0.1:9",
        ])
        .env("OPENAI_API_KEY", key)
        .assert()
        .code(3)
        .stderr(predicate::str::contains(
            "provider openai: ws://127.0.0.1:9/v1/realtime?model=gpt-realtime",
        ));
    let out = assert.get_output();
    assert!(!String::from_utf8_lossy(&out.stdout).contains(key));
    assert!(!String::from_utf8_lossy(&out.stderr).contains(key));

    // The same from a .env file, Azure preview: beta dialect.
    std::fs::write(
        dir.path().join(".env"),
        "AZURE_OPENAI_ENDPOINT=http://127.0.0.1:9\nAZURE_OPENAI_API_KEY=az-fake-key-xyz\nAZURE_OPENAI_DEPLOYMENT=dep\nAZURE_OPENAI_API_VERSION=2024-10-01-preview\n",
    )
    .unwrap();
    let assert = rtclient(dir.path())
        .args(["send", "a.wav"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("provider azure: ws://127.0.0.1:9/openai/realtime?api-version=2024-10-01-preview&deployment=dep (beta dialect)"))
        .stderr(predicate::str::contains("error: could not connect to 127.0.0.1:9"))
        .stderr(predicate::str::contains("hint:"));
    let out = assert.get_output();
    assert!(!String::from_utf8_lossy(&out.stderr).contains("az-fake-key-xyz"));
}

const HELLO: &str = "rules:\n  - say: \"Hello Hello\"\n";

#[tokio::test(flavor = "multi_thread")]
async fn vad_off_streams_saves_records_and_inspects() {
    let dir = tempfile::tempdir().unwrap();
    write_wav(&dir.path().join("a.wav"));
    let url = local_server(HELLO).await;
    let (code, stdout, stderr) = run_send(
        dir.path(),
        &[&["a.wav", "--out", "out"], NO_VAD].concat(),
        &url,
    )
    .await;
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(stderr.contains("1 response (0 failed)"), "{stderr}");

    // What the client sent: the session first, the audio, then one commit and one request.
    let log = dir.path().join("log.jsonl");
    let sent = recorded(&log, "sent");
    let kinds = frame_types(&sent);
    assert_eq!(kinds.first(), Some(&"session.update"), "{kinds:?}");
    assert!(
        kinds
            .iter()
            .filter(|k| **k == "input_audio_buffer.append")
            .count()
            >= 10,
        "{kinds:?}"
    );
    assert!(
        kinds.ends_with(&["input_audio_buffer.commit", "response.create"]),
        "{kinds:?}"
    );

    // The reply as the server sent it, printed as one coalesced line and saved whole.
    let received = recorded(&log, "received");
    let done = of_kind(&received, "response.done");
    assert_eq!(done.len(), 1, "{stdout}");
    assert_eq!(done[0]["response"]["status"], "completed");
    let response = done[0]["response"]["id"].as_str().unwrap();
    let deltas = of_kind(&received, "response.output_audio.delta");
    let item = deltas[0]["item_id"].as_str().unwrap();
    let bytes = base64_bytes(&deltas, "delta");
    assert!(bytes > 0);
    assert!(
        stdout.contains(&format!(
            "← response.output_audio.delta {response} {item} ×{} {bytes} B",
            deltas.len()
        )),
        "{stdout}"
    );
    assert!(stdout.contains("\"Hello Hello\""), "{stdout}");
    assert_eq!(
        assert_reply_wav(&dir.path().join(format!("out/{item}.wav"))),
        bytes
    );
    let text = std::fs::read_to_string(dir.path().join(format!("out/{item}.txt"))).unwrap();
    assert_eq!(text.trim(), "Hello Hello");

    rtclient(dir.path())
        .args(["inspect", "--strict", "log.jsonl"])
        .assert()
        .success()
        .stdout(predicate::str::contains("→ session.update"))
        .stdout(predicate::str::contains("→ input_audio_buffer.append ×"))
        .stdout(predicate::str::contains(format!(
            "← response.done {response} completed"
        )));
}

#[tokio::test(flavor = "multi_thread")]
async fn vad_on_waits_for_the_turn_and_json_is_jsonl() {
    let dir = tempfile::tempdir().unwrap();
    let url = local_server(HELLO).await;
    let clip = speech();
    let clip = clip.to_str().unwrap();
    let (code, stdout, stderr) = run_send(
        dir.path(),
        &[
            clip,
            "--json",
            "--pace",
            "max",
            "--silence-ms",
            "500",
            "--record",
            "log.jsonl",
        ],
        &url,
    )
    .await;
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let events: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let types = frame_types(&events);
    assert_eq!(types.first(), Some(&"session.created"), "{types:?}");
    // The server took the VAD settings the client asked for.
    let updated = of_kind(&events, "session.updated");
    let vad = &updated[0]["session"]["audio"]["input"]["turn_detection"];
    assert_eq!(vad["type"], "server_vad", "{vad}");
    assert_eq!(vad["silence_duration_ms"], 500, "{vad}");
    // The server detected the turn and answered it; the client waited for that answer.
    let stopped = types
        .iter()
        .position(|t| *t == "input_audio_buffer.speech_stopped")
        .unwrap_or_else(|| panic!("no speech_stopped in {types:?}"));
    let done = types.iter().rposition(|t| *t == "response.done").unwrap();
    assert!(stopped < done, "{types:?}");
    assert_eq!(events[done]["response"]["status"], "completed");
    assert!(
        types[done + 1..]
            .iter()
            .all(|t| *t == "rate_limits.updated"),
        "{types:?}"
    );
    assert!(stderr.contains("latency to first audio"), "{stderr}");
    // VAD on: the server ends turns and starts responses, so the client sends neither.
    let sent = recorded(&dir.path().join("log.jsonl"), "sent");
    let kinds = frame_types(&sent);
    assert!(!kinds.contains(&"input_audio_buffer.commit"), "{kinds:?}");
    assert!(!kinds.contains(&"response.create"), "{kinds:?}");
    let last_audio = of_kind(&events, "response.output_audio.delta");
    let item = last_audio.last().unwrap()["item_id"].as_str().unwrap();
    assert!(
        dir.path()
            .join(format!("rtclient-out/{item}.wav"))
            .is_file()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn stereo_44k1_input_is_sent_as_24k_mono() {
    let dir = tempfile::tempdir().unwrap();
    write_tone(&dir.path().join("stereo.wav"), 44_100, 2, 1_000);
    let url = local_server("").await;
    let (code, stdout, stderr) =
        run_send(dir.path(), &[&["stereo.wav"], NO_VAD].concat(), &url).await;
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    // One second of 24 kHz mono PCM16 is 48,000 bytes, whatever the input layout.
    let log = dir.path().join("log.jsonl");
    let sent = recorded(&log, "sent");
    assert_eq!(
        base64_bytes(&of_kind(&sent, "input_audio_buffer.append"), "audio"),
        48_000
    );
    // The server heard it as one second of audio too.
    let received = recorded(&log, "received");
    let said = of_kind(&received, "response.output_audio_transcript.done");
    assert_eq!(said.len(), 1, "{stdout}");
    assert_eq!(said[0]["transcript"], "You spoke for 1.0 seconds.");
}

/// Any turn calls the tool (an audio turn has no transcript to match); the tool's result is
/// answered in words.
const WEATHER: &str = r#"
rules:
  - after_tool: get_weather
    say: "It is {output} in Paris."
  - call: get_weather
    arguments: {"city": "Paris"}
"#;

/// Writes `tools.json` (a `get_weather` tool) and `answers.json` (its output) into `dir`.
fn write_weather_tool(dir: &Path) {
    std::fs::write(
        dir.join("tools.json"),
        r#"[{"type":"function","name":"get_weather","description":"Weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}]"#,
    )
    .unwrap();
    std::fs::write(dir.join("answers.json"), r#"{"get_weather":"Sunny, 20 C"}"#).unwrap();
}

/// The `response.create` frames sent and `response.done` frames received, in log order.
fn turns(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|r| {
            (r["dir"] == "sent" && r["frame"]["type"] == "response.create")
                || (r["dir"] == "received" && r["frame"]["type"] == "response.done")
        })
        .map(|r| r["frame"]["type"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn function_calls_are_answered_from_tool_outputs() {
    let dir = tempfile::tempdir().unwrap();
    write_wav(&dir.path().join("a.wav"));
    write_weather_tool(dir.path());
    let url = local_server(WEATHER).await;
    let (code, stdout, stderr) =
        run_send(dir.path(), &[&["a.wav"], NO_VAD, TOOL_ROUND].concat(), &url).await;
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(stderr.contains("2 responses (0 failed)"), "{stderr}");
    let log = dir.path().join("log.jsonl");
    let received = recorded(&log, "received");
    let call = of_kind(&received, "response.function_call_arguments.done");
    assert_eq!(call.len(), 1, "{stdout}");
    assert_eq!(call[0]["name"], "get_weather");
    assert_eq!(call[0]["arguments"], r#"{"city":"Paris"}"#);
    let call_id = call[0]["call_id"].as_str().unwrap();
    assert!(
        stdout.contains(&format!("function_call get_weather {call_id}")),
        "{stdout}"
    );

    // The tool was offered, and the call answered from --tool-outputs with a new response.
    let sent = recorded(&log, "sent");
    assert_eq!(sent[0]["type"], "session.update");
    assert_eq!(sent[0]["session"]["tools"][0]["name"], "get_weather");
    let kinds = frame_types(&sent);
    assert!(
        kinds.ends_with(&[
            "response.create",
            "conversation.item.create",
            "response.create"
        ]),
        "{kinds:?}"
    );
    let output = &sent[sent.len() - 2]["item"];
    assert_eq!(output["type"], "function_call_output");
    assert_eq!(output["call_id"], call_id);
    assert_eq!(output["output"], "Sunny, 20 C");

    // The server read the output: the second reply says it.
    let said = of_kind(&received, "response.output_audio_transcript.done");
    assert_eq!(said.len(), 1, "{stdout}");
    assert_eq!(said[0]["transcript"], "It is Sunny, 20 C in Paris.");
    assert!(
        stdout.contains("\"It is Sunny, 20 C in Paris.\""),
        "{stdout}"
    );
    let item = said[0]["item_id"].as_str().unwrap();
    assert!(
        dir.path()
            .join(format!("rtclient-out/{item}.wav"))
            .is_file()
    );
}

/// With VAD off each file is a turn; the next turn's `response.create` waits for the previous
/// response, which the service would refuse while it is in progress.
#[tokio::test(flavor = "multi_thread")]
async fn vad_off_files_take_turns_one_response_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    write_wav(&dir.path().join("a.wav"));
    write_tone(&dir.path().join("b.wav"), 16_000, 1, 2_000);
    let url = local_server("").await;
    let (code, stdout, stderr) =
        run_send(dir.path(), &[&["a.wav", "b.wav"], NO_VAD].concat(), &url).await;
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("2 responses (0 failed), 0 errors"),
        "{stderr}"
    );
    let log = dir.path().join("log.jsonl");
    assert_eq!(
        turns(&log),
        [
            "response.create",
            "response.done",
            "response.create",
            "response.done"
        ]
    );
    // Each file was answered in turn.
    let received = recorded(&log, "received");
    let said: Vec<&str> = of_kind(&received, "response.output_audio_transcript.done")
        .iter()
        .map(|f| f["transcript"].as_str().unwrap())
        .collect();
    assert_eq!(
        said,
        ["You spoke for 1.0 seconds.", "You spoke for 2.0 seconds."]
    );
}

/// Each file's tool round (the call, its answer, the reply) ends before the next file's turn.
#[tokio::test(flavor = "multi_thread")]
async fn tool_rounds_of_several_files_take_turns() {
    let dir = tempfile::tempdir().unwrap();
    write_wav(&dir.path().join("a.wav"));
    write_wav(&dir.path().join("b.wav"));
    write_weather_tool(dir.path());
    let url = local_server(WEATHER).await;
    let (code, stdout, stderr) = run_send(
        dir.path(),
        &[&["a.wav", "b.wav"], NO_VAD, TOOL_ROUND].concat(),
        &url,
    )
    .await;
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("4 responses (0 failed), 0 errors"),
        "{stderr}"
    );
    let log = dir.path().join("log.jsonl");
    assert_eq!(turns(&log), ["response.create", "response.done"].repeat(4));
    let sent = recorded(&log, "sent");
    assert_eq!(of_kind(&sent, "conversation.item.create").len(), 2);
    let received = recorded(&log, "received");
    let said: Vec<&str> = of_kind(&received, "response.output_audio_transcript.done")
        .iter()
        .map(|f| f["transcript"].as_str().unwrap())
        .collect();
    assert_eq!(said, ["It is Sunny, 20 C in Paris."; 2]);
}

#[test]
fn ctrl_c_stops_cleanly_with_exit_1() {
    use std::io::{BufRead, BufReader, Read};
    use std::process::{Command, Stdio};

    let dir = tempfile::tempdir().unwrap();
    write_wav(&dir.path().join("a.wav"));
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("rtclient"))
        .args(["send", "a.wav", "--pace", "max", "--provider", "local"])
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    // The engine notes come first, then the line naming the server.
    let mut head = String::new();
    for _ in 0..10 {
        stderr.read_line(&mut head).unwrap();
        if head.contains("using the built-in local server") {
            break;
        }
    }
    assert!(head.contains("using the built-in local server"), "{head}");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    assert_eq!(status.code(), Some(1), "{rest}");
    assert!(rest.contains("error: interrupted"), "{rest}");
}

/// A service `error` event (here the real server rejecting the commit of too little audio) is
/// printed and ends `send` with exit 1 once the service goes quiet.
#[tokio::test(flavor = "multi_thread")]
async fn service_error_event_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    write_tone(&dir.path().join("short.wav"), 16_000, 1, 50);
    let url = local_server("").await;
    let (code, stdout, stderr) =
        run_send(dir.path(), &[&["short.wav"], NO_VAD].concat(), &url).await;
    assert_eq!(code, Some(1), "{stdout}\n{stderr}");
    let sent = recorded(&dir.path().join("log.jsonl"), "sent");
    let commit = of_kind(&sent, "input_audio_buffer.commit");
    let commit_id = commit[0]["event_id"].as_str().unwrap();
    assert!(
        stdout.contains(
            "← error invalid_request_error input_audio_buffer_commit_empty \"Error committing input audio buffer: buffer too small."
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("caused_by={commit_id}")),
        "{stdout}"
    );
    assert!(
        stderr.contains("error: the service reported 1 error and 0 failed responses"),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: see the error events above"),
        "{stderr}"
    );
}
