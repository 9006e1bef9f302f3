//! `rtclient talk` without a sound card: ALSA's own `file` plugin, set up by an `~/.asoundrc`
//! under a temporary HOME, feeds the microphone from raw speech made by espeak-ng and writes
//! what the speaker played to disk; the built-in local server answers.
//!
//! cpal opens ALSA's default devices at 48 kHz stereo `f32` (its choice for a device that takes
//! any format), so the capture file is made in that format and the played file read in it. The
//! `file` plugin is used directly: under a `plug` conversion it loses part of the captured audio.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::testutil::rtclient;

/// The device format cpal picks: 48 kHz, 2 channels, `f32` little-endian.
const DEVICE_RATE: usize = 48_000;
const DEVICE_CHANNELS: usize = 2;

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

/// An asoundrc whose default capture device reads `mic` and whose default playback device
/// writes `played`, both raw, over the `null` device.
fn asoundrc(mic: &Path, played: &Path, captured: &Path) -> String {
    format!(
        r#"pcm.!default {{
    type asym
    capture.pcm {{
        type file
        slave.pcm {{ type null }}
        file "{captured}"
        infile "{mic}"
        format "raw"
    }}
    playback.pcm {{
        type file
        slave.pcm {{ type null }}
        file "{played}"
        format "raw"
    }}
}}
"#,
        mic = mic.display(),
        played = played.display(),
        captured = captured.display(),
    )
}

/// Seconds of samples louder than `threshold` (full scale 1.0) in mono `samples` at `rate`.
fn loud_seconds(samples: impl Iterator<Item = f32>, rate: usize, threshold: f32) -> f64 {
    samples.filter(|s| s.abs() > threshold).count() as f64 / rate as f64
}

/// Makes espeak-ng speech in `dir` with half a second of silence and more after it (so server
/// VAD ends the turn): `mic.raw` in the device format for the microphone, `clip.wav` for
/// `send`, and the `.asoundrc` of a temporary HOME at `dir` that plays to `played.raw`.
fn speech_and_devices(dir: &Path) {
    let path = |name: &str| dir.join(name);
    let (speech, clip, mic) = (path("speech.wav"), path("clip.wav"), path("mic.raw"));
    run_tool(
        "espeak-ng",
        &[
            "-w",
            speech.to_str().unwrap(),
            "Hello there, what is the weather like today?",
        ],
    );
    let padded = ["pad", "0.3", "2.0"];
    let mut to_mic = vec![speech.to_str().unwrap(), "-r", "48000", "-c", "2"];
    to_mic.extend([
        "-e",
        "floating-point",
        "-b",
        "32",
        "-t",
        "raw",
        mic.to_str().unwrap(),
    ]);
    run_tool("sox", &[to_mic, padded.to_vec()].concat());
    let to_clip = [
        speech.to_str().unwrap(),
        "-r",
        "48000",
        "-c",
        "2",
        clip.to_str().unwrap(),
    ];
    run_tool("sox", &[to_clip.to_vec(), padded.to_vec()].concat());
    let rc = asoundrc(&mic, &path("played.raw"), &path("captured.raw"));
    std::fs::write(path(".asoundrc"), rc).unwrap();
}

/// Runs `rtclient talk --max-turns 1 ARGS` on the ALSA devices of `dir`; returns the exit code,
/// stdout and stderr.
fn talk(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let talk = rtclient(dir)
        .env("HOME", dir)
        // The engines' models stay where this test's own HOME has them, so talk runs the same
        // engines as the `send` it is compared with.
        .env("RTCLIENT_MODELS", models_dir())
        .args(["talk", "--max-turns", "1", "--duration", "60"])
        .args(args)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    (
        talk.status.code(),
        String::from_utf8_lossy(&talk.stdout).into_owned(),
        String::from_utf8_lossy(&talk.stderr).into_owned(),
    )
}

/// The models folder as the engines find it from this process's environment.
fn models_dir() -> std::path::PathBuf {
    let var = |name: &str| std::env::var_os(name).filter(|value| !value.is_empty());
    if let Some(models) = var("RTCLIENT_MODELS") {
        return models.into();
    }
    let cache = var("XDG_CACHE_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| var("HOME").map(|home| std::path::PathBuf::from(home).join(".cache")))
        .expect("HOME or XDG_CACHE_HOME is set");
    cache.join("rtclient").join("models")
}

#[test]
fn a_spoken_turn_is_answered_and_played() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    speech_and_devices(dir.path());
    // The echo responder: its reply follows the transcript word by word, so the two paths can be
    // compared even when their transcripts differ by a word.
    let (code, stdout, stderr) = talk(dir.path(), &["--responder", "echo"]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("using the built-in local server"),
        "{stderr}"
    );

    // The same audio sent as a file gets the same reply: what talk printed as it streamed.
    let send = rtclient(dir.path())
        .args([
            "send",
            "--pace",
            "max",
            "--responder",
            "echo",
            "--out",
            "out",
        ])
        .arg("clip.wav")
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    assert_eq!(send.status.code(), Some(0), "{send:?}");
    let replies: Vec<_> = std::fs::read_dir(path("out"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let wav = replies
        .iter()
        .find(|p| p.extension().is_some_and(|e| e == "wav"))
        .unwrap();
    let transcript = std::fs::read_to_string(wav.with_extension("txt")).unwrap();
    assert!(!transcript.trim().is_empty());
    let printed: Vec<_> = stdout
        .lines()
        .filter(|l| l.starts_with("assistant: "))
        .collect();
    // One reply, saying what it heard. The microphone path (48 kHz float through ALSA) and the
    // file differ by a resampling, so the speech-to-text may differ by a word or two.
    assert_eq!(printed.len(), 1, "{stdout}");
    let said = printed[0].trim_start_matches("assistant: ");
    let words = |text: &str| -> Vec<String> {
        text.split_whitespace()
            .map(|w| {
                w.trim_matches(|c: char| !c.is_alphanumeric())
                    .to_lowercase()
            })
            .collect()
    };
    let (said, expected) = (words(said), words(transcript.trim()));
    let shared = expected.iter().filter(|w| said.contains(w)).count();
    assert!(
        shared * 4 >= expected.len() * 3,
        "talk said {said:?}, send got {expected:?}"
    );

    // The speaker played that reply: as much loud audio (left channel, device rate) as the
    // 24 kHz reply `send` saved, and not silent.
    let played = std::fs::read(path("played.raw")).unwrap();
    let left = played
        .chunks_exact(4 * DEVICE_CHANNELS)
        .map(|frame| f32::from_le_bytes([frame[0], frame[1], frame[2], frame[3]]));
    let peak = left.clone().fold(0.0f32, |peak, s| peak.max(s.abs()));
    assert!(peak > 0.1, "the played audio is silent (peak {peak})");
    let played_s = loud_seconds(left, DEVICE_RATE, 0.01);
    let reply = std::fs::read(wav).unwrap();
    let reply = reply[44..]
        .chunks_exact(2)
        .map(|s| f32::from(i16::from_le_bytes([s[0], s[1]])) / 32768.0);
    let reply_s = loud_seconds(reply, 24_000, 0.01);
    assert!(reply_s > 0.5, "the reply is too short: {reply_s} s loud");
    assert!(
        (played_s - reply_s).abs() < reply_s * 0.1,
        "played {played_s} s of loud audio, the reply holds {reply_s} s"
    );
}

/// Any turn calls the tool; its result is answered in words.
const WEATHER: &str = r#"
rules:
  - after_tool: get_weather
    say: "It is {output} in Paris."
  - call: get_weather
    arguments: {"city": "Paris"}
"#;

#[tokio::test(flavor = "multi_thread")]
async fn a_tool_call_is_answered_from_tool_outputs() {
    let dir = tempfile::tempdir().unwrap();
    speech_and_devices(dir.path());
    std::fs::write(
        dir.path().join("tools.json"),
        r#"{"type":"function","name":"get_weather","description":"Weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}"#,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("answers.json"),
        r#"{"get_weather":"Sunny, 21 C"}"#,
    )
    .unwrap();
    let url = crate::testutil::local_server(WEATHER).await;
    let home = dir.path().to_owned();
    let (code, stdout, stderr) = tokio::task::spawn_blocking(move || {
        let args = ["--tool", "tools.json", "--tool-outputs", "answers.json"];
        talk(
            &home,
            &[&["--provider", url.as_str()][..], &args[..]].concat(),
        )
    })
    .await
    .unwrap();
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(
        stderr.contains(r#"calling get_weather({"city":"Paris"})"#),
        "{stderr}"
    );
    // The follow-up response read the answer: the turn ended with it.
    let printed: Vec<_> = stdout
        .lines()
        .filter(|l| l.starts_with("assistant: "))
        .collect();
    assert_eq!(
        printed,
        ["assistant: It is Sunny, 21 C in Paris."],
        "{stdout}"
    );
}
