#!/usr/bin/env bash
# Runs the Rust pipeline bench and the seed Python pipeline back to back (the machine is noisy:
# compare numbers from the same sitting only). Needs the harness and its Python venv:
#   HARNESS=/path/to/shared/harness PYTHON=/path/to/venv/bin/python crates/audio/benches/compare-with-seed.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
HARNESS=${HARNESS:?set HARNESS to the seed harness folder (it holds py_audio_bench.py and data/)}
PYTHON=${PYTHON:-python3}
export RTCLIENT_AUDIO_BENCH_DATA=${RTCLIENT_AUDIO_BENCH_DATA:-$HARNESS/data}
files=("$RTCLIENT_AUDIO_BENCH_DATA/speech_60s_16k_mono.wav" "$RTCLIENT_AUDIO_BENCH_DATA/speech_60s_44k1_stereo.flac")

uptime
cargo bench -p rtclient-audio --bench pipeline 2>&1 | grep -E "^file_to|time:"
"$PYTHON" "$HARNESS/py_audio_bench.py" --runs 7 "${files[@]}"
uptime
