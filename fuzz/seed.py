#!/usr/bin/env python3
"""Writes the seed corpus of both fuzz targets from ../testdata (one frame per file).

Server frames: every line of events_{ga,beta}.jsonl and every received frame of the cassettes.
Client frames: client_events.json and every sent frame of the cassettes. Cassettes need PyYAML;
without it only the JSON data is used.
"""
import glob, hashlib, json, os

here = os.path.dirname(os.path.abspath(__file__))
data = os.path.join(here, "..", "testdata")
out = {k: os.path.join(here, "corpus", k) for k in ("server_event", "client_event")}
for d in out.values():
    os.makedirs(d, exist_ok=True)

def put(target, text):
    name = hashlib.sha1(text.encode()).hexdigest()
    with open(os.path.join(out[target], name), "w") as f:
        f.write(text)

for name in ("events_ga.jsonl", "events_beta.jsonl"):
    for line in open(os.path.join(data, "corpus", name)):
        if line.strip():
            put("server_event", line.strip())
for ev in json.load(open(os.path.join(data, "corpus", "client_events.json"))).values():
    put("client_event", json.dumps(ev, separators=(",", ":")))
try:
    import yaml
    for path in glob.glob(os.path.join(data, "recorded", "*.yaml")):
        for it in yaml.safe_load(open(path))["interactions"]:
            target = "client_event" if it["direction"] == "sent" else "server_event"
            put(target, json.dumps(it["data"], separators=(",", ":")))
except ImportError:
    print("PyYAML missing: cassettes skipped")
for k, d in out.items():
    print(k, len(os.listdir(d)), "files")
