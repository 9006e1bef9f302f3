//! GPT-Live parse throughput: the real recorded session (26 events) and a 100 ms output audio
//! delta (`session.output_audio.delta`, the bulk of a Live session's traffic: one every 100 ms
//! for the whole session, silence included), owned and borrowed, and the append a client writes
//! every 100 ms.
//!
//! Run with `cargo bench -p rtclient-protocol --bench live`.

// criterion_group! generates an undocumented public function.
#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rtclient_protocol::live::{ClientEvent, OutputAudioDeltaRef, ServerEvent};

fn recording() -> Vec<String> {
    let path = format!(
        "{}/../../testdata/recorded/live-openai-client-delegation.jsonl",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["event"].to_string())
        .collect()
}

fn parse(c: &mut Criterion) {
    let events = recording();
    // 100 ms of PCM16 24 kHz, the delta the local server and the service send.
    let pcm: Vec<u8> = (0..4_800u32).map(|i| (i * 7 % 251) as u8).collect();
    let append = ClientEvent::input_audio(&pcm).to_json().unwrap();
    let delta = append
        .replace("session.input_audio.append", "session.output_audio.delta")
        .replace("\"audio\"", "\"delta\"");
    let mut g = c.benchmark_group("live_parse_events");
    g.throughput(Throughput::Elements(events.len() as u64));
    g.bench_function("recording", |b| {
        b.iter(|| {
            for e in &events {
                black_box(ServerEvent::from_json(black_box(e)).unwrap());
            }
        })
    });
    g.throughput(Throughput::Elements(1));
    g.bench_function("output_audio_delta_100ms", |b| {
        b.iter(|| black_box(ServerEvent::from_json(black_box(&delta)).unwrap()))
    });
    g.bench_function("output_audio_delta_100ms_borrowed", |b| {
        b.iter(|| black_box(OutputAudioDeltaRef::parse(black_box(&delta)).unwrap()))
    });
    g.bench_function("input_audio_append_100ms_write", |b| {
        b.iter(|| black_box(ClientEvent::input_audio(black_box(&pcm)).to_json().unwrap()))
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = parse
}
criterion_main!(benches);
