"""Microsoft's Azure Voice Live SDK (azure-ai-voicelive, pinned) against `rtclient serve`.

Voice Live speaks the beta event names with extensions of its own (an object voice, extra
session fields, `conversation.item.done`); the SDK parses every event into its typed models, so
a shape it does not know fails here.
"""

import asyncio

from azure.ai.voicelive.aio import connect
from azure.ai.voicelive.models import (
    InputTextContentPart,
    Modality,
    RequestSession,
    ServerEventResponseDone,
    ServerEventSessionCreated,
    UserMessageItem,
)
from azure.core.credentials import AzureKeyCredential

TIMEOUT = 20


def voice_live(server):
    return connect(
        credential=AzureKeyCredential("unused"),
        endpoint=server.http,
        model="gpt-realtime",
    )


async def recv_until(conn, last):
    events = []
    async with asyncio.timeout(TIMEOUT):
        while True:
            event = await conn.recv()
            events.append(event)
            if event.type == "error":
                raise AssertionError(f"unexpected error while waiting for {last}: {event}")
            if event.type == last:
                return events


def test_voice_live_text_and_audio_turns(server):
    async def main():
        async with voice_live(server) as conn:
            created = (await recv_until(conn, "session.created"))[-1]
            assert isinstance(created, ServerEventSessionCreated)
            assert created.session.voice == {"name": "alloy", "type": "openai"}
            await conn.session.update(session=RequestSession(modalities=[Modality.TEXT]))
            updated = (await recv_until(conn, "session.updated"))[-1]
            assert updated.session.modalities == [Modality.TEXT]
            await conn.conversation.item.create(
                item=UserMessageItem(content=[InputTextContentPart(text="hello there")])
            )
            await conn.response.create()
            events = await recv_until(conn, "response.done")
            types = [e.type for e in events]
            assert types[0] == "conversation.item.created"
            assert "response.created" in types and "conversation.item.done" in types
            text = "".join(e.delta for e in events if e.type == "response.text.delta")
            assert text == "I heard: hello there"
            done = events[-1]
            assert isinstance(done, ServerEventResponseDone)
            assert done.response.status == "completed"
            # Audio out: the beta audio names, PCM16 at 24 kHz.
            await conn.session.update(session=RequestSession(modalities=[Modality.TEXT, Modality.AUDIO]))
            await recv_until(conn, "session.updated")
            await conn.response.create()
            events = await recv_until(conn, "response.done")
            # The SDK hands audio deltas over decoded.
            audio = b"".join(e.delta for e in events if e.type == "response.audio.delta")
            assert len(audio) > 24_000  # more than half a second
            transcript = "".join(e.delta for e in events if e.type == "response.audio_transcript.delta")
            assert transcript == "I heard: hello there"
            assert events[-1].response.status == "completed"

    asyncio.run(main())
