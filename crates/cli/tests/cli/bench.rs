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
