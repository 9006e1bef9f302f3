import asyncio, base64, sys, subprocess
from openai import AsyncOpenAI
BASE = sys.argv[1]
async def main():
    client = AsyncOpenAI(api_key="x", websocket_base_url=BASE + "/v1")
    async with client.realtime.connect(model="gpt-realtime") as conn:
        e = await conn.recv(); print(type(e).__name__, e.type)
        await conn.session.update(session={"type":"realtime","output_modalities":["text"]})
        e = await conn.recv(); print(type(e).__name__, e.type)
        await conn.conversation.item.create(item={"type":"message","role":"user","content":[{"type":"input_text","text":"hello"}]})
        await conn.response.create()
        while True:
            e = await asyncio.wait_for(conn.recv(), 10); print(type(e).__name__, e.type)
            if e.type=="response.done": print(e.response.status, e.response.output); break
        e = await asyncio.wait_for(conn.recv(), 10); print(type(e).__name__, e.type)
asyncio.run(main())
