//! `rtclient send`: provider resolution, input checks, connecting, and streaming against a
//! scripted server (for what the real local server cannot show: the exact frames sent, a
//! service `error`, function calls). The real server's runs are in `local.rs`.

use std::path::Path;

use predicates::prelude::*;

use crate::testutil::rtclient;

/// Writes a one-second 16 kHz mono PCM16 WAV tone.
fn write_wav(path: &Path) {
    write_wav_with(path, 16_000, 1);
}

/// Writes a one-second PCM16 WAV tone at `rate` with `channels` (the same tone in each).
fn write_wav_with(path: &Path, rate: u32, channels: u16) {
    let frames: Vec<i16> = (0..rate)
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

/// The README's main job: real speech, no credentials, the built-in local server answers and
/// the reply is saved as a playable WAV with its transcript.
#[test]
fn no_credentials_uses_the_local_server_and_saves_the_reply() {
    let dir = tempfile::tempdir().unwrap();
    let clip = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/audio/speech_10s_16k_mono.wav"
    );
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
        assert!(text.starts_with("You spoke for"), "{text}");
        let wav = std::fs::read(txt.with_extension("wav")).unwrap();
        assert_eq!(&wav[0..4], b"RIFF");
        assert_eq!(&wav[8..12], b"WAVE");
        assert_eq!(u16::from_le_bytes([wav[22], wav[23]]), 1, "mono");
        assert_eq!(
            u32::from_le_bytes([wav[24], wav[25], wav[26], wav[27]]),
            24_000
        );
        let peak = wav[44..]
            .chunks_exact(2)
            .map(|s| i16::from_le_bytes([s[0], s[1]]).unsigned_abs())
            .max()
            .unwrap_or(0);
        assert!(peak > 2_000, "reply is silent (peak {peak})");
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

/// Runs `rtclient send ARGS --provider URL` in `dir` on a blocking thread (the scripted server
/// runs on the test's runtime) and returns the exit code, stdout and stderr.
async fn run_send(dir: &Path, args: &[&str], url: &str) -> (Option<i32>, String, String) {
    let cwd = dir.to_owned();
    let mut argv: Vec<String> = std::iter::once("send")
        .chain(args.iter().copied())
        .map(str::to_owned)
        .collect();
    argv.extend(["--provider".to_owned(), url.to_owned()]);
    let output = tokio::task::spawn_blocking(move || rtclient(&cwd).args(&argv).output().unwrap())
        .await
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A scripted Realtime server: answers every `response.create` (and, with `vad`, the eighth
/// appended chunk as a detected turn) with one audio response; returns the frame types it
/// received.
async fn scripted_server(listener: tokio::net::TcpListener, vad: bool) -> Vec<String> {
    scripted_server_with(listener, vad, false).await
}

/// Like [`scripted_server`]; with `tool` the first response is a `get_weather` function call.
async fn scripted_server_with(
    listener: tokio::net::TcpListener,
    vad: bool,
    tool: bool,
) -> Vec<String> {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;

    let (tcp, _) = listener.accept().await.unwrap();
    let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
    let send = |v: serde_json::Value| Message::Text(v.to_string().into());
    ws.send(send(serde_json::json!({"type":"session.created","event_id":"e0","session":{"type":"realtime","id":"sess_1","model":"gpt-realtime"}}))).await.unwrap();
    let pcm: Vec<u8> = (0..4800u32)
        .flat_map(|i| (((i % 50) as i16 - 25) * 400).to_le_bytes())
        .collect();
    let audio = serde_json::from_str::<serde_json::Value>(
        &rtclient_protocol::ClientEvent::append_audio(&pcm)
            .to_json()
            .unwrap(),
    )
    .unwrap()["audio"]
        .clone();
    let mut seen = Vec::new();
    let mut n = 0;
    let mut appends = 0;
    let mut respond = false;
    while let Some(Ok(msg)) = ws.next().await {
        let Message::Text(text) = msg else { continue };
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let kind = v["type"].as_str().unwrap().to_owned();
        seen.push(kind.clone());
        match kind.as_str() {
            "session.update" => {
                ws.send(send(serde_json::json!({"type":"session.updated","event_id":"e1","session":v["session"]}))).await.unwrap();
            }
            "input_audio_buffer.commit" => {
                ws.send(send(serde_json::json!({"type":"input_audio_buffer.committed","event_id":"e2","previous_item_id":null,"item_id":format!("item_in{n}")}))).await.unwrap();
            }
            "input_audio_buffer.append" if vad => {
                appends += 1;
                if appends == 8 {
                    ws.send(send(serde_json::json!({"type":"input_audio_buffer.speech_started","event_id":"s1","audio_start_ms":100,"item_id":"item_in0"}))).await.unwrap();
                    ws.send(send(serde_json::json!({"type":"input_audio_buffer.speech_stopped","event_id":"s2","audio_end_ms":700,"item_id":"item_in0"}))).await.unwrap();
                    ws.send(send(serde_json::json!({"type":"input_audio_buffer.committed","event_id":"s3","previous_item_id":null,"item_id":"item_in0"}))).await.unwrap();
                    respond = true;
                }
            }
            "response.create" => respond = true,
            _ => {}
        }
        if respond && tool && n == 0 {
            respond = false;
            n += 1;
            let call = serde_json::json!({"type":"function_call","id":"item_call","call_id":"call_1","name":"get_weather","arguments":"{\"city\":\"Paris\"}","status":"completed"});
            ws.send(send(serde_json::json!({"type":"response.created","event_id":"f1","response":{"id":"resp_1","object":"realtime.response","status":"in_progress","output":[]}}))).await.unwrap();
            ws.send(send(serde_json::json!({"type":"response.output_item.added","event_id":"f2","response_id":"resp_1","output_index":0,"item":call}))).await.unwrap();
            ws.send(send(serde_json::json!({"type":"response.function_call_arguments.done","event_id":"f3","response_id":"resp_1","item_id":"item_call","output_index":0,"call_id":"call_1","arguments":"{\"city\":\"Paris\"}"}))).await.unwrap();
            ws.send(send(serde_json::json!({"type":"response.done","event_id":"f4","response":{"id":"resp_1","object":"realtime.response","status":"completed","output":[call]}}))).await.unwrap();
        }
        if respond {
            respond = false;
            n += 1;
            let r = format!("resp_{n}");
            let i = format!("item_out{n}");
            let base =
                serde_json::json!({"response_id":r,"item_id":i,"output_index":0,"content_index":0});
            let with = |kind: &str, extra: serde_json::Value| {
                let mut v = base.clone();
                v["type"] = kind.into();
                v["event_id"] = "ev".into();
                for (k, x) in extra.as_object().unwrap() {
                    v[k] = x.clone();
                }
                send(v)
            };
            ws.send(send(serde_json::json!({"type":"response.created","event_id":"e3","response":{"id":r,"object":"realtime.response","status":"in_progress","output":[]}}))).await.unwrap();
            for _ in 0..2 {
                ws.send(with(
                    "response.output_audio.delta",
                    serde_json::json!({"delta":audio}),
                ))
                .await
                .unwrap();
                ws.send(with(
                    "response.output_audio_transcript.delta",
                    serde_json::json!({"delta":"Hello "}),
                ))
                .await
                .unwrap();
            }
            ws.send(with("response.output_audio.done", serde_json::json!({})))
                .await
                .unwrap();
            ws.send(with(
                "response.output_audio_transcript.done",
                serde_json::json!({"transcript":"Hello Hello"}),
            ))
            .await
            .unwrap();
            ws.send(send(serde_json::json!({"type":"response.done","event_id":"e4","response":{"id":r,"object":"realtime.response","status":"completed","output":[],"usage":{"total_tokens":30,"input_tokens":10,"output_tokens":20}}}))).await.unwrap();
        }
    }
    seen
}

#[tokio::test(flavor = "multi_thread")]
async fn vad_off_streams_saves_records_and_inspects() {
    let dir = tempfile::tempdir().unwrap();
    write_wav(&dir.path().join("a.wav"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "ws://{}/v1/realtime?model=m",
        listener.local_addr().unwrap()
    );
    let server = tokio::spawn(scripted_server(listener, false));
    let (code, stdout, stderr) = run_send(
        dir.path(),
        &[
            "a.wav",
            "--vad",
            "none",
            "--pace",
            "max",
            "--out",
            "out",
            "--record",
            "log.jsonl",
        ],
        &url,
    )
    .await;
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("← response.output_audio.delta resp_1 item_out1 ×2 19200 B"),
        "{stdout}"
    );
    assert!(stdout.contains("\"Hello Hello \""), "{stdout}");
    assert!(stderr.contains("1 responses (0 failed)"), "{stderr}");
    let seen = server.await.unwrap();
    assert_eq!(seen.first().map(String::as_str), Some("session.update"));
    assert!(
        seen.iter()
            .filter(|k| *k == "input_audio_buffer.append")
            .count()
            >= 10
    );
    assert!(
        seen.ends_with(&[
            "input_audio_buffer.commit".to_owned(),
            "response.create".to_owned()
        ]),
        "{seen:?}"
    );

    let wav = std::fs::read(dir.path().join("out/item_out1.wav")).unwrap();
    assert_eq!(&wav[..4], b"RIFF");
    assert_eq!(&wav[8..12], b"WAVE");
    assert_eq!(wav.len(), 44 + 19_200);
    assert!(wav[44..].iter().any(|&b| b != 0));
    let text = std::fs::read_to_string(dir.path().join("out/item_out1.txt")).unwrap();
    assert_eq!(text.trim(), "Hello Hello");

    rtclient(dir.path())
        .args(["inspect", "--strict", "log.jsonl"])
        .assert()
        .success()
        .stdout(predicate::str::contains("→ session.update"))
        .stdout(predicate::str::contains("→ input_audio_buffer.append ×"))
        .stdout(predicate::str::contains("← response.done resp_1 completed"));
}

#[tokio::test(flavor = "multi_thread")]
async fn vad_on_waits_for_the_turn_and_json_is_jsonl() {
    let dir = tempfile::tempdir().unwrap();
    write_wav(&dir.path().join("a.wav"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "ws://{}/v1/realtime?model=m",
        listener.local_addr().unwrap()
    );
    let server = tokio::spawn(scripted_server(listener, true));
    let (code, stdout, stderr) = run_send(
        dir.path(),
        &["a.wav", "--json", "--pace", "max", "--silence-ms", "500"],
        &url,
    )
    .await;
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let types: Vec<String> = stdout
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(types.first().map(String::as_str), Some("session.created"));
    assert!(
        types.contains(&"input_audio_buffer.speech_stopped".to_owned()),
        "{types:?}"
    );
    assert_eq!(types.last().map(String::as_str), Some("response.done"));
    assert!(stderr.contains("latency to first audio"), "{stderr}");
    let seen = server.await.unwrap();
    assert!(
        !seen.contains(&"input_audio_buffer.commit".to_owned()),
        "{seen:?}"
    );
    assert!(!seen.contains(&"response.create".to_owned()), "{seen:?}");
    assert!(dir.path().join("rtclient-out/item_out1.wav").is_file());
}

#[tokio::test(flavor = "multi_thread")]
async fn stereo_44k1_input_is_sent_as_24k_mono() {
    let dir = tempfile::tempdir().unwrap();
    write_wav_with(&dir.path().join("stereo.wav"), 44_100, 2);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "ws://{}/v1/realtime?model=m",
        listener.local_addr().unwrap()
    );
    let server = tokio::spawn(scripted_server(listener, false));
    let (code, _, stderr) = run_send(
        dir.path(),
        &[
            "stereo.wav",
            "--vad",
            "none",
            "--pace",
            "max",
            "--record",
            "log.jsonl",
        ],
        &url,
    )
    .await;
    assert_eq!(code, Some(0), "{stderr}");
    server.await.unwrap();
    // One second of 24 kHz mono PCM16 is 48,000 bytes, whatever the input layout.
    let log = std::fs::read_to_string(dir.path().join("log.jsonl")).unwrap();
    let mut bytes = 0;
    for line in log.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        if v["dir"] == "sent" && v["frame"]["type"] == "input_audio_buffer.append" {
            let b64 = v["frame"]["audio"].as_str().unwrap();
            bytes += b64.len() / 4 * 3 - b64.bytes().rev().take_while(|&c| c == b'=').count();
        }
    }
    assert_eq!(bytes, 48_000);
}

#[tokio::test(flavor = "multi_thread")]
async fn function_calls_are_answered_from_tool_outputs() {
    let dir = tempfile::tempdir().unwrap();
    write_wav(&dir.path().join("a.wav"));
    std::fs::write(
        dir.path().join("tools.json"),
        r#"[{"type":"function","name":"get_weather","description":"Weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}]"#,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("answers.json"),
        r#"{"get_weather":"Sunny, 20 C"}"#,
    )
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "ws://{}/v1/realtime?model=m",
        listener.local_addr().unwrap()
    );
    let server = tokio::spawn(scripted_server_with(listener, false, true));
    let (code, stdout, stderr) = run_send(
        dir.path(),
        &[
            "a.wav",
            "--vad",
            "none",
            "--pace",
            "max",
            "--tool",
            "tools.json",
            "--tool-outputs",
            "answers.json",
            "--record",
            "log.jsonl",
        ],
        &url,
    )
    .await;
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("function_call get_weather call_1"),
        "{stdout}"
    );
    assert!(stderr.contains("2 responses (0 failed)"), "{stderr}");
    let seen = server.await.unwrap();
    let tail: Vec<&str> = seen
        .iter()
        .rev()
        .take(3)
        .rev()
        .map(String::as_str)
        .collect();
    assert_eq!(
        tail,
        [
            "response.create",
            "conversation.item.create",
            "response.create"
        ],
        "{seen:?}"
    );
    let log = std::fs::read_to_string(dir.path().join("log.jsonl")).unwrap();
    assert!(log.contains(r#""output":"Sunny, 20 C""#), "{log}");
    assert!(
        log.contains(r#""name":"get_weather""#),
        "the tool definition is sent"
    );
    assert!(dir.path().join("rtclient-out/item_out2.wav").is_file());
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
    let mut first = String::new();
    stderr.read_line(&mut first).unwrap();
    assert!(first.contains("using the built-in local server"), "{first}");
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

/// A service `error` event (which the local server does not send for a well-formed session)
/// is printed and ends `send` with exit 1 once the service goes quiet.
#[tokio::test(flavor = "multi_thread")]
async fn service_error_event_exits_1() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;

    let dir = tempfile::tempdir().unwrap();
    write_wav(&dir.path().join("a.wav"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "ws://{}/v1/realtime?model=m",
        listener.local_addr().unwrap()
    );
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
        let created = serde_json::json!({"type":"session.created","event_id":"e0","session":{"type":"realtime","id":"sess_1","model":"gpt-realtime"}});
        ws.send(Message::Text(created.to_string().into()))
            .await
            .unwrap();
        while let Some(Ok(message)) = ws.next().await {
            let Message::Text(text) = message else {
                continue;
            };
            let frame: serde_json::Value = serde_json::from_str(&text).unwrap();
            if frame["type"] == "input_audio_buffer.commit" {
                let error = serde_json::json!({"type":"error","event_id":"e1","error":{"type":"invalid_request_error","code":"input_audio_buffer_commit_empty","message":"Error committing input audio buffer: buffer too small.","event_id":frame["event_id"]}});
                ws.send(Message::Text(error.to_string().into()))
                    .await
                    .unwrap();
            }
        }
    });
    let (code, stdout, stderr) = run_send(
        dir.path(),
        &["a.wav", "--vad", "none", "--pace", "max"],
        &url,
    )
    .await;
    server.abort();
    assert_eq!(code, Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("← error invalid_request_error input_audio_buffer_commit_empty"),
        "{stdout}"
    );
    assert!(
        stderr.contains("error: the service reported 1 errors and 0 failed responses"),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: see the error events above"),
        "{stderr}"
    );
}
