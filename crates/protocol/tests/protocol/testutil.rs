//! Loading the test data.

use std::path::PathBuf;

use serde_json::Value;

/// The repository's `testdata/` folder.
pub(crate) fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

/// Which dialect a data file speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileDialect {
    Ga,
    Beta,
}

/// One frame: file name, index, whether the client sent it, its JSON text and value.
pub(crate) struct Frame {
    pub(crate) file: String,
    pub(crate) index: usize,
    pub(crate) dialect: FileDialect,
    pub(crate) sent: bool,
    pub(crate) text: String,
    pub(crate) value: Value,
}

/// Every frame of the ten cassettes.
pub(crate) fn cassette_frames() -> Vec<Frame> {
    let dir = testdata().join("recorded");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 10, "expected 10 cassettes in {dir:?}");
    let mut out = Vec::new();
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let dialect = if name.starts_with("ga-") {
            FileDialect::Ga
        } else {
            FileDialect::Beta
        };
        let doc: Value = serde_norway::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for (index, it) in doc["interactions"].as_array().unwrap().iter().enumerate() {
            let value = it["data"].clone();
            out.push(Frame {
                file: name.clone(),
                index,
                dialect,
                sent: it["direction"] == "sent",
                text: serde_json::to_string(&value).unwrap(),
                value,
            });
        }
    }
    out
}

/// Every line of `events_ga.jsonl` and `events_beta.jsonl` (server events).
pub(crate) fn corpus_frames() -> Vec<Frame> {
    let mut out = Vec::new();
    for (file, dialect) in [
        ("events_ga.jsonl", FileDialect::Ga),
        ("events_beta.jsonl", FileDialect::Beta),
    ] {
        let text = std::fs::read_to_string(testdata().join("corpus").join(file)).unwrap();
        for (index, line) in text.lines().filter(|l| !l.trim().is_empty()).enumerate() {
            out.push(Frame {
                file: file.to_owned(),
                index,
                dialect,
                sent: false,
                text: line.to_owned(),
                value: serde_json::from_str(line).unwrap(),
            });
        }
    }
    out
}

/// `testdata/corpus/client_events.json`.
pub(crate) fn client_events() -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(testdata().join("corpus/client_events.json")).unwrap(),
    )
    .unwrap()
}

/// The spec index `testdata/spec/realtime-events.json`.
pub(crate) fn spec() -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(testdata().join("spec/realtime-events.json")).unwrap(),
    )
    .unwrap()
}

/// FNV-1a, 64 bits: a stable hash with no dependency, enough to pin bytes in a snapshot.
pub(crate) fn fnv(text: &str) -> String {
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    format!("{hash:016x}")
}
