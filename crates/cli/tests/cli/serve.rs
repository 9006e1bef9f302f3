//! `rtclient serve`: prints its URL, accepts WebSocket connections, stops cleanly on signals.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rtclient::{ClientConfig, Connection, Credential, Target};

/// Kills the server if a test fails before stopping it, so no process outlives the test.
pub(crate) struct Guard(Option<Child>);

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

pub(crate) fn spawn(args: &[&str]) -> (Guard, String) {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("rtclient"))
        .arg("serve")
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .env_remove("RTCLIENT_SERVER_API_KEY")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (Guard(Some(child)), line.trim().to_owned())
}

fn signal(guard: &Guard, name: &str) {
    let id = guard.0.as_ref().map(Child::id).unwrap_or_default();
    let status = Command::new("kill")
        .args([format!("-{name}"), id.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

fn wait(mut guard: Guard) -> (std::process::ExitStatus, String) {
    let mut child = guard.0.take().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut stderr = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
            return (status, stderr);
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("serve did not stop");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Stops the server with Ctrl-C (SIGINT), checks that it exits 0, and returns its stderr.
async fn stop(child: Guard) -> String {
    signal(&child, "INT");
    let (status, stderr) = tokio::task::spawn_blocking(move || wait(child))
        .await
        .unwrap();
    assert_eq!(status.code(), Some(0), "{stderr}");
    stderr
}

#[tokio::test]
async fn serves_and_stops_on_sigint_with_a_connection_open() {
    let (child, url) = spawn(&[]);
    assert!(
        url.starts_with("ws://127.0.0.1:") && url.ends_with("/v1/realtime?model=gpt-realtime"),
        "{url}"
    );
    let config = ClientConfig::builder(Target::custom(&url).unwrap()).build();
    let connection = Connection::connect(&config).await.unwrap();
    signal(&child, "INT");
    let (status, stderr) = tokio::task::spawn_blocking(move || wait(child))
        .await
        .unwrap();
    drop(connection);
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("server stopped"), "{stderr}");
}

#[tokio::test]
async fn api_key_is_required_and_never_printed() {
    let (child, url) = spawn(&["--api-key", "sk-local-secret-42"]);
    let target = Target::custom(&url).unwrap();
    // Without the key the server refuses: at the upgrade, or right after it with an `error`
    // event and a close, as OpenAI does.
    if let Ok(connection) =
        Connection::connect(&ClientConfig::builder(target.clone()).build()).await
    {
        let (_sender, mut receiver) = connection.split();
        let ended = tokio::time::timeout(Duration::from_secs(10), async {
            let mut frames = Vec::new();
            while let Ok(Some(text)) = receiver.recv_text().await {
                frames.push(text);
            }
            frames
        })
        .await
        .expect("the server should end an unauthenticated session");
        assert!(ended.iter().any(|f| f.contains("\"error\"")), "{ended:?}");
    }
    let config = ClientConfig::builder(target)
        .credential(Credential::bearer_key("sk-local-secret-42"))
        .build();
    Connection::connect(&config).await.unwrap();
    signal(&child, "TERM");
    let (status, stderr) = tokio::task::spawn_blocking(move || wait(child))
        .await
        .unwrap();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("sk-local-secret-42"), "{stderr}");
    assert!(!url.contains("sk-local-secret-42"));
}

#[test]
fn port_in_use_exits_3() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    assert_cmd::Command::cargo_bin("rtclient")
        .unwrap()
        .args(["serve", "--listen", &addr])
        .assert()
        .code(3)
        .stderr(predicates::str::contains(format!(
            "could not listen on {addr}"
        )));
}

#[test]
fn bad_settings_exit_2() {
    assert_cmd::Command::cargo_bin("rtclient")
        .unwrap()
        .args(["serve", "--listen", "127.0.0.1:0", "--max-connections", "0"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("invalid server settings"));
}

#[tokio::test]
async fn script_chooses_the_replies() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("script.yaml");
    std::fs::write(
        &script,
        "rules:\n  - when: hello\n    say: \"Scripted hi!\"\n",
    )
    .unwrap();
    let (child, url) = spawn(&["--script", script.to_str().unwrap()]);
    let config = ClientConfig::builder(Target::custom(&url).unwrap()).build();
    let (sender, mut receiver) = Connection::connect(&config).await.unwrap().split();
    sender
        .send_text(
            r#"{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"hello there"}]}}"#,
        )
        .await
        .unwrap();
    sender
        .send_text(r#"{"type":"response.create","response":{"output_modalities":["text"]}}"#)
        .await
        .unwrap();
    let done = tokio::time::timeout(Duration::from_secs(20), async {
        while let Ok(Some(text)) = receiver.recv_text().await {
            if text.contains("\"response.done\"") {
                return text;
            }
        }
        panic!("no response.done");
    })
    .await
    .unwrap();
    assert!(done.contains("Scripted hi!"), "{done}");
    stop(child).await;
}

#[test]
fn bad_script_exits_2() {
    assert_cmd::Command::cargo_bin("rtclient")
        .unwrap()
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--script",
            "no-such-script.yaml",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("invalid --script"));
}

#[test]
fn tls_serves_wss_and_bad_pem_files_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let cert = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    // A self-signed server certificate (not a CA: webpki refuses a CA as the server's own).
    let made = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args(["-subj", "/CN=localhost"])
        .args(["-addext", "subjectAltName=DNS:localhost"])
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl (run scripts/setup)");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let (server, url) = spawn(&[
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
    ]);
    assert!(url.starts_with("wss://127.0.0.1:"), "{url}");
    // `send` trusts the self-signed certificate only when told to.
    let url = url.replace("127.0.0.1", "localhost");
    crate::send::write_wav(&dir.path().join("a.wav"));
    let send = |extra: &[&str]| {
        crate::testutil::rtclient(dir.path())
            .args([
                "send",
                "a.wav",
                "--vad",
                "none",
                "--pace",
                "max",
                "--provider",
                &url,
            ])
            .args(extra)
            .output()
            .unwrap()
    };
    let refused = send(&[]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("--ca-cert"), "{stderr}");
    let trusted = send(&["--ca-cert", cert.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&trusted.stderr);
    assert_eq!(trusted.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("1 response (0 failed)"), "{stderr}");
    drop(server);
    // The key where the certificate should be.
    assert_cmd::Command::cargo_bin("rtclient")
        .unwrap()
        .args(["serve", "--listen", "127.0.0.1:0", "--tls-cert"])
        .arg(&key)
        .arg("--tls-key")
        .arg(&key)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("invalid --tls-cert or --tls-key"));
    // One without the other.
    assert_cmd::Command::cargo_bin("rtclient")
        .unwrap()
        .args(["serve", "--tls-cert"])
        .arg(&cert)
        .assert()
        .code(2);
}

/// What a `-vv` server logs after a client sent `secret` in a user message.
async fn trace_log_of_a_message(secret: &str, extra: &[&str]) -> String {
    let mut args = vec!["-vv"];
    args.extend_from_slice(extra);
    let (child, url) = spawn(&args);
    let config = ClientConfig::builder(Target::custom(&url).unwrap()).build();
    let connection = Connection::connect(&config).await.unwrap();
    let (sender, mut receiver) = connection.split();
    let event = serde_json::json!({"type": "conversation.item.create", "item": {"type": "message",
        "role": "user", "content": [{"type": "input_text", "text": secret}]}});
    sender.send_text(event.to_string()).await.unwrap();
    // The server echoes the item: its frames carry the secret too.
    tokio::time::timeout(Duration::from_secs(10), async {
        while let Ok(Some(text)) = receiver.recv_text().await {
            if text.contains("conversation.item.added") {
                break;
            }
        }
    })
    .await
    .expect("the item to be added");
    stop(child).await
}

#[tokio::test]
async fn trace_logs_hold_no_payloads_unless_asked() {
    let secret = "PINEAPPLE-4242";
    let hex: String = secret.bytes().map(|b| format!("{b:02x}")).collect();
    let quiet = trace_log_of_a_message(secret, &[]).await;
    assert!(quiet.contains("TRACE"), "{quiet}");
    assert!(!quiet.contains(secret) && !quiet.contains(&hex), "{quiet}");
    let loud = trace_log_of_a_message(secret, &["--log-payloads"]).await;
    assert!(loud.contains(secret) || loud.contains(&hex), "{loud}");
}

#[tokio::test]
async fn pace_realtime_streams_a_reply_no_faster_than_it_plays() {
    let (child, url) = spawn(&["--responder", "echo", "--pace", "realtime"]);
    let config = ClientConfig::builder(Target::custom(&url).unwrap()).build();
    let (sender, mut receiver) = Connection::connect(&config).await.unwrap().split();
    sender
        .send_text(
            r#"{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"hello there, how are you today"}]}}"#,
        )
        .await
        .unwrap();
    sender
        .send_text(r#"{"type":"response.create"}"#)
        .await
        .unwrap();
    let (audio_bytes, streamed) = tokio::time::timeout(Duration::from_secs(30), async {
        let mut first_delta = None;
        let mut audio_bytes = 0;
        while let Ok(Some(text)) = receiver.recv_text().await {
            let event: serde_json::Value = serde_json::from_str(&text).unwrap();
            match event["type"].as_str() {
                Some("response.output_audio.delta") => {
                    first_delta.get_or_insert_with(Instant::now);
                    audio_bytes += event["delta"].as_str().unwrap().len() * 3 / 4;
                }
                Some("response.done") => {
                    let first = first_delta.expect("the reply had audio");
                    return (audio_bytes, first.elapsed());
                }
                _ => {}
            }
        }
        panic!("no response.done");
    })
    .await
    .unwrap();
    // 24 kHz PCM16 mono. The first delta goes out at once and each later one once the one
    // before it has played, so streaming takes the audio's length less one delta at most.
    let audio = Duration::from_secs_f64(audio_bytes as f64 / 48_000.0);
    assert!(audio > Duration::from_secs(1), "{audio:?} of audio");
    assert!(
        streamed >= audio.mul_f64(0.6),
        "{audio:?} of audio streamed in {streamed:?}"
    );
    stop(child).await;
}

#[test]
fn a_bad_pace_exits_2() {
    assert_cmd::Command::cargo_bin("rtclient")
        .unwrap()
        .args(["serve", "--listen", "127.0.0.1:0", "--pace", "fast"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("invalid --pace `fast`"));
}
