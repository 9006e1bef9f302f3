//! `rtclient send`: provider resolution, input checks and connecting (streaming lands later).

use std::path::Path;

use predicates::prelude::*;

use crate::testutil::rtclient;

/// Writes a one-second 16 kHz mono PCM16 WAV tone.
fn write_wav(path: &Path) {
    let rate: u32 = 16_000;
    let samples: Vec<i16> = (0..rate)
        .map(|i| ((i as f32 * 440.0 * std::f32::consts::TAU / rate as f32).sin() * 8000.0) as i16)
        .collect();
    let data_len = (samples.len() * 2) as u32;
    let mut bytes = Vec::new();
    bytes.extend_from_slice(b"RIFF");
    bytes.extend_from_slice(&(36 + data_len).to_le_bytes());
    bytes.extend_from_slice(b"WAVEfmt ");
    bytes.extend_from_slice(&16u32.to_le_bytes());
    bytes.extend_from_slice(&1u16.to_le_bytes()); // PCM
    bytes.extend_from_slice(&1u16.to_le_bytes()); // mono
    bytes.extend_from_slice(&rate.to_le_bytes());
    bytes.extend_from_slice(&(rate * 2).to_le_bytes());
    bytes.extend_from_slice(&2u16.to_le_bytes());
    bytes.extend_from_slice(&16u16.to_le_bytes());
    bytes.extend_from_slice(b"data");
    bytes.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        bytes.extend_from_slice(&s.to_le_bytes());
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

#[test]
fn no_credentials_says_local_server_plainly() {
    let dir = tempfile::tempdir().unwrap();
    write_wav(&dir.path().join("a.wav"));
    rtclient(dir.path())
        .args(["send", "a.wav"])
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains(
            "no OpenAI/Azure credentials found: using the built-in local server at ws://127.0.0.1:",
        ))
        .stderr(predicate::str::contains(
            "connected, but `rtclient send` cannot stream yet",
        ));
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
