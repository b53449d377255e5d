"""Diagnostics timings, however an utterance ends, and open-connection counts that are true."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest

from custom_components.dashscope.client import (
    AudioInput,
    AudioSpec,
    DashScopeTimeoutError,
    Endpointing,
    RecognitionParameters,
)

from .audio import chunks, tone
from .conftest import RunningServer
from .dashscope_server import TaskScript
from .test_client_inference import PARAMETERS, make_client, recognize, utterance
from .test_client_realtime_api import QWEN

AUDIO = AudioInput(AudioSpec("wav", "pcm", 16000), (16000, 8000), ("pcm", "opus"))


async def paced(seconds: float) -> AsyncIterator[bytes]:
    for chunk in chunks(tone(seconds)):
        yield chunk
        await asyncio.sleep(0)


# The silence after the last word that ends a sentence at the local server: the two models'
# documented defaults (fun-asr's `max_sentence_silence`, Qwen3's `silence_duration_ms`).
FUN_ASR_SILENCE = 1.3
QWEN_SILENCE = 0.8


@pytest.mark.parametrize(
    ("parameters", "on_service_end", "ended_by", "silence"),
    [
        (PARAMETERS, True, "service", FUN_ASR_SILENCE),
        (PARAMETERS, False, None, 0.0),
        (QWEN, True, "service", QWEN_SILENCE),
        (QWEN, False, None, 0.0),
    ],
    ids=[
        "inference-service-end",
        "inference-caller-end",
        "realtime-service-end",
        "realtime-caller-end",
    ],
)
async def test_timings_are_filled_however_the_utterance_ends(
    http: aiohttp.ClientSession,
    dashscope_server: RunningServer,
    parameters: RecognitionParameters,
    on_service_end: bool,
    ended_by: str | None,
    silence: float,
) -> None:
    """`finalize_seconds` is the felt wait: from the end of speech when the service ended it.

    The whole tone is sent at once, so the service has had far more audio than the silence
    when it ends the sentence; the end of speech is still the last word's end (or, without
    word times, when the text last changed), so the wait includes the silence that ended it.
    """
    client = make_client(http, dashscope_server)
    endpointing = Endpointing.for_voice_commands(on_service_end=on_service_end)
    outcome = await utterance(client, AUDIO, endpointing, parameters).run(paced(3.0))
    stats = outcome.stats
    assert outcome.transcript.text
    assert stats.ended_by == ended_by
    assert stats.first_result_seconds is not None
    assert 0 < stats.first_result_seconds < 3
    assert stats.finalize_seconds is not None
    if ended_by is None:  # from the end of the audio to the final result
        assert 0 <= stats.finalize_seconds < 1
    else:  # from the end of speech: at least the silence that ended the sentence
        assert silence - 0.1 <= stats.finalize_seconds < silence + 1


async def test_timings_of_a_failed_utterance(
    http: aiohttp.ClientSession, dashscope_server: RunningServer
) -> None:
    dashscope_server.queue(TaskScript(stall_finish=True, finalize_on_finish=False))
    client = make_client(http, dashscope_server, finish=0.2)
    outcome = await utterance(client, AUDIO, Endpointing(), PARAMETERS).run(paced(0.5))
    assert isinstance(outcome.error, DashScopeTimeoutError)
    assert outcome.stats.error_code == "DashScopeTimeoutError"
    assert outcome.stats.first_result_seconds is not None
    assert outcome.stats.finalize_seconds == pytest.approx(0.2, abs=0.15)


async def test_open_connections_do_not_count_what_the_server_closed(
    http: aiohttp.ClientSession, dashscope_server: RunningServer
) -> None:
    client = make_client(http, dashscope_server)
    await recognize(client, tone(0.5))
    assert client.connections.open_connections == 1
    await dashscope_server.stop_idle_connections()
    for _ in range(100):
        if not client.connections.open_connections:
            break
        await asyncio.sleep(0.01)
    assert client.connections.open_connections == 0
