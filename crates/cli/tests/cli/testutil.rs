//! Shared helpers.

use std::path::PathBuf;

use assert_cmd::Command;

/// The repository's `testdata/` folder.
pub(crate) fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

/// The 10 s speech clip of `testdata/audio`, for turns the server's VAD must detect.
pub(crate) fn speech() -> PathBuf {
    testdata().join("audio/speech_10s_16k_mono.wav")
}

/// `rtclient` with a clean environment: no provider variables, no colour, run in a temporary
/// directory so no `.env` is found.
pub(crate) fn rtclient(dir: &std::path::Path) -> Command {
    let mut cmd = Command::cargo_bin("rtclient").unwrap();
    for name in [
        "OPENAI_API_KEY",
        "OPENAI_MODEL",
        "AZURE_OPENAI_ENDPOINT",
        "AZURE_OPENAI_API_KEY",
        "AZURE_OPENAI_DEPLOYMENT",
        "AZURE_OPENAI_API_VERSION",
        "RTCLIENT_API_KEY",
        "RTCLIENT_SERVER_API_KEY",
        "RUST_LOG",
    ] {
        cmd.env_remove(name);
    }
    cmd.env("NO_COLOR", "1").current_dir(dir);
    cmd
}

/// Starts the real Realtime server in-process on an ephemeral loopback port, replying by the
/// YAML `script` (the default replies when it is empty) with no pacing of its output, and
/// returns the URL to pass as `--provider`. The server runs on the test's runtime until the
/// test ends.
pub(crate) async fn local_server(script: &str) -> String {
    use rtclient_audio::Pace;
    use rtclient_server::Script;
    use rtclient_server::{RealtimeSession, Serve, ServerConfig, ServerState};

    let mut session = RealtimeSession::new().pace(Pace::Max);
    if !script.is_empty() {
        session = session.script(Script::from_yaml(script).unwrap());
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let serve = Serve::new(
        listener,
        ServerState::with_handler(ServerConfig::default(), session),
    );
    let addr = serve.local_addr().unwrap();
    tokio::spawn(std::future::IntoFuture::into_future(serve));
    format!("ws://{addr}/v1/realtime?model=gpt-realtime")
}

/// Runs `rtclient send ARGS --provider URL` in `dir` on a blocking thread (so a server on the
/// test's runtime keeps running) and returns the exit code, stdout and stderr.
pub(crate) async fn run_send(
    dir: &std::path::Path,
    args: &[&str],
    url: &str,
) -> (Option<i32>, String, String) {
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

/// The frames of a `--record` session log that went in direction `dir` (`sent` or
/// `received`).
pub(crate) fn recorded(log: &std::path::Path, dir: &str) -> Vec<serde_json::Value> {
    std::fs::read_to_string(log)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
        .filter(|record| record["dir"] == dir)
        .map(|record| record["frame"].clone())
        .collect()
}

/// The `type` of each frame.
pub(crate) fn frame_types(frames: &[serde_json::Value]) -> Vec<&str> {
    frames
        .iter()
        .map(|frame| frame["type"].as_str().unwrap())
        .collect()
}

/// The frames of `kind` among `frames`.
pub(crate) fn of_kind<'a>(
    frames: &'a [serde_json::Value],
    kind: &str,
) -> Vec<&'a serde_json::Value> {
    frames.iter().filter(|f| f["type"] == kind).collect()
}

/// The decoded bytes of the base64 `field` of each of `frames`, added up.
pub(crate) fn base64_bytes(frames: &[&serde_json::Value], field: &str) -> usize {
    frames
        .iter()
        .map(|f| {
            let b64 = f[field].as_str().unwrap();
            b64.len() / 4 * 3 - b64.bytes().rev().take_while(|&c| c == b'=').count()
        })
        .sum()
}

/// Asserts `path` is a non-silent 24 kHz mono PCM16 WAV; returns its bytes of samples.
pub(crate) fn assert_reply_wav(path: &std::path::Path) -> usize {
    let wav = std::fs::read(path).unwrap();
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
    assert!(peak > 2_000, "{} is silent (peak {peak})", path.display());
    wav.len() - 44
}
