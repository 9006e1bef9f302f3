//! Parse and serialize throughput on the benchmark corpus.
//!
//! Run with `cargo bench -p rtclient-protocol --bench parse`.

// criterion_group! generates an undocumented public function.
#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rtclient_protocol::event::client::InputAudioBufferAppend;
use rtclient_protocol::event::server::ResponseOutputAudioDelta;
use rtclient_protocol::{ClientEvent, Dialect, ServerEvent};

fn corpus(name: &str) -> Vec<String> {
    let path = format!(
        "{}/../../testdata/corpus/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

fn bytes(lines: &[String]) -> u64 {
    lines.iter().map(|l| l.len() as u64).sum()
}

fn parse(c: &mut Criterion) {
    let ga = corpus("events_ga.jsonl");
    let beta = corpus("events_beta.jsonl");
    let (ga_audio, ga_other): (Vec<String>, Vec<String>) = ga
        .iter()
        .cloned()
        .partition(|l| l.starts_with(r#"{"type":"response.output_audio.delta""#));

    for (unit, per_bytes) in [("MB", true), ("events", false)] {
        let mut g = c.benchmark_group(format!("parse_{unit}"));
        let tp = |lines: &[String]| {
            if per_bytes {
                Throughput::Bytes(bytes(lines))
            } else {
                Throughput::Elements(lines.len() as u64)
            }
        };
        g.throughput(tp(&ga));
        g.bench_function("ga", |b| {
            b.iter(|| {
                for l in &ga {
                    black_box(Dialect::Ga.parse_server_event(black_box(l)).unwrap());
                }
            })
        });
        g.throughput(tp(&beta));
        g.bench_function("beta_to_ga_model", |b| {
            b.iter(|| {
                for l in &beta {
                    black_box(Dialect::Beta.parse_server_event(black_box(l)).unwrap());
                }
            })
        });
        g.bench_function("beta_wire", |b| {
            b.iter(|| {
                for l in &beta {
                    black_box(
                        rtclient_protocol::beta::ServerEvent::from_json(black_box(l)).unwrap(),
                    );
                }
            })
        });
        g.throughput(tp(&ga_audio));
        g.bench_function("ga_audio_deltas", |b| {
            b.iter(|| {
                for l in &ga_audio {
                    black_box(ServerEvent::from_json(black_box(l)).unwrap());
                }
            })
        });
        g.bench_function("ga_audio_deltas_borrowed", |b| {
            b.iter(|| {
                for l in &ga_audio {
                    black_box(
                        Dialect::Ga
                            .parse_audio_delta(black_box(l))
                            .unwrap()
                            .unwrap(),
                    );
                }
            })
        });
        g.bench_function("floor_ignored_any_ga_audio_deltas", |b| {
            b.iter(|| {
                for l in &ga_audio {
                    black_box(serde_json::from_str::<serde::de::IgnoredAny>(black_box(l)).unwrap());
                }
            })
        });
        g.throughput(tp(&ga_other));
        g.bench_function("ga_other", |b| {
            b.iter(|| {
                for l in &ga_other {
                    black_box(ServerEvent::from_json(black_box(l)).unwrap());
                }
            })
        });
        g.throughput(tp(&ga));
        g.bench_function("floor_serde_json_value_ga", |b| {
            b.iter(|| {
                for l in &ga {
                    black_box(serde_json::from_str::<serde_json::Value>(black_box(l)).unwrap());
                }
            })
        });
        g.bench_function("floor_ignored_any_ga", |b| {
            b.iter(|| {
                for l in &ga {
                    black_box(serde_json::from_str::<serde::de::IgnoredAny>(black_box(l)).unwrap());
                }
            })
        });
        g.finish();
    }
}

fn serialize(c: &mut Criterion) {
    let path = format!(
        "{}/../../testdata/corpus/client_events.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let events: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let append_json = events["input_audio_buffer.append"].to_string();
    let append = ClientEvent::from_json(&append_json).unwrap();
    let audio_b64 = match &append {
        ClientEvent::InputAudioBufferAppend(e) => e.audio.clone(),
        _ => unreachable!(),
    };
    let pcm: Vec<u8> = (0..4800u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let update = ClientEvent::from_json(&events["session.update.ga"].to_string()).unwrap();

    let mut g = c.benchmark_group("serialize");
    g.throughput(Throughput::Elements(1));
    g.bench_function("append_100ms_to_json", |b| {
        b.iter(|| black_box(black_box(&append).to_json().unwrap()))
    });
    g.bench_function("append_100ms_construct_to_json", |b| {
        b.iter(|| {
            black_box(
                ClientEvent::append_base64(black_box(&audio_b64).clone())
                    .to_json()
                    .unwrap(),
            )
        })
    });
    g.bench_function("append_100ms_pcm_json_from_audio", |b| {
        b.iter(|| black_box(InputAudioBufferAppend::json_from_audio(black_box(&pcm))))
    });
    g.bench_function("append_100ms_pcm_append_audio_to_json", |b| {
        b.iter(|| {
            black_box(
                ClientEvent::append_audio(black_box(&pcm))
                    .to_json()
                    .unwrap(),
            )
        })
    });
    g.bench_function("append_100ms_serde_to_string", |b| {
        b.iter(|| black_box(serde_json::to_string(black_box(&append)).unwrap()))
    });
    // A 200 ms output audio delta (24 kHz PCM16), as a server writes it.
    let delta = ServerEvent::ResponseOutputAudioDelta(ResponseOutputAudioDelta {
        event_id: Some("event_CwtWm2wWlnDXxFDQ7z0yq".to_owned()),
        response_id: "resp_CwtWm2GXJwFCyAWDmqH8x".to_owned(),
        item_id: "item_CwtWmZC1dqEk6bULQ3Hzd".to_owned(),
        delta: audio_b64.repeat(2),
        ..Default::default()
    });
    g.bench_function("audio_delta_200ms_to_json", |b| {
        b.iter(|| black_box(black_box(&delta).to_json().unwrap()))
    });
    g.bench_function("audio_delta_200ms_beta_to_json", |b| {
        b.iter(|| {
            black_box(
                Dialect::Beta
                    .server_event_to_json(black_box(&delta))
                    .unwrap(),
            )
        })
    });
    g.bench_function("audio_delta_200ms_serde_to_string", |b| {
        b.iter(|| black_box(serde_json::to_string(black_box(&delta)).unwrap()))
    });
    g.bench_function("session_update_ga_to_json", |b| {
        b.iter(|| black_box(black_box(&update).to_json().unwrap()))
    });
    g.bench_function("session_update_beta_to_json", |b| {
        b.iter(|| {
            black_box(
                Dialect::Beta
                    .client_event_to_json(black_box(&update))
                    .unwrap(),
            )
        })
    });
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30)
}

criterion_group! { name = benches; config = config(); targets = parse, serialize }
criterion_main!(benches);
