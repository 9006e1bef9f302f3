"""Fixtures of the conformance suite: the `rtclient serve` server under test and a speech clip.

The server binary comes from $RTCLIENT_BIN (set by scripts/conformance, which builds it first);
it listens on a free port and prints its URL on stdout. Each server runs for the whole session
and is stopped with SIGINT at the end.
"""

import os
import signal
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
API_KEY = "sk-conformance-test-key"


@dataclass
class Server:
    """A running `rtclient serve`: `base` is ws://HOST:PORT, `http` is http://HOST:PORT."""

    base: str
    http: str
    process: subprocess.Popen


def _binary() -> str:
    path = os.environ.get("RTCLIENT_BIN", str(REPO / "target" / "debug" / "rtclient"))
    if not Path(path).is_file():
        pytest.exit(f"no server binary at {path}: run scripts/conformance (it builds it)", 2)
    return path


def _start(*extra: str, script: str = "script.yaml"):
    env = {k: v for k, v in os.environ.items() if k != "RTCLIENT_SERVER_API_KEY"}
    process = subprocess.Popen(
        [_binary(), "serve", "--listen", "127.0.0.1:0", "--script", str(HERE / script), *extra],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    url = process.stdout.readline().strip()
    if not url.startswith("ws://"):
        process.kill()
        pytest.exit(f"rtclient serve printed no URL (got {url!r})", 2)
    netloc = urlsplit(url).netloc
    server = Server(base=f"ws://{netloc}", http=f"http://{netloc}", process=process)
    yield server
    process.send_signal(signal.SIGINT)
    try:
        assert process.wait(timeout=20) == 0, "rtclient serve did not exit 0 on SIGINT"
    finally:
        if process.poll() is None:
            process.kill()


@pytest.fixture(scope="session")
def server():
    """A server without auth, replying by script.yaml."""
    yield from _start()


@pytest.fixture(scope="session")
def live_server():
    """A server without auth whose GPT-Live sessions delegate every turn (live_script.yaml)."""
    yield from _start(script="live_script.yaml")


@pytest.fixture(scope="session")
def auth_server():
    """A server that requires API_KEY."""
    yield from _start("--api-key", API_KEY)


@pytest.fixture(scope="session")
def speech():
    """About 1 s of espeak-ng speech then 1.5 s of silence: 24 kHz mono 16-bit PCM bytes."""
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "speech.wav"
        raw = Path(tmp) / "speech.raw"
        subprocess.run(["espeak-ng", "-w", str(wav), "What is the weather like today?"], check=True)
        subprocess.run(
            ["sox", str(wav), "-t", "raw", "-r", "24000", "-c", "1", "-b", "16", "-e", "signed-integer",
             str(raw), "pad", "0", "1.5"],
            check=True,
        )
        return raw.read_bytes()
