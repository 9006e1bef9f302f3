//! File -> 24 kHz PCM16 -> 100 ms base64 chunks, the same work as the seed pipeline in
//! `shared/harness/py_audio_bench.py`.
//!
//! Run with `cargo bench -p rtclient-audio --bench pipeline`. Input files come from
//! `$RTCLIENT_AUDIO_BENCH_DATA` (a directory) or `shared/harness/data` found above the crate;
//! files that are absent are skipped with a message (benches run only on demand).

// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use rtclient_audio::{AudioSource, WireFormat};

const FILES: [&str; 2] = ["speech_60s_16k_mono.wav", "speech_60s_44k1_stereo.flac"];

fn data_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("RTCLIENT_AUDIO_BENCH_DATA") {
        return Some(PathBuf::from(dir));
    }
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    [
        "../../../shared/harness/data",
        "../../../../shared/harness/data",
    ]
    .iter()
    .map(|rel| crate_dir.join(rel))
    .find(|p| p.is_dir())
}

/// The whole pipeline; returns the number of base64 characters produced. With `read_ahead`,
/// decoding runs on a helper thread.
fn pipeline(path: &Path, read_ahead: bool) -> usize {
    let chunks = match AudioSource::open(path)
        .and_then(|s| s.to_wire(WireFormat::default()))
        .and_then(|w| if read_ahead { w.read_ahead() } else { Ok(w) })
        .and_then(|w| w.chunks(Duration::from_millis(100)))
    {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    };
    let mut chars = 0;
    for chunk in chunks {
        match chunk {
            Ok(c) => chars += black_box(c.base64()).len(),
            Err(e) => panic!("{e}"),
        }
    }
    chars
}

fn bench(c: &mut Criterion) {
    let Some(dir) = data_dir() else {
        eprintln!("pipeline bench: no data directory; set RTCLIENT_AUDIO_BENCH_DATA");
        return;
    };
    let mut group = c.benchmark_group("file_to_24k_base64_chunks");
    group.sample_size(30);
    group.measurement_time(Duration::from_secs(8));
    for name in FILES {
        let path = dir.join(name);
        if !path.is_file() {
            eprintln!("pipeline bench: {} is missing, skipped", path.display());
            continue;
        }
        group.bench_function(name, |b| b.iter(|| pipeline(black_box(&path), false)));
        group.bench_function(format!("{name}+read_ahead"), |b| {
            b.iter(|| pipeline(black_box(&path), true))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
