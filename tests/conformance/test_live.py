"""GPT-Live: the openai Python SDK's `client.live` (pinned in requirements.txt) against
`rtclient serve`.

One session: start, a spoken clip streamed at real time, continuous output audio, the
delegation the server's script makes answered with `session.commentary.append` and spoken,
mute and unmute, and `session.close` -> `session.closed`; a sideband attached to the same
session sees the same output transcript. A session in Responses delegation: the backend's
function call arrives in nested `response.event`s, is answered with `response.item.create` and
`response.create`, and its answer is spoken. A fork (`client.live.forks`) of a stored session
carries its conversation over. Every event received is validated strictly against
`openai.types.live` (the primary's `ServerEvent` union, the sideband's `ConnectServerEvent`,
the fork's `ForkServerEvent`; nested Responses events against `openai.types.responses`),
unknown fields included.
"""

import asyncio
import base64
import json

from openai import AsyncOpenAI
from openai.types.live import ServerEvent
from openai.types.live.connect_server_event import ConnectServerEvent
from openai.types.live.fork_server_event import ForkServerEvent
from openai.types.responses import ResponseStreamEvent
from pydantic import BaseModel, TypeAdapter

CHUNK = 4800  # 100 ms of 24 kHz 16-bit mono PCM
TIMEOUT = 60
PRIMARY = TypeAdapter(ServerEvent)
SIDEBAND = TypeAdapter(ConnectServerEvent)
FORK = TypeAdapter(ForkServerEvent)
NESTED = TypeAdapter(ResponseStreamEvent)
WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "The weather in a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
}


def no_extra_fields(value, path="event"):
    """Fails on any field the SDK's models do not declare, at any depth."""
    if isinstance(value, BaseModel):
        assert not value.model_extra, f"{path}: undeclared fields {sorted(value.model_extra)}"
        for name in type(value).model_fields:
            no_extra_fields(getattr(value, name), f"{path}.{name}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            no_extra_fields(item, f"{path}[{index}]")


async def recv(conn, adapter):
    """The next event as JSON, validated strictly against the SDK's types."""
    raw = await conn.recv_bytes()
    no_extra_fields(adapter.validate_json(raw, strict=True))
    return json.loads(raw)


def client(server):
    return AsyncOpenAI(api_key="unused", websocket_base_url=server.base + "/v1")


async def microphone(conn, speech, stop):
    """The clip at real time, then silence, until `stop` is set (a live microphone)."""
    chunks = [speech[i : i + CHUNK] for i in range(0, len(speech), CHUNK)]
    while not stop.is_set():
        chunk = chunks.pop(0) if chunks else bytes(CHUNK)
        await conn.session.input_audio.append(audio=base64.b64encode(chunk).decode())
        await asyncio.sleep(0.1)


async def watch(api, session_id, seen):
    """A sideband of `session_id`: collects its output transcript until the session ends."""
    async with api.live.sideband.connect(session_id=session_id) as sideband:
        while True:
            event = await recv(sideband, SIDEBAND)
            seen.append(event["type"])
            if event["type"] == "session.output_transcript.delta":
                seen.append(event["delta"])
            if event["type"] == "session.closed":
                return


def test_live_session_with_delegation_commentary_mute_and_sideband(live_server, speech):
    async def main():
        api = client(live_server)
        async with api.live.connect() as conn:
            await conn.session.start(
                session={"model": "gpt-live-1", "delegation": {"type": "client"}}, event_id="evt_start"
            )
            started = await recv(conn, PRIMARY)
            assert started["type"] == "session.started"
            assert started["client_event_id"] == "evt_start"
            session = started["session"]
            assert session["status"] == "active" and session["id"].startswith("live_")
            assert session["audio"]["format"] == {"type": "audio/pcm", "rate": 24000}
            assert session["audio"]["output"]["voice"] == "marin"

            sideband_seen = []
            sideband = asyncio.create_task(watch(api, session["id"], sideband_seen))
            stop = asyncio.Event()
            mic = asyncio.create_task(microphone(conn, speech, stop))

            audio_deltas, transcript, heard, state = 0, "", "", "listening"
            while state != "answered":
                event = await recv(conn, PRIMARY)
                kind = event["type"]
                if kind == "session.output_audio.delta":
                    assert "event_id" not in event and "start_ms" not in event
                    assert len(base64.b64decode(event["delta"])) == CHUNK
                    audio_deltas += 1
                elif kind == "session.output_transcript.delta":
                    assert event["end_ms"] - event["start_ms"] == 200
                    transcript += event["delta"]
                    if "Staging is healthy." in transcript:
                        state = "answered"
                elif kind == "session.delegation.created":
                    assert event["delegation"]["target"] == "client"
                    await conn.session.commentary.append(
                        content="Staging is healthy.",
                        delegation_id=event["delegation"]["id"],
                        event_id="evt_commentary",
                    )
                elif kind == "session.commentary.appended":
                    assert event["client_event_id"] == "evt_commentary"
                    assert event["end_ms"] > event["start_ms"]
                elif kind == "session.input_transcript.delta":
                    # What the server's speech-to-text heard, on the input timeline.
                    assert event["end_ms"] > event["start_ms"] >= 0
                    heard += event["delta"]
                else:
                    assert kind in {"session.usage.updated"}, event
            assert transcript.startswith("Okay, checking now.")
            assert audio_deltas >= 20, "a continuous output track, silence included"
            assert heard.strip(), "the spoken clip was transcribed"

            await conn.session.input_audio.mute(event_id="evt_mute")
            await conn.session.input_audio.unmute(event_id="evt_unmute")
            acks = []
            while len(acks) < 2:
                event = await recv(conn, PRIMARY)
                if event["type"].startswith("session.input_audio."):
                    acks.append((event["type"], event["client_event_id"]))
            assert acks == [
                ("session.input_audio.muted", "evt_mute"),
                ("session.input_audio.unmuted", "evt_unmute"),
            ]

            stop.set()
            await mic
            await conn.session.close(event_id="evt_close")
            while True:
                event = await recv(conn, PRIMARY)
                if event["type"] == "session.closed":
                    break
            assert event["reason"] == "close_requested"
            assert event["client_event_id"] == "evt_close"
            assert event["session"]["id"] == session["id"]
            await asyncio.wait_for(sideband, 10)
        assert sideband_seen[0] == "session.started"
        assert "".join(s for s in sideband_seen if not s.startswith("session.")) == transcript
        assert "session.output_audio.delta" in sideband_seen

    asyncio.run(asyncio.wait_for(main(), TIMEOUT))


def test_live_strict_config_errors(live_server):
    async def main():
        async with client(live_server).live.connect() as conn:
            await conn.send_raw(
                json.dumps(
                    {"type": "session.start", "event_id": "evt_bad", "session": {"model": "gpt-live-1", "voice": "marin"}}
                )
            )
            error = await recv(conn, PRIMARY)
            assert error["type"] == "error"
            assert error["error"]["code"] == "unknown_parameter"
            assert error["error"]["param"] == "session.voice"
            assert error["error"]["client_event_id"] == "evt_bad"

    asyncio.run(asyncio.wait_for(main(), TIMEOUT))


def test_live_responses_delegation_function_call_answered_and_spoken(live_server, speech):
    async def main():
        async with client(live_server).live.connect() as conn:
            responses = {"model": "gpt-5-mini", "tools": [WEATHER]}
            await conn.session.start(
                session={"model": "gpt-live-1", "delegation": {"type": "responses", "responses": responses}}
            )
            started = await recv(conn, PRIMARY)
            assert started["session"]["delegation"]["type"] == "responses"
            assert started["session"]["delegation"]["responses"]["tools"] == [WEATHER]
            stop = asyncio.Event()
            mic = asyncio.create_task(microphone(conn, speech, stop))
            transcript, nested_kinds, delegation = "", [], None
            while "It is sunny today." not in transcript:
                event = await recv(conn, PRIMARY)
                kind = event["type"]
                if kind == "session.delegation.created":
                    assert event["delegation"]["target"] == "responses"
                    assert event["delegation"]["response_id"].startswith("resp_")
                    delegation = event["delegation"]["id"]
                elif kind == "response.event":
                    assert event["delegation_id"] == delegation
                    nested = event["event"]
                    no_extra_fields(NESTED.validate_json(json.dumps(nested), strict=True), "event.event")
                    nested_kinds.append(nested["type"])
                    if nested["type"] in ("response.created", "response.completed"):
                        assert nested["response"]["output"] == []
                    item = nested.get("item", {})
                    if nested["type"] == "response.output_item.done" and item["type"] == "function_call":
                        assert item["name"] == "get_weather"
                        assert json.loads(item["arguments"]) == {"city": "Paris"}
                        await conn.response.item.create(
                            item={"type": "function_call_output", "call_id": item["call_id"], "output": "sunny"}
                        )
                        await conn.response.create(event_id="evt_continue")
                elif kind == "session.output_transcript.delta":
                    transcript += event["delta"]
            assert transcript.startswith("Okay, checking now.")
            assert nested_kinds.count("response.completed") == 2
            assert "response.function_call_arguments.done" in nested_kinds
            assert "response.output_text.delta" in nested_kinds
            stop.set()
            await mic
            await conn.session.close()
            while (await recv(conn, PRIMARY))["type"] != "session.closed":
                pass

    asyncio.run(asyncio.wait_for(main(), TIMEOUT))


def test_live_fork_of_a_stored_session_carries_its_conversation(live_server, speech):
    async def main():
        api = client(live_server)
        async with api.live.connect() as conn:
            await conn.session.start(
                session={"model": "gpt-live-1", "instructions": "Check things.", "store": True}
            )
            session = (await recv(conn, PRIMARY))["session"]
            stop = asyncio.Event()
            mic = asyncio.create_task(microphone(conn, speech, stop))
            while (await recv(conn, PRIMARY))["type"] != "session.delegation.created":
                pass
            async with api.live.forks.connect(session_id=session["id"]) as fork:
                overrides = {"audio": {"format": {"type": "audio/pcm", "rate": 16000}}}
                await fork.session.start(session=overrides, event_id="evt_fork")
                started = await recv(fork, FORK)
                assert started["type"] == "session.started"
                assert started["client_event_id"] == "evt_fork"
                forked = started["session"]
                assert forked["id"] != session["id"] and forked["id"].startswith("live_")
                assert forked["model"] == "gpt-live-1"
                assert forked["instructions"] == "Check things."
                assert forked["store"] is True
                assert forked["audio"]["format"] == {"type": "audio/pcm", "rate": 16000}
                roles = [item["role"] for item in forked["input"]]
                assert roles == ["user", "assistant"]
                assert forked["input"][1]["content"][0]["text"] == "Okay, checking now."
                await fork.session.close()
                while (await recv(fork, FORK))["type"] != "session.closed":
                    pass
            async with api.live.forks.connect(session_id="live_unknown") as fork:
                await fork.session.start(session={}, event_id="evt_lost")
                error = await recv(fork, FORK)
                assert error["type"] == "error"
                assert error["error"]["code"] == "session_not_found"
                assert error["error"]["client_event_id"] == "evt_lost"
            stop.set()
            await mic
            await conn.session.close()
            while (await recv(conn, PRIMARY))["type"] != "session.closed":
                pass

    asyncio.run(asyncio.wait_for(main(), TIMEOUT))
