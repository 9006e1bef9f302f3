//! `rtclient send` end to end against the real local server: the one `send` starts in-process
//! without credentials, and `rtclient serve` with an API key.

use std::path::{Path, PathBuf};
use std::process::Command;

use rtclient::{Dialect, ServerEvent};

use crate::testutil::{assert_reply_wav, rtclient, speech};

/// Runs a tool, failing the test with a pointer to `scripts/setup` if it is missing or fails.
fn run_tool(tool: &str, args: &[&str]) {
    let out = Command::new(tool).args(args).output().unwrap_or_else(|e| {
        panic!("cannot run `{tool}` ({e}): this test needs espeak-ng and sox; run scripts/setup")
    });
    assert!(
        out.status.success(),
        "`{tool} {}` failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs `rtclient send` with `args` (no credentials: the in-process local server) in `dir` and
/// returns the exit code, stdout and stderr.
fn send(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let output = rtclient(dir)
        .arg("send")
        .args(["--pace", "max", "--reply-timeout", "30"])
        .args(args)
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Parses `--json` output: every line one event of `dialect` that the protocol crate knows.
fn typed_events(stdout: &str, dialect: Dialect) -> Vec<ServerEvent> {
    stdout
        .lines()
        .map(|line| {
            let event = dialect
                .parse_server_event(line)
                .unwrap_or_else(|e| panic!("not a {dialect:?} event ({e}): {line}"));
            assert!(
                !matches!(event, ServerEvent::Unknown(_)),
                "unknown event: {line}"
            );
            event
        })
        .collect()
}

/// The `type` of every `--json` line.
fn types(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

/// The files of `dir` with extension `ext`.
fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect()
}

#[test]
fn stereo_44k1_flac_of_speech_gets_a_reply() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("speech.wav");
    let flac = dir.path().join("speech.flac");
    run_tool(
        "espeak-ng",
        &[
            "-w",
            wav.to_str().unwrap(),
            "Hello there, this is a short test of the realtime client.",
        ],
    );
    run_tool(
        "sox",
        &[
            wav.to_str().unwrap(),
            "-r",
            "44100",
            "-c",
            "2",
            flac.to_str().unwrap(),
        ],
    );
    let (code, stdout, stderr) = send(dir.path(), &["speech.flac", "--out", "out"]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(stderr.contains("1 response (0 failed)"), "{stderr}");
    // Not a terminal: no progress bar (nor its escape sequences) on stderr.
    assert!(
        !stderr.contains("ms audio") && !stderr.contains('\u{1b}') && !stderr.contains('\r'),
        "{stderr:?}"
    );
    let wavs = files(&dir.path().join("out"), "wav");
    assert_eq!(wavs.len(), 1, "{wavs:?}");
    assert_reply_wav(&wavs[0]);
    let transcript = std::fs::read_to_string(wavs[0].with_extension("txt")).unwrap();
    assert!(!transcript.trim().is_empty(), "empty transcript");
}

#[test]
fn stt_whisper_runs_or_falls_back_to_moonshine_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("speech.wav");
    run_tool(
        "espeak-ng",
        &[
            "-w",
            wav.to_str().unwrap(),
            "Please turn off the lights in the kitchen.",
        ],
    );
    let (code, stdout, stderr) = send(
        dir.path(),
        &[
            "speech.wav",
            "--vad",
            "none",
            "--stt",
            "whisper",
            "--responder",
            "echo",
            "--out",
            "out",
        ],
    );
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    // Whisper when it is built in and installed; else Moonshine, with the reason.
    let whisper = stderr.contains("STT: Whisper base");
    assert!(
        whisper || stderr.contains("STT: Moonshine tiny (English), for every transcription model name, because Whisper cannot start"),
        "{stderr}"
    );
    if !whisper {
        assert!(stderr.contains("--whisper"), "says how to get it: {stderr}");
    }
    let wavs = files(&dir.path().join("out"), "wav");
    assert_eq!(wavs.len(), 1, "{wavs:?}");
    let reply = std::fs::read_to_string(wavs[0].with_extension("txt")).unwrap();
    assert!(
        reply.to_lowercase().contains("lights"),
        "echoes what it heard: {reply}"
    );
}

#[test]
fn every_vad_mode_completes_a_response() {
    for vad in ["none", "server"] {
        let dir = tempfile::tempdir().unwrap();
        let clip = speech();
        let (code, stdout, stderr) = send(
            dir.path(),
            // Echo answers at once, so a slow model on a loaded machine cannot leave the turn
            // unanswered when the next speech cancels it.
            &[
                clip.to_str().unwrap(),
                "--vad",
                vad,
                "--json",
                "--responder",
                "echo",
            ],
        );
        assert_eq!(code, Some(0), "--vad {vad}\n{stdout}\n{stderr}");
        let done = typed_events(&stdout, Dialect::Ga)
            .into_iter()
            .filter_map(|e| match e {
                ServerEvent::ResponseDone(done) => Some(done),
                _ => None,
            })
            .collect::<Vec<_>>();
        // With VAD, speech that goes on may cancel a response (barge-in); none fails and the
        // last one completes.
        let statuses: Vec<String> = done
            .iter()
            .map(|d| serde_json::to_value(&d.response).unwrap()["status"].to_string())
            .collect();
        assert_eq!(
            statuses.last().map(String::as_str),
            Some("\"completed\""),
            "--vad {vad}: {statuses:?}"
        );
        assert!(!statuses.contains(&"\"failed\"".to_owned()), "{statuses:?}");
        if vad == "none" {
            assert_eq!(statuses.len(), 1, "one file, one response: {statuses:?}");
        }
        let kinds = types(&stdout);
        let committed = kinds.contains(&"input_audio_buffer.committed".to_owned());
        assert!(committed, "--vad {vad}: {kinds:?}");
        if vad == "server" {
            assert!(
                kinds.contains(&"input_audio_buffer.speech_stopped".to_owned()),
                "{kinds:?}"
            );
        }
        assert!(!files(&dir.path().join("rtclient-out"), "wav").is_empty());
    }
}

#[test]
fn json_is_typed_jsonl_and_the_record_inspects_strictly() {
    let dir = tempfile::tempdir().unwrap();
    let clip = speech();
    let (code, stdout, stderr) = send(
        dir.path(),
        &[clip.to_str().unwrap(), "--json", "--record", "log.jsonl"],
    );
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let events = typed_events(&stdout, Dialect::Ga);
    assert!(matches!(
        events.first(),
        Some(ServerEvent::SessionCreated(_))
    ));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ServerEvent::ResponseDone(_))),
        "{stdout}"
    );
    assert!(types(&stdout).contains(&"response.output_audio.delta".to_owned()));

    // Every sent frame was recorded with the event_id the typed client gave it.
    let log = std::fs::read_to_string(dir.path().join("log.jsonl")).unwrap();
    let sent: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|r| r["dir"] == "sent")
        .collect();
    assert_eq!(sent[0]["frame"]["type"], "session.update");
    assert!(sent.iter().all(|r| {
        r["frame"]["event_id"]
            .as_str()
            .is_some_and(|id| id.starts_with("evt_"))
    }));
    let received = log.lines().filter(|l| l.contains(r#""dir":"received""#));
    assert_eq!(received.count(), events.len());

    let output = rtclient(dir.path())
        .args(["inspect", "--strict", "log.jsonl"])
        .output()
        .unwrap();
    let inspected = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{inspected}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(inspected.contains("→ session.update"), "{inspected}");
    assert!(inspected.contains("← response.done"), "{inspected}");
}

#[test]
fn beta_dialect_speaks_beta_and_its_record_inspects_strictly() {
    let dir = tempfile::tempdir().unwrap();
    let clip = speech();
    let (code, stdout, stderr) = send(
        dir.path(),
        &[
            clip.to_str().unwrap(),
            "--dialect",
            "beta",
            "--json",
            "--record",
            "beta.jsonl",
        ],
    );
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(stderr.contains("(beta dialect)"), "{stderr}");
    typed_events(&stdout, Dialect::Beta);
    let kinds = types(&stdout);
    assert!(
        kinds.contains(&"response.audio.delta".to_owned()),
        "{kinds:?}"
    );
    assert!(
        !kinds.contains(&"response.output_audio.delta".to_owned()),
        "{kinds:?}"
    );
    assert!(!files(&dir.path().join("rtclient-out"), "wav").is_empty());

    // The recorded beta session: clean under --strict, printed with GA names.
    let output = rtclient(dir.path())
        .args(["inspect", "--strict", "beta.jsonl"])
        .output()
        .unwrap();
    let inspected = String::from_utf8_lossy(&output.stdout);
    let notes = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{inspected}\n{notes}");
    assert!(
        format!("{inspected}{notes}").contains("beta dialect"),
        "{inspected}\n{notes}"
    );
    assert!(
        inspected.contains("← response.output_audio.delta"),
        "{inspected}"
    );
    assert!(inspected.contains("← response.done"), "{inspected}");
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_key_for_rtclient_serve_exits_3_without_showing_it() {
    let right = "sk-right-local-key-314";
    let wrong = "sk-wrong-key-do-not-print-777";
    let (server, url) = crate::serve::spawn(&["--api-key", right]);
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path().to_owned();
    let clip = speech();
    let output = tokio::task::spawn_blocking(move || {
        rtclient(&cwd)
            .args(["send", clip.to_str().unwrap(), "--pace", "max"])
            .args(["--reply-timeout", "10", "--provider", &url])
            .env("RTCLIENT_API_KEY", wrong)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    drop(server);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stdout}\n{stderr}");
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("error: "))
        .collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(errors[0].contains("invalid_api_key"), "{stderr}");
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("hint: ") && l.contains("API key")),
        "{stderr}"
    );
    for text in [&stdout, &stderr] {
        assert!(!text.contains(wrong) && !text.contains(right), "{text}");
    }
}
