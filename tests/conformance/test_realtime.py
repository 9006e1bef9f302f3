"""The openai Python SDK (pinned in requirements.txt) against `rtclient serve`.

Every test drives one session with the real SDK and asserts the exact order and fields of the
events it receives. Every event received is also validated against the SDK's own event types
(`recv`), which the SDK itself skips. `shape` replaces each run of deltas by DELTAS, since their
count and the interleaving of audio and transcript deltas depend on chunking, not on the
protocol.
"""

import asyncio
import base64
import json
import subprocess
import tempfile
from pathlib import Path

import pytest
import websockets
from openai import AsyncAzureOpenAI, AsyncOpenAI
from openai.types.beta.realtime import RealtimeServerEvent as BetaServerEvent
from openai.types.realtime import RealtimeErrorEvent, RealtimeServerEvent, SessionCreatedEvent
from pydantic import TypeAdapter

from conftest import API_KEY

MODEL = "gpt-realtime"
CHUNK = 4800  # 100 ms of 24 kHz 16-bit mono PCM
TIMEOUT = 20


def run(coro):
    asyncio.run(asyncio.wait_for(coro, TIMEOUT * 2))


def ga(server):
    return AsyncOpenAI(api_key="unused", websocket_base_url=server.base + "/v1")


def azure(server, key, path="/openai"):
    """The Azure client: /openai/realtime is the preview (beta) endpoint, /openai/v1 the GA one."""
    return AsyncAzureOpenAI(
        api_key=key,
        api_version="2025-04-01-preview",
        azure_endpoint=server.http,
        websocket_base_url=server.base + path,
    )


GA_EVENTS = TypeAdapter(RealtimeServerEvent)
BETA_EVENTS = TypeAdapter(BetaServerEvent)


async def recv(conn):
    """The next event, validated against the SDK's event types for the connection's dialect.

    The SDK's own `recv` builds its models without validation; this one fails on any event
    whose fields do not match the types the SDK declares (a missing field, a wrong type, an
    unknown event type).
    """
    raw = await conn.recv_bytes()
    beta = ".beta." in type(conn).__module__
    (BETA_EVENTS if beta else GA_EVENTS).validate_json(raw)
    return conn.parse_event(raw)


async def recv_until(conn, last, timeout=TIMEOUT):
    """Events up to and including the first of type `last`."""
    events = []
    async with asyncio.timeout(timeout):
        while True:
            event = await recv(conn)
            events.append(event)
            if event.type == "error" and last != "error":
                raise AssertionError(f"unexpected error while waiting for {last}: {event.error}")
            if event.type == last:
                return events


def kinds(events):
    """Event types, with consecutive repeats (delta runs) collapsed."""
    out = []
    for event in events:
        if not out or out[-1] != event.type:
            out.append(event.type)
    return out


def shape(events):
    """Event types, with each run of deltas (which may interleave audio and transcript) as DELTAS."""
    out = []
    for event in events:
        kind = DELTAS if event.type.endswith(".delta") else event.type
        if not out or out[-1] != kind or kind != DELTAS:
            out.append(kind)
    return out


def delta_types(events):
    return {e.type for e in events if e.type.endswith(".delta")}


def no_errors(events):
    errors = [e for e in events if e.type == "error"]
    assert not errors, errors


def check_usage(done, audio_in=False, audio_out=False):
    """The full usage object of a `response.done`, adding up; audio tokens where audio flowed."""
    usage = done.response.usage
    assert usage is not None, done
    assert usage.total_tokens == usage.input_tokens + usage.output_tokens, usage
    details_in, details_out = usage.input_token_details, usage.output_token_details
    assert usage.input_tokens == details_in.text_tokens + details_in.audio_tokens + details_in.image_tokens
    assert usage.output_tokens == details_out.text_tokens + details_out.audio_tokens
    assert details_in.cached_tokens_details is not None
    if audio_in:
        assert details_in.audio_tokens > 0, usage
    if audio_out:
        assert details_out.audio_tokens > 0, usage
    return usage


async def stream(conn, pcm):
    for i in range(0, len(pcm), CHUNK):
        await conn.input_audio_buffer.append(audio=base64.b64encode(pcm[i : i + CHUNK]).decode())


async def user_text(conn, text):
    await conn.conversation.item.create(
        item={"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}
    )


SERVER_VAD = {
    "type": "server_vad",
    "threshold": 0.6,
    "prefix_padding_ms": 200,
    "silence_duration_ms": 400,
    "create_response": True,
    "interrupt_response": True,
}

DELTAS = "<deltas>"

# A completed response with one assistant message of audio (GA names).
AUDIO_RESPONSE = [
    "response.created",
    "response.output_item.added",
    "conversation.item.added",
    "response.content_part.added",
    DELTAS,
    "response.output_audio.done",
    "response.output_audio_transcript.done",
    "response.content_part.done",
    "conversation.item.done",
    "response.output_item.done",
    "response.done",
]

# The same with text output only.
TEXT_RESPONSE = [
    "response.created",
    "response.output_item.added",
    "conversation.item.added",
    "response.content_part.added",
    DELTAS,
    "response.output_text.done",
    "response.content_part.done",
    "conversation.item.done",
    "response.output_item.done",
    "response.done",
]


def test_ga_connect_gets_a_typed_session_created(server):
    async def main():
        async with ga(server).realtime.connect(model=MODEL) as conn:
            event = await recv(conn)
            assert isinstance(event, SessionCreatedEvent)
            assert event.type == "session.created"
            assert event.session.type == "realtime"
            assert event.session.model == MODEL
            assert event.session.id.startswith("sess_")
            assert event.event_id

    run(main())


def test_session_update_with_server_vad(server):
    async def main():
        async with ga(server).realtime.connect(model=MODEL) as conn:
            await recv_until(conn, "session.created")
            await conn.session.update(
                session={
                    "type": "realtime",
                    "instructions": "Be brief.",
                    "audio": {"input": {"turn_detection": SERVER_VAD}, "output": {"voice": "marin"}},
                }
            )
            events = await recv_until(conn, "session.updated")
            assert kinds(events) == ["session.updated"]
            session = events[0].session
            assert session.instructions == "Be brief."
            assert session.audio.output.voice == "marin"
            vad = session.audio.input.turn_detection
            assert vad.type == "server_vad"
            assert vad.threshold == 0.6
            assert vad.prefix_padding_ms == 200
            assert vad.silence_duration_ms == 400
            assert vad.create_response is True
            assert vad.interrupt_response is True

    run(main())


def test_audio_turn_with_server_vad(server, speech):
    async def main():
        async with ga(server).realtime.connect(model=MODEL) as conn:
            await recv_until(conn, "session.created")
            await conn.session.update(session={"type": "realtime", "audio": {"input": {"turn_detection": SERVER_VAD}}})
            await recv_until(conn, "session.updated")
            await stream(conn, speech)
            events = await recv_until(conn, "response.done")
            no_errors(events)
            assert shape(events) == [
                "input_audio_buffer.speech_started",
                "input_audio_buffer.speech_stopped",
                "input_audio_buffer.committed",
                "conversation.item.added",
                "conversation.item.done",
                *AUDIO_RESPONSE,
            ]
            assert delta_types(events) == {"response.output_audio.delta", "response.output_audio_transcript.delta"}
            started, stopped, committed, added = events[0], events[1], events[2], events[3]
            assert started.audio_start_ms < stopped.audio_end_ms
            assert committed.item_id == started.item_id == stopped.item_id == added.item.id
            assert added.item.role == "user"
            done = events[-1]
            assert done.response.status == "completed"
            assert done.response.output[0].role == "assistant"
            assert done.response.output[0].content[0].type == "output_audio"
            assert done.response.output[0].content[0].transcript.startswith("I heard: ")
            audio = b"".join(base64.b64decode(e.delta) for e in events if e.type == "response.output_audio.delta")
            assert len(audio) > CHUNK
            # User audio bills a token per 100 ms, assistant audio a token per 50 ms.
            usage = check_usage(done, audio_in=True, audio_out=True)
            assert usage.input_token_details.audio_tokens == (stopped.audio_end_ms - started.audio_start_ms) // 100
            assert usage.output_token_details.audio_tokens == len(audio) // 48 // 50

    run(main())


def test_input_transcript_matches_the_spoken_clip(server):
    """Silero VAD and Moonshine (installed by scripts/install-engines) hear the clip."""
    spoken = "The meeting has been moved to Thursday afternoon."
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "speech.wav"
        subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(wav), spoken], check=True)
        speech = subprocess.run(
            ["sox", str(wav), "-t", "raw", "-r", "24000", "-c", "1", "-b", "16", "-e", "signed-integer", "-",
             "pad", "0", "1.5"],
            check=True,
            capture_output=True,
        ).stdout

    async def main():
        async with ga(server).realtime.connect(model=MODEL) as conn:
            await recv_until(conn, "session.created")
            await conn.session.update(
                session={
                    "type": "realtime",
                    "output_modalities": ["text"],
                    "audio": {"input": {"turn_detection": SERVER_VAD, "transcription": {"model": "whisper-1"}}},
                }
            )
            await recv_until(conn, "session.updated")
            await stream(conn, speech)
            events = await recv_until(conn, "conversation.item.input_audio_transcription.completed")
            no_errors(events)
            completed = events[-1]
            words = [w.strip("?,.!").lower() for w in completed.transcript.split()]
            assert words == [w.strip(".").lower() for w in spoken.split()], completed.transcript
            deltas = "".join(e.delta for e in events if e.type == "conversation.item.input_audio_transcription.delta")
            assert deltas == completed.transcript
            started = next(e for e in events if e.type == "input_audio_buffer.speech_started")
            assert completed.item_id == started.item_id
            assert completed.usage.type == "duration" and completed.usage.seconds >= 1

    run(main())


def test_manual_commit_turn(server, speech):
    async def main():
        async with ga(server).realtime.connect(model=MODEL) as conn:
            await recv_until(conn, "session.created")
            await conn.session.update(session={"type": "realtime", "audio": {"input": {"turn_detection": None}}})
            updated = await recv_until(conn, "session.updated")
            assert updated[0].session.audio.input.turn_detection is None
            await stream(conn, speech)
            await conn.input_audio_buffer.commit()
            events = await recv_until(conn, "conversation.item.done")
            assert kinds(events) == ["input_audio_buffer.committed", "conversation.item.added", "conversation.item.done"]
            item_id = events[0].item_id
            assert events[1].item.id == item_id
            assert events[2].item.content[0].type == "input_audio"
            await conn.response.create()
            events = await recv_until(conn, "response.done")
            no_errors(events)
            assert shape(events) == AUDIO_RESPONSE
            assert events[-1].response.status == "completed"

    run(main())


def test_text_turn(server):
    async def main():
        async with ga(server).realtime.connect(model=MODEL) as conn:
            await recv_until(conn, "session.created")
            await user_text(conn, "hello there")
            events = await recv_until(conn, "conversation.item.done")
            assert kinds(events) == ["conversation.item.added", "conversation.item.done"]
            assert events[1].item.content[0].text == "hello there"
            await conn.response.create(response={"output_modalities": ["text"]})
            events = await recv_until(conn, "response.done")
            assert shape(events) == TEXT_RESPONSE
            assert delta_types(events) == {"response.output_text.delta"}
            text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
            assert text == "I heard: hello there"
            done_text = next(e for e in events if e.type == "response.output_text.done")
            assert done_text.text == text
            done = events[-1]
            assert done.response.status == "completed"
            assert done.response.output[0].content[0].text == text
            assert done.response.usage.total_tokens > 0
            assert (await recv(conn)).type == "rate_limits.updated"

    run(main())


WEATHER_TOOL = {
    "type": "function",
    "name": "get_weather",
    "description": "The weather in a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


def test_function_call_round(server):
    async def main():
        async with ga(server).realtime.connect(model=MODEL) as conn:
            await recv_until(conn, "session.created")
            await conn.session.update(
                session={"type": "realtime", "output_modalities": ["text"], "tools": [WEATHER_TOOL]}
            )
            updated = await recv_until(conn, "session.updated")
            assert updated[0].session.tools[0].name == "get_weather"
            await user_text(conn, "What is the weather in Paris?")
            await recv_until(conn, "conversation.item.done")
            await conn.response.create()
            events = await recv_until(conn, "response.done")
            assert shape(events) == [
                "response.created",
                "response.output_item.added",
                "conversation.item.added",
                DELTAS,
                "response.function_call_arguments.done",
                "conversation.item.done",
                "response.output_item.done",
                "response.done",
            ]
            assert delta_types(events) == {"response.function_call_arguments.delta"}
            args = next(e for e in events if e.type == "response.function_call_arguments.done")
            assert args.name == "get_weather"
            assert args.arguments == '{"city":"Paris"}'
            call = events[-1].response.output[0]
            assert call.type == "function_call"
            assert call.name == "get_weather"
            assert call.call_id == args.call_id
            assert events[-1].response.status == "completed"
            await recv_until(conn, "rate_limits.updated")

            await conn.conversation.item.create(
                item={"type": "function_call_output", "call_id": call.call_id, "output": "sunny"}
            )
            events = await recv_until(conn, "conversation.item.done")
            assert kinds(events) == ["conversation.item.added", "conversation.item.done"]
            await conn.response.create()
            events = await recv_until(conn, "response.done")
            assert shape(events) == TEXT_RESPONSE
            assert events[-1].response.output[0].content[0].text == "It is sunny in Paris."

    run(main())


# A cancelled audio response after speech started (barge-in): what closes, in order.
CANCELLED_AUDIO = [
    "input_audio_buffer.speech_started",
    "response.output_audio.done",
    "response.output_audio_transcript.done",
    "response.content_part.done",
    "conversation.item.done",
    "response.output_item.done",
    "response.done",
]

LONG_TEXT = " ".join(["Please tell me a long story about the sea and the ships that sail on it."] * 4)


def test_client_cancel_mid_audio_closes_the_item_first(server):
    async def main():
        async with ga(server).realtime.connect(model=MODEL) as conn:
            await recv_until(conn, "session.created")
            await user_text(conn, LONG_TEXT)
            await recv_until(conn, "conversation.item.done")
            await conn.response.create()
            first = await recv_until(conn, "response.output_audio.delta")
            await conn.response.cancel()
            events = await recv_until(conn, "response.done")
            rest = [k for k in kinds(events) if not k.endswith(".delta")]
            assert rest == CANCELLED_AUDIO[1:], rest
            sent = "".join(e.delta for e in first + events if e.type == "response.output_audio_transcript.delta")
            transcript_done = next(e for e in events if e.type == "response.output_audio_transcript.done")
            assert transcript_done.transcript == sent
            item_done = next(e for e in events if e.type == "response.output_item.done")
            assert item_done.item.status == "incomplete"
            done = events[-1]
            assert done.response.status == "cancelled"
            assert done.response.status_details.reason == "client_cancelled"
            assert done.response.output == [item_done.item]
            assert done.response.output[0].content[0].transcript == sent
            check_usage(done, audio_out=True)

    run(main())


def test_client_cancel_mid_text_keeps_the_text_sent(server):
    async def main():
        async with ga(server).realtime.connect(model=MODEL) as conn:
            await recv_until(conn, "session.created")
            await conn.session.update(session={"type": "realtime", "output_modalities": ["text"]})
            await recv_until(conn, "session.updated")
            await user_text(conn, LONG_TEXT * 3)
            await recv_until(conn, "conversation.item.done")
            await conn.response.create()
            first = await recv_until(conn, "response.output_text.delta")
            await conn.response.cancel()
            events = await recv_until(conn, "response.done")
            rest = [k for k in kinds(events) if not k.endswith(".delta")]
            assert rest == [
                "response.output_text.done",
                "response.content_part.done",
                "conversation.item.done",
                "response.output_item.done",
                "response.done",
            ], rest
            sent = "".join(e.delta for e in first + events if e.type == "response.output_text.delta")
            assert events[-1].response.output[0].content[0].text == sent
            assert events[-1].response.output[0].status == "incomplete"
            check_usage(events[-1])

    run(main())


def test_barge_in_cancels_and_truncates(server, speech):
    async def main():
        async with ga(server).realtime.connect(model=MODEL) as conn:
            await recv_until(conn, "session.created")
            vad = {**SERVER_VAD, "create_response": False}
            await conn.session.update(session={"type": "realtime", "audio": {"input": {"turn_detection": vad}}})
            await recv_until(conn, "session.updated")
            await user_text(conn, "Tell me a story")
            await recv_until(conn, "conversation.item.done")
            await conn.response.create()
            first = await recv_until(conn, "response.output_audio.delta")
            assert shape(first)[:4] == AUDIO_RESPONSE[:4]
            assistant_id = first[1].item.id

            await stream(conn, speech)
            events = await recv_until(conn, "response.done")
            started = kinds(events).index("input_audio_buffer.speech_started")
            # The open part and item close before the cancelled response.done.
            assert kinds(events)[started:] == CANCELLED_AUDIO, kinds(events)
            done = events[-1]
            assert done.response.status == "cancelled"
            assert done.response.status_details.reason == "turn_detected"
            assert done.response.output[0].id == assistant_id
            assert done.response.output[0].status == "incomplete"
            assert done.response.output[0].content[0].type == "output_audio"
            sent = "".join(e.delta for e in first + events if e.type == "response.output_audio_transcript.delta")
            assert done.response.output[0].content[0].transcript == sent
            check_usage(done, audio_out=True)
            rest = await recv_until(conn, "conversation.item.done")
            assert kinds(rest)[-4:] == [
                "input_audio_buffer.speech_stopped",
                "input_audio_buffer.committed",
                "conversation.item.added",
                "conversation.item.done",
            ]

            await conn.conversation.item.truncate(item_id=assistant_id, content_index=0, audio_end_ms=100)
            events = await recv_until(conn, "conversation.item.truncated")
            assert kinds(events) == ["conversation.item.truncated"]
            assert events[0].item_id == assistant_id
            assert events[0].content_index == 0
            assert events[0].audio_end_ms == 100

    run(main())


async def expect_error(conn, code):
    events = await recv_until(conn, "error")
    assert kinds(events) == ["error"], kinds(events)
    error = events[0].error
    assert error.code == code, error
    assert error.type == "invalid_request_error"
    return error


def test_error_cases_leave_the_session_usable(server):
    async def main():
        async with ga(server).realtime.connect(model=MODEL) as conn:
            await recv_until(conn, "session.created")
            await conn.session.update(
                session={"type": "realtime", "output_modalities": ["text"], "audio": {"input": {"turn_detection": None}}}
            )
            await recv_until(conn, "session.updated")

            await conn.response.cancel(event_id="evt_cancel_1")
            error = await expect_error(conn, "response_cancel_not_active")
            assert error.event_id == "evt_cancel_1"

            await conn.input_audio_buffer.append(audio=base64.b64encode(bytes(CHUNK // 2)).decode())
            await conn.input_audio_buffer.commit(event_id="evt_commit_1")
            error = await expect_error(conn, "input_audio_buffer_commit_empty")
            assert error.event_id == "evt_commit_1"

            await conn.send_raw(json.dumps({"type": "no.such.event", "event_id": "evt_unknown_1"}))
            error = await expect_error(conn, "invalid_value")
            assert error.event_id == "evt_unknown_1"

            # Still usable: a text turn completes.
            await user_text(conn, "still there?")
            await recv_until(conn, "conversation.item.done")
            await conn.response.create()
            events = await recv_until(conn, "response.done")
            assert shape(events) == TEXT_RESPONSE
            assert events[-1].response.status == "completed"

    run(main())


# A completed beta response with audio: beta event names throughout.
BETA_AUDIO_RESPONSE = [
    "response.created",
    "response.output_item.added",
    "conversation.item.created",
    "response.content_part.added",
    DELTAS,
    "response.audio.done",
    "response.audio_transcript.done",
    "response.content_part.done",
    "response.output_item.done",
    "response.done",
]


async def beta_text_in_audio_out(conn):
    created = await recv_until(conn, "session.created")
    assert created[0].session.modalities is not None
    await conn.conversation.item.create(
        item={"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hello"}]}
    )
    events = await recv_until(conn, "conversation.item.created")
    assert kinds(events) == ["conversation.item.created"]
    assert events[0].item.content[0].text == "hello"
    await conn.response.create()
    events = await recv_until(conn, "response.done")
    assert shape(events) == BETA_AUDIO_RESPONSE
    assert delta_types(events) == {"response.audio.delta", "response.audio_transcript.delta"}
    done = events[-1]
    assert done.response.status == "completed"
    assert done.response.output[0].content[0].type == "audio"
    assert done.response.output[0].content[0].transcript == "I heard: hello"


def test_beta_connect_uses_beta_event_names(server):
    async def main():
        async with ga(server).beta.realtime.connect(model=MODEL) as conn:
            await beta_text_in_audio_out(conn)

    run(main())


def test_azure_beta_connect_with_api_key(auth_server):
    async def main():
        # The deployment is named after its model: the server reports the deployment as the
        # session's model, and the SDK's beta types only accept known model names there.
        async with azure(auth_server, API_KEY).beta.realtime.connect(model="gpt-4o-realtime-preview") as conn:
            await beta_text_in_audio_out(conn)

    run(main())


def test_azure_ga_connect_with_api_key(auth_server):
    async def main():
        async with azure(auth_server, API_KEY, "/openai/v1").realtime.connect(model="my-deployment") as conn:
            event = await recv(conn)
            assert isinstance(event, SessionCreatedEvent)
            assert event.session.type == "realtime"

    run(main())


def test_wrong_api_key_gets_an_error_and_a_close(auth_server):
    async def main():
        client = AsyncOpenAI(api_key="sk-wrong", websocket_base_url=auth_server.base + "/v1")
        async with client.realtime.connect(model=MODEL) as conn:
            event = await recv(conn)
            assert event.type == "error"
            assert event.error.code == "invalid_api_key"
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await recv(conn)
            assert closed.value.rcvd.code == 3000

    run(main())


def test_azure_wrong_api_key_gets_401_before_the_upgrade(auth_server):
    async def main():
        for path, connect in [
            ("/openai", lambda c: c.beta.realtime.connect(model="my-deployment")),
            ("/openai/v1", lambda c: c.realtime.connect(model="my-deployment")),
        ]:
            with pytest.raises(websockets.InvalidStatus) as refused:
                async with connect(azure(auth_server, "sk-wrong", path)):
                    pass
            assert refused.value.response.status_code == 401
            body = json.loads(refused.value.response.body)
            assert body["error"]["code"] == "401"

    run(main())


def test_beta_turn_detection_none_leaves_turns_to_the_client(auth_server, speech):
    async def main():
        client = azure(auth_server, API_KEY)
        async with client.beta.realtime.connect(model="gpt-4o-realtime-preview") as conn:
            await recv_until(conn, "session.created")
            # What Azure's SDKs send for "no turn detection".
            await conn.session.update(session={"turn_detection": {"type": "none"}})
            updated = await recv_until(conn, "session.updated")
            assert updated[-1].session.turn_detection is None
            await stream(conn, speech)
            await conn.input_audio_buffer.commit()
            events = await recv_until(conn, "conversation.item.created")
            assert kinds(events) == ["input_audio_buffer.committed", "conversation.item.created"]
            await conn.response.create()
            events = await recv_until(conn, "response.done")
            no_errors(events)
            assert shape(events) == BETA_AUDIO_RESPONSE
            assert events[-1].response.status == "completed"
            check_usage(events[-1], audio_in=True, audio_out=True)

    run(main())


def test_scripted_error_fails_the_response(server):
    async def main():
        async with ga(server).realtime.connect(model=MODEL) as conn:
            await recv_until(conn, "session.created")
            await conn.session.update(session={"type": "realtime", "output_modalities": ["text"]})
            await recv_until(conn, "session.updated")
            await user_text(conn, "Please fail this one")
            await recv_until(conn, "conversation.item.done")
            await conn.response.create()
            events = await recv_until(conn, "error")
            assert kinds(events) == ["response.created", "error"]
            created, error = events
            assert isinstance(error, RealtimeErrorEvent)
            assert error.error.type == "server_error"
            assert error.error.code == "overloaded"
            assert error.error.message == "The engine is overloaded."
            events = await recv_until(conn, "response.done")
            assert kinds(events) == ["response.done"]
            done = events[0].response
            assert done.id == created.response.id
            assert done.status == "failed"
            assert done.output == []
            details = done.status_details
            assert details.type == "failed"
            assert details.error.type == "server_error"
            assert details.error.code == "overloaded"
            assert details.error.message == "The engine is overloaded."
            assert (await recv(conn)).type == "rate_limits.updated"

            # The session goes on: the next turn completes.
            await user_text(conn, "hello again")
            await recv_until(conn, "conversation.item.done")
            await conn.response.create()
            events = await recv_until(conn, "response.done")
            assert shape(events) == TEXT_RESPONSE
            assert events[-1].response.status == "completed"

    run(main())


def test_scripted_drop_mid_response_closes_without_a_close_frame(server):
    async def main():
        async with ga(server).realtime.connect(model=MODEL) as conn:
            await recv_until(conn, "session.created")
            await conn.session.update(session={"type": "realtime", "output_modalities": ["text"]})
            await recv_until(conn, "session.updated")
            await user_text(conn, "Please drop the line")
            await recv_until(conn, "conversation.item.done")
            await conn.response.create()
            events = []
            with pytest.raises(websockets.ConnectionClosedError) as closed:
                while True:
                    events.append(await recv(conn))
            # Three events of the response, then the socket ends: no response.done, and no
            # close frame either way (1006, abnormal closure).
            assert kinds(events) == ["response.created", "response.output_item.added", "conversation.item.added"]
            assert closed.value.rcvd is None
            assert closed.value.sent is None

    run(main())


def test_items_retrieve_delete_and_an_out_of_band_response(server):
    async def main():
        async with ga(server).realtime.connect(model=MODEL) as conn:
            await recv_until(conn, "session.created")
            await user_text(conn, "remember this")
            added = (await recv_until(conn, "conversation.item.done"))[0]
            item_id = added.item.id
            await conn.conversation.item.retrieve(item_id=item_id)
            retrieved = (await recv_until(conn, "conversation.item.retrieved"))[-1]
            assert retrieved.item.id == item_id
            assert retrieved.item.content[0].text == "remember this"
            # Out of band: its own input, outside the conversation, with metadata.
            await conn.response.create(
                response={
                    "conversation": "none",
                    "output_modalities": ["text"],
                    "metadata": {"topic": "summary"},
                    "input": [
                        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "summarize"}]}
                    ],
                }
            )
            events = await recv_until(conn, "response.done")
            no_errors(events)
            assert "conversation.item.added" not in kinds(events)
            done = events[-1].response
            assert done.conversation_id is None
            assert done.metadata == {"topic": "summary"}
            assert done.output[0].content[0].text == "I heard: summarize"
            await conn.conversation.item.delete(item_id=item_id)
            deleted = (await recv_until(conn, "conversation.item.deleted"))[-1]
            assert deleted.item_id == item_id
            await conn.conversation.item.retrieve(item_id=item_id)
            error = (await recv_until(conn, "error"))[-1]
            assert error.error.code == "invalid_value"

    run(main())


def test_g711_output_and_a_voice_override_for_one_response(server):
    async def main():
        async with ga(server).realtime.connect(model=MODEL) as conn:
            await recv_until(conn, "session.created")
            await conn.session.update(
                session={"type": "realtime", "audio": {"output": {"format": {"type": "audio/pcmu"}}}}
            )
            updated = (await recv_until(conn, "session.updated"))[-1]
            assert updated.session.audio.output.format.type == "audio/pcmu"
            await user_text(conn, "hello")
            await recv_until(conn, "conversation.item.done")
            await conn.response.create(response={"audio": {"output": {"voice": "verse"}}})
            events = await recv_until(conn, "response.done")
            no_errors(events)
            assert shape(events) == AUDIO_RESPONSE
            assert events[0].response.audio.output.voice == "verse"
            first = next(e for e in events if e.type == "response.output_audio.delta")
            # 200 ms of 8 kHz G.711: 1600 bytes.
            assert len(base64.b64decode(first.delta)) == 1600

    run(main())


def test_transcription_session(server):
    async def main():
        client = ga(server)
        async with client.realtime.connect(extra_query={"intent": "transcription"}) as conn:
            created = (await recv_until(conn, "session.created"))[-1]
            assert created.session.type == "transcription"

    run(main())


def test_idle_timeout_triggers_a_response(server):
    async def main():
        async with ga(server).realtime.connect(model=MODEL) as conn:
            await recv_until(conn, "session.created")
            await conn.session.update(
                session={
                    "type": "realtime",
                    "output_modalities": ["text"],
                    "audio": {"input": {"turn_detection": {"type": "server_vad", "idle_timeout_ms": 5000}}},
                }
            )
            await recv_until(conn, "session.updated")
            await stream(conn, bytes(CHUNK * 55))  # 5.5 s of silence
            timeout = (await recv_until(conn, "input_audio_buffer.timeout_triggered"))[-1]
            assert timeout.audio_end_ms - timeout.audio_start_ms == 5000
            events = await recv_until(conn, "response.done")
            no_errors(events)
            assert kinds(events)[:4] == [
                "input_audio_buffer.committed",
                "conversation.item.added",
                "conversation.item.done",
                "response.created",
            ]
            assert events[-1].response.status == "completed"

    run(main())
