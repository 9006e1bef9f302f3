#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets from ../testdata.

Server frames: every line of events_{ga,beta}.jsonl and every received frame of the cassettes.
Client frames: client_events.json and every sent frame of the cassettes. Sessions: the client
side of each cassette, and one session of every client event kind, as the `session` target
reads them (dialect byte, frames separated by 0xFF). Cassettes need PyYAML; without it only the
JSON data is used.
"""
import glob, hashlib, json, os

here = os.path.dirname(os.path.abspath(__file__))
data = os.path.join(here, "..", "testdata")
out = {k: os.path.join(here, "corpus", k) for k in ("server_event", "client_event", "session")}
for d in out.values():
    os.makedirs(d, exist_ok=True)

def put(target, text):
    name = hashlib.sha1(text.encode()).hexdigest()
    with open(os.path.join(out[target], name), "w") as f:
        f.write(text)

def put_session(beta, frames):
    data = bytes([1 if beta else 0]) + b"\xff".join(f.encode() for f in frames)
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(out["session"], name), "wb") as f:
        f.write(data)

SESSION = [
    {"type": "session.update", "session": {"type": "realtime", "output_modalities": ["text"]}},
    {"type": "conversation.item.create", "item": {"type": "message", "role": "user",
        "content": [{"type": "input_text", "text": "hello"}]}},
    {"type": "response.create"},
    {"type": "response.cancel"},
    {"type": "input_audio_buffer.append", "audio": "AAAAAAAAAAAAAAAA" * 400},
    {"type": "input_audio_buffer.commit"},
    {"type": "conversation.item.truncate", "item_id": "x", "content_index": 0, "audio_end_ms": 5},
    {"type": "input_audio_buffer.clear"},
]
put_session(False, [json.dumps(e) for e in SESSION])

for name in ("events_ga.jsonl", "events_beta.jsonl"):
    for line in open(os.path.join(data, "corpus", name)):
        if line.strip():
            put("server_event", line.strip())
for ev in json.load(open(os.path.join(data, "corpus", "client_events.json"))).values():
    put("client_event", json.dumps(ev, separators=(",", ":")))
try:
    import yaml
    for path in glob.glob(os.path.join(data, "recorded", "*.yaml")):
        sent = []
        for it in yaml.safe_load(open(path))["interactions"]:
            target = "client_event" if it["direction"] == "sent" else "server_event"
            put(target, json.dumps(it["data"], separators=(",", ":")))
            if it["direction"] == "sent":
                sent.append(json.dumps(it["data"], separators=(",", ":")))
        put_session(os.path.basename(path).startswith("beta"), sent)
except ImportError:
    print("PyYAML missing: cassettes skipped")
for k, d in out.items():
    print(k, len(os.listdir(d)), "files")
