//! `rtclient bench` against the built-in local server: every turn the server's VAD must detect
//! is detected, answered with audio and paired up, with no lost event or error.

use crate::testutil::{rtclient, speech};

#[test]
fn bench_on_the_local_server_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let output = rtclient(dir.path())
        .args(["bench", "--sessions", "2", "--seconds", "3", "--audio"])
        .arg(speech())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("lost 0, server errors 0, connection errors 0"),
        "{stdout}"
    );
    // Two sessions, one turn each in 3 s of the clip: both detected, answered and done.
    assert!(
        stdout.contains("turns 2 started / 2 stopped / 2 committed, responses 2 created / 2 done"),
        "{stdout}"
    );
}

#[test]
fn bench_live_runs_continuous_audio_sessions_to_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let output = rtclient(dir.path())
        .args([
            "bench",
            "--api",
            "live",
            "--sessions",
            "2",
            "--seconds",
            "2",
        ])
        .arg("--audio")
        .arg(speech())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("2 sessions x 2 s, 2 ran, 0 failed"),
        "{stdout}"
    );
    // Each session got output audio: the continuous track, silence included.
    let received: u64 = stdout
        .split("output deltas: ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no delta count in {stdout}"));
    assert!(received >= 2, "{stdout}");
    assert!(
        stdout.contains("sessions per core at real time:"),
        "{stdout}"
    );
}

#[test]
fn bench_rejects_a_missing_audio_file_as_usage() {
    let dir = tempfile::tempdir().unwrap();
    rtclient(dir.path())
        .args(["bench", "--sessions", "1", "--audio", "nope.wav"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "cannot read the bench audio nope.wav",
        ));
}
