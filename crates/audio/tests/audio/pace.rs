//! Pacing a real file under tokio's paused clock.

use std::time::Duration;

use rtclient_audio::{AudioSource, Pace, Pacer, WireFormat};
use tokio::time::Instant;

use crate::testutil::Workdir;

async fn send_all(path: &std::path::Path, pace: Pace) -> (Duration, Duration, Vec<Duration>) {
    let chunks = AudioSource::open(path)
        .unwrap()
        .to_wire(WireFormat::default())
        .unwrap()
        .chunks(Duration::from_millis(100))
        .unwrap();
    let audio = chunks.total_duration().unwrap();
    let mut pacer = Pacer::new(pace).unwrap();
    pacer.start();
    let t0 = Instant::now();
    let mut released = Vec::new();
    for chunk in chunks {
        let chunk = chunk.unwrap();
        pacer.wait_until(chunk.end()).await;
        released.push(t0.elapsed());
    }
    (t0.elapsed(), audio, released)
}

#[tokio::test(start_paused = true)]
async fn real_time_takes_as_long_as_the_audio() {
    let w = Workdir::new();
    let (elapsed, audio, released) = send_all(&w.path("speech.wav"), Pace::RealTime).await;
    // tokio timers have millisecond resolution: the last release is rounded up to the next ms.
    assert!(
        elapsed >= audio && elapsed - audio < Duration::from_millis(1),
        "{elapsed:?} vs {audio:?}"
    );
    // One chunk per 100 ms, released when its audio would have been recorded.
    for (i, t) in released.iter().enumerate().take(released.len() - 1) {
        assert_eq!(*t, Duration::from_millis(100) * (i as u32 + 1));
    }
}

#[tokio::test(start_paused = true)]
async fn speed_and_max() {
    let w = Workdir::new();
    let (elapsed, audio, _) = send_all(&w.path("speech.wav"), Pace::Speed(2.0)).await;
    let diff = elapsed.abs_diff(audio / 2);
    assert!(diff <= Duration::from_millis(1), "{elapsed:?} vs {audio:?}");
    let (elapsed, _, _) = send_all(&w.path("speech.wav"), Pace::Max).await;
    assert_eq!(elapsed, Duration::ZERO);
}
