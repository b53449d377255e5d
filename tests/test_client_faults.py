"""A service that misbehaves: every fault ends in a clear result, within its bound, with at
most the budgeted connections (one reconnect, one throttled retry, one free replacement of a
kept connection that turned out dead), and no socket left open.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import gc
from pathlib import Path
import time

import aiohttp
import pytest

from custom_components.dashscope.client import (
    DashScopeClient,
    DashScopeConnectionError,
    DashScopeError,
    DashScopeTaskError,
    DashScopeTimeoutError,
    Endpointing,
    MessageError,
    Protocol,
    RecognitionParameters,
)

from .audio import tone
from .conftest import RunningServer
from .dashscope_server import TaskScript
from .test_client_inference import PARAMETERS, make_client, pcm_input, recognize, utterance
from .test_client_realtime_api import MANUAL, QWEN

TEXT = "打开客厅的灯。"
FAULT_BOUND = 1.0  # seconds: a fault that needs no deadline to show itself
DEEP = "[" * 100_000 + "]" * 100_000
HUGE = "1" + "0" * 400

PROTOCOLS = {"inference": PARAMETERS, "realtime": QWEN}


async def closed(server: RunningServer, client: DashScopeClient) -> bool:
    """Return True once neither side holds a socket of this client any more."""
    for _ in range(100):
        if not server.open_sockets and not client.connections.open_connections:
            return True
        await asyncio.sleep(0.01)
    return False


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("close", "closed the connection (code 1000) before the task started — is real-time"),
        ("abort", "before the task started"),
        ("oversize", "sent a message over the client's 4 MiB limit before the task started"),
    ],
    ids=["accept-then-close", "tcp-abort", "oversize-frame-before-start"],
)
@pytest.mark.parametrize("parameters", PROTOCOLS.values(), ids=PROTOCOLS.keys())
async def test_a_connection_that_fails_before_the_start_is_tried_twice(
    http: aiohttp.ClientSession,
    dashscope_server: RunningServer,
    parameters: RecognitionParameters,
    fault: str,
    message: str,
) -> None:
    """Never a reconnect storm: the first connection and one reconnect, then a clear error."""
    dashscope_server.connection_fault = fault  # type: ignore[assignment]
    client = make_client(http, dashscope_server)  # the default 10 s start timeout
    started = time.monotonic()
    with pytest.raises(DashScopeConnectionError) as info:
        await recognize(client, tone(0.5), parameters)
    assert time.monotonic() - started < FAULT_BOUND
    assert message in str(info.value)
    assert dashscope_server.connections == 2
    assert client.connections.handshakes == 2
    assert await closed(dashscope_server, client)


@pytest.mark.parametrize("model", ["fun-asr-realtime", "qwen3-asr-flash-realtime"])
async def test_a_validation_is_bounded_the_same_way(
    http: aiohttp.ClientSession, dashscope_server: RunningServer, model: str
) -> None:
    dashscope_server.connection_fault = "close"
    client = make_client(http, dashscope_server)
    started = time.monotonic()
    with pytest.raises(DashScopeConnectionError, match="before the task started"):
        await client.validate(model)
    assert time.monotonic() - started < FAULT_BOUND
    assert dashscope_server.connections == 2


async def test_a_start_that_never_comes_is_bounded_from_the_first_attempt(
    http: aiohttp.ClientSession, dashscope_server: RunningServer
) -> None:
    """A kept connection gone silent, then fresh ones that never start: one start deadline."""
    client = make_client(http, dashscope_server, start=0.8)
    await recognize(client, tone(0.5))
    dashscope_server.mute()
    dashscope_server.queue(TaskScript(stall_start=True), TaskScript(stall_start=True))
    started = time.monotonic()
    with pytest.raises(DashScopeTimeoutError):
        await recognize(client, tone(0.5))
    assert time.monotonic() - started < 0.8 + 0.3
    assert dashscope_server.connections == 2, "the kept one and one fresh"


async def test_a_dead_kept_connection_then_failing_ones_stay_within_the_budget(
    http: aiohttp.ClientSession, dashscope_server: RunningServer
) -> None:
    """Kept (silent) → free replacement → reconnect → the error: three connections in all."""
    client = make_client(http, dashscope_server)
    await recognize(client, tone(0.5))
    dashscope_server.mute()
    dashscope_server.connection_fault = "close"
    started = time.monotonic()
    with pytest.raises(DashScopeConnectionError, match="before the task started"):
        await recognize(client, tone(0.5))
    assert time.monotonic() - started < 0.6 + FAULT_BOUND
    assert dashscope_server.connections == 3
    assert await closed(dashscope_server, client)


async def test_a_half_open_kept_connection_costs_well_under_a_second(
    http: aiohttp.ClientSession, dashscope_server: RunningServer
) -> None:
    """The kept connection swallows everything; the audio goes to a fresh one, replayed."""
    client = make_client(http, dashscope_server)
    await recognize(client, tone(0.5))
    dashscope_server.mute()
    audio = tone(1.0)
    started = time.monotonic()
    outcome = await utterance(client, pcm_input(), Endpointing()).run(once(audio))
    elapsed = time.monotonic() - started
    assert outcome.error is None
    assert outcome.transcript.text == TEXT
    assert elapsed < 0.6 + 0.3, "the warm-start bound, not the 10 s start timeout"
    assert dashscope_server.connections == 2
    assert outcome.stats.reused_connection
    assert outcome.stats.attempts == 2
    assert outcome.stats.retried_after == [], "a free replacement, not a retry"
    assert bytes(dashscope_server.tasks[-1].audio) == audio, "replayed from the buffer"


@pytest.mark.parametrize("parameters", PROTOCOLS.values(), ids=PROTOCOLS.keys())
async def test_a_drop_after_the_finals_keeps_the_text_without_a_replay(
    http: aiohttp.ClientSession, dashscope_server: RunningServer, parameters: RecognitionParameters
) -> None:
    dashscope_server.queue(TaskScript(drop_before_finished=True))
    client = make_client(http, dashscope_server)
    started = time.monotonic()
    transcript, _ = await recognize(client, tone(1.0), parameters)
    assert transcript.text == TEXT
    assert time.monotonic() - started < 1.0 + FAULT_BOUND
    assert dashscope_server.connections == 1, "not recognized (and billed) twice"
    assert await closed(dashscope_server, client)


@pytest.mark.parametrize("parameters", PROTOCOLS.values(), ids=PROTOCOLS.keys())
async def test_a_missing_end_after_the_finals_returns_the_text_at_the_deadline(
    http: aiohttp.ClientSession, dashscope_server: RunningServer, parameters: RecognitionParameters
) -> None:
    dashscope_server.queue(TaskScript(stall_finish=True))
    client = make_client(http, dashscope_server, finish=0.3)
    started = time.monotonic()
    transcript, _ = await recognize(client, tone(1.0), parameters)
    assert transcript.text == TEXT
    assert time.monotonic() - started < 1.0 + 0.3 + 0.3
    assert dashscope_server.connections == 1
    assert await closed(dashscope_server, client)


@pytest.mark.parametrize("parameters", [QWEN, MANUAL], ids=["service-vad", "manual-turns"])
async def test_qwen_a_final_that_never_comes_is_an_error(
    http: aiohttp.ClientSession, dashscope_server: RunningServer, parameters: RecognitionParameters
) -> None:
    """`session.finished` with an item that never got its `.completed`: not passed off."""
    dashscope_server.queue(TaskScript(withhold_final=True))
    client = make_client(http, dashscope_server)
    started = time.monotonic()
    with pytest.raises(DashScopeTimeoutError, match="without the final text"):
        await recognize(client, tone(1.0), parameters)
    assert time.monotonic() - started < 1.0 + FAULT_BOUND
    assert dashscope_server.connections == 1


async def test_qwen_a_late_completed_keeps_the_next_items_words(
    http: aiohttp.ClientSession, dashscope_server: RunningServer
) -> None:
    dashscope_server.queue(
        TaskScript(sentences=["你好。", "今天天气怎么样？"], late_completed=True)
    )
    client = make_client(http, dashscope_server)
    transcript, texts = await recognize(client, tone(2.0), QWEN)
    assert transcript.text == "你好。今天天气怎么样？"
    assert [sentence.text for sentence in transcript.sentences] == ["你好。", "今天天气怎么样？"]
    shown = [text for text in texts if text.startswith("你好。今")]
    assert shown, "the second item's words came before the first item's .completed"
    after = texts[texts.index(shown[0]) :]
    assert all(text.startswith("你好。今") for text in after), "no words dropped"


async def test_qwen_a_manual_turn_under_100_ms_is_not_committed(
    http: aiohttp.ClientSession, dashscope_server: RunningServer
) -> None:
    """Under the service's minimum a commit is refused; the turn gives nothing, like silence."""
    # A service that recognizes only committed audio.
    dashscope_server.queue(TaskScript(finalize_on_finish=False))
    client = make_client(http, dashscope_server)
    transcript, _ = await recognize(client, tone(0.05) + b"\x01", MANUAL)
    assert transcript.text == ""
    [session] = dashscope_server.qwen_sessions
    assert session.commits == 0
    assert "input_audio_buffer.commit" not in session.client_events
    assert len(session.audio) % 2 == 0, "whole samples only"
    assert dashscope_server.violations == []


async def test_pcm_is_sent_in_whole_samples(
    http: aiohttp.ClientSession, dashscope_server: RunningServer
) -> None:
    client = make_client(http, dashscope_server)
    audio = tone(0.5) + b"\x01"
    await recognize(client, audio, MANUAL)
    await recognize(client, audio)
    assert bytes(dashscope_server.qwen_sessions[0].audio) == audio[:-1]
    assert bytes(dashscope_server.tasks[0].audio) == audio[:-1]
    assert dashscope_server.violations == []


RESULT = (
    '{"header":{"task_id":"%TASK_ID%","event":"result-generated"},'
    '"payload":{"output":{"sentence":SENTENCE}}}'
)
INFERENCE_FRAMES: dict[str, tuple[str, type[DashScopeError] | None]] = {
    "not-json": ("{'header': 1", MessageError),
    "not-an-object": ("[1, 2]", MessageError),
    "header-not-an-object": ('{"header": "x"}', MessageError),
    "payload-not-an-object": (
        '{"header":{"task_id":"%TASK_ID%","event":"result-generated"},"payload":[1]}',
        MessageError,
    ),
    "output-not-an-object-of-another-task": (
        '{"header":{"task_id":"x","event":"result-generated"},"payload":{"output":"x"}}',
        MessageError,
    ),
    "nested-100000-deep": ('{"header":' + DEEP + "}", MessageError),
    "time-of-400-digits": (RESULT.replace("SENTENCE", f'{{"text":"","begin_time":{HUGE}}}'), None),
    "fields-of-the-wrong-type": (
        RESULT.replace(
            "SENTENCE", '{"text":{"a":1},"emo_tag":[1],"sentence_end":"no","end_time":"x"}'
        ),
        None,
    ),
    "task-failed-with-an-object-code": (
        '{"header":{"task_id":"%TASK_ID%","event":"task-failed","error_code":{"a":1}}}',
        DashScopeTaskError,
    ),
}
REALTIME_FRAMES: dict[str, tuple[str, type[DashScopeError] | None]] = {
    "not-json": ("{'type': 1", MessageError),
    "not-an-object": ('"session.updated"', MessageError),
    "type-not-text": ('{"type": ["error"]}', MessageError),
    "nested-100000-deep": ('{"type":"x","a":' + DEEP + "}", MessageError),
    "time-of-400-digits": (
        '{"type":"input_audio_buffer.speech_stopped","item_id":"x","audio_end_ms":' + HUGE + "}",
        None,
    ),
    "error-not-an-object": ('{"type":"error","error":"boom"}', DashScopeTaskError),
}


@pytest.mark.parametrize(
    ("frame", "outcome"), INFERENCE_FRAMES.values(), ids=INFERENCE_FRAMES.keys()
)
async def test_hostile_inference_frames(
    http: aiohttp.ClientSession,
    dashscope_server: RunningServer,
    frame: str,
    outcome: type[DashScopeError] | None,
) -> None:
    await _hostile(http, dashscope_server, PARAMETERS, frame, outcome)


@pytest.mark.parametrize(("frame", "outcome"), REALTIME_FRAMES.values(), ids=REALTIME_FRAMES.keys())
async def test_hostile_realtime_frames(
    http: aiohttp.ClientSession,
    dashscope_server: RunningServer,
    frame: str,
    outcome: type[DashScopeError] | None,
) -> None:
    await _hostile(http, dashscope_server, QWEN, frame, outcome)


async def _hostile(
    http: aiohttp.ClientSession,
    server: RunningServer,
    parameters: RecognitionParameters,
    frame: str,
    outcome: type[DashScopeError] | None,
) -> None:
    """A frame the client cannot read ends the task with a DashScope error (and no retry)."""
    server.queue(TaskScript(raw_after_start=(frame,)))
    client = make_client(http, server)
    started = time.monotonic()
    if outcome is None:
        transcript, _ = await recognize(client, tone(1.0), parameters)
        assert transcript.text == TEXT
    else:
        with pytest.raises(outcome):
            await recognize(client, tone(1.0), parameters)
    assert time.monotonic() - started < 1.0 + FAULT_BOUND
    assert server.connections == 1
    if outcome is not None:
        assert await closed(server, client), "a task that failed closes its socket"


@pytest.mark.parametrize("protocol", list(Protocol), ids=["inference", "realtime"])
async def test_a_hostile_frame_in_the_background_finish_closes_the_socket(
    http: aiohttp.ClientSession, dashscope_server: RunningServer, protocol: Protocol
) -> None:
    """After the caller has its answer, the task ends in the background; a bad frame there
    closes its socket instead of leaking it."""
    parameters = PARAMETERS if protocol is Protocol.INFERENCE else QWEN
    dashscope_server.queue(TaskScript(raw_after_finish=('{"header":' + DEEP + "}",)))
    client = make_client(http, dashscope_server)
    assert await ended_by_the_service(client, parameters) == TEXT
    assert await closed(dashscope_server, client)


async def ended_by_the_service(client: DashScopeClient, parameters: RecognitionParameters) -> str:
    """Return the text once a sentence ended; the task finishes in the background."""
    async with client.recognition(parameters) as session:
        await session.send_audio(tone(2.0))  # the sentence, then silence that ends it
        async for transcript in session.results():
            if transcript.sentences:
                break
        await session.finish_early()
    return session.transcript.text


async def once(audio: bytes) -> AsyncIterator[bytes]:
    """Give all the audio at once, as a recording does."""
    yield audio


def open_fds() -> int:
    return sum(1 for _ in Path("/proc/self/fd").iterdir())


async def test_no_socket_is_left_open_after_twenty_faulted_utterances(
    http: aiohttp.ClientSession, dashscope_server: RunningServer
) -> None:
    client = make_client(http, dashscope_server, finish=0.2)
    await recognize(client, tone(0.5))
    await client.connections.close_idle()
    assert await closed(dashscope_server, client)
    gc.collect()
    before = open_fds()
    deep = '{"header":' + DEEP + "}"
    faults = [
        TaskScript(raw_after_start=(deep,)),
        TaskScript(raw_after_finish=(deep,)),  # in the background finish
        TaskScript(close_after_bytes=3200),
        TaskScript(drop_before_finished=True),
        TaskScript(stall_finish=True, finalize_on_finish=False),
    ]
    outcomes: list[str] = []
    for number in range(20):
        script = faults[number % len(faults)]
        dashscope_server.queue(script)
        parameters = PARAMETERS if number % 2 else QWEN
        try:
            if script.raw_after_finish:
                await ended_by_the_service(client, parameters)
            else:
                await recognize(client, tone(0.5), parameters)
            outcomes.append("text")
        except DashScopeError as err:
            outcomes.append(type(err).__name__)
    await client.connections.close_idle()
    assert await closed(dashscope_server, client)
    gc.collect()
    after = open_fds()
    assert after <= before, f"{before} → {after} file descriptors; outcomes {outcomes}"
    assert {"text", "MessageError", "DashScopeTimeoutError"} <= set(outcomes)


async def test_a_start_given_up_by_the_caller_ends_in_its_error_at_once(
    http: aiohttp.ClientSession, dashscope_server: RunningServer
) -> None:
    """`give_up_start` (the fallback's stall rule): a stalled start fails with the caller's
    error when it says so, not at the account's start timeout; a prompt start is unaffected."""
    client = make_client(http, dashscope_server, start=5.0)
    given_up = DashScopeTimeoutError("given up")

    async def soon() -> DashScopeError:
        await asyncio.sleep(0.2)
        return given_up

    dashscope_server.queue(TaskScript(stall_start=True))
    started = time.monotonic()
    outcome = await utterance(client, pcm_input(), Endpointing()).run(
        once(tone(0.5)), give_up_start=soon
    )
    assert outcome.error is given_up
    assert time.monotonic() - started < 0.2 + FAULT_BOUND
    assert outcome.stats.error_code == "DashScopeTimeoutError"

    async def never() -> DashScopeError:
        await asyncio.Event().wait()
        raise AssertionError

    outcome = await utterance(client, pcm_input(), Endpointing()).run(
        once(tone(0.5)), give_up_start=never
    )
    assert outcome.error is None
    assert outcome.transcript.text == TEXT
