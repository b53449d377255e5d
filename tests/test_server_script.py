"""The local DashScope server runs on its own, as a script."""

from __future__ import annotations

import asyncio
import sys

import aiohttp

from custom_components.dashscope.client import (
    DashScopeClient,
    DashScopeConnectionError,
    Endpoint,
    RecognitionParameters,
    Region,
)

from .audio import tone


async def test_server_runs_as_a_script(socket_enabled, unused_tcp_port_factory) -> None:
    port = unused_tcp_port_factory()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.dashscope_server",
        "--port",
        str(port),
        "--api-key",
        "sk-script",
        "--text",
        "你好。",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        endpoint = Endpoint.resolve(Region.CUSTOM, url=f"ws://127.0.0.1:{port}")
        async with aiohttp.ClientSession() as http:
            client = DashScopeClient(http, "sk-script", endpoint)
            for _ in range(100):
                try:
                    await client.validate("fun-asr-realtime")
                    break
                except DashScopeConnectionError:  # not listening yet
                    await asyncio.sleep(0.1)
            async with client.recognition(
                RecognitionParameters("fun-asr-realtime", 16000)
            ) as session:
                await session.send_audio(tone(0.5))
                await session.finish()
                texts = [transcript.text async for transcript in session.results()]
            await client.close()
        assert texts[-1] == "你好。"
    finally:
        process.terminate()
        await process.wait()
