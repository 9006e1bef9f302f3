//! `--help` of every subcommand, and clap usage errors.

use predicates::prelude::*;

use crate::testutil::rtclient;

#[test]
fn top_level_help_lists_subcommands_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    rtclient(dir.path())
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("send"))
        .stdout(predicate::str::contains("serve"))
        .stdout(predicate::str::contains("inspect"))
        .stdout(predicate::str::contains("Exit codes"));
}

#[test]
fn send_help_is_complete() {
    let dir = tempfile::tempdir().unwrap();
    let assert = rtclient(dir.path())
        .args(["send", "--help"])
        .assert()
        .success();
    let out = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    for option in [
        "--provider",
        "--model",
        "--deployment",
        "--api-version",
        "--dialect",
        "--instructions",
        "--voice",
        "--vad",
        "--threshold",
        "--prefix-padding-ms",
        "--silence-ms",
        "--transcribe",
        "--pace",
        "--reply-timeout",
        "--tool",
        "--out",
        "--json",
        "--record",
        "--quiet",
        "--verbose",
        "--log-payloads",
        "--color",
    ] {
        assert!(out.contains(option), "{option} missing from:\n{out}");
    }
}

#[test]
fn serve_and_inspect_help() {
    let dir = tempfile::tempdir().unwrap();
    rtclient(dir.path())
        .args(["serve", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("--listen"))
        .stdout(predicate::str::contains("--api-key"))
        .stdout(predicate::str::contains("RTCLIENT_SERVER_API_KEY"))
        .stdout(predicate::str::contains("--refuse-beta"));
    rtclient(dir.path())
        .args(["inspect", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("--strict"))
        .stdout(predicate::str::contains("--json"));
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    for argv in [
        &[][..],
        &["frobnicate"][..],
        &["send"][..],
        &["send", "x.wav", "--vad", "sometimes"][..],
        &["serve", "--listen", "not-an-address"][..],
        &["inspect"][..],
        &["-q", "-v", "inspect", "x"][..],
    ] {
        rtclient(dir.path()).args(argv).assert().code(2);
    }
}

#[cfg(not(feature = "audio-io"))]
#[test]
fn talk_without_audio_io_says_how_to_build_it() {
    let dir = tempfile::tempdir().unwrap();
    rtclient(dir.path())
        .arg("talk")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "built without microphone and speaker support",
        ))
        .stderr(predicate::str::contains("--features audio-io"));
}
