"""The realtime protocol's recognition (Qwen3-ASR-Flash-Realtime) against the local server."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
import json
import time
from typing import Any

import aiohttp
import pytest

from custom_components.dashscope.client import (
    AudioInput,
    AudioSpec,
    DashScopeAuthError,
    DashScopeConnectionError,
    DashScopeError,
    DashScopeModelNotFoundError,
    DashScopeTaskError,
    DashScopeTimeoutError,
    Endpoint,
    Endpointing,
    Protocol,
    RecognitionParameters,
    Region,
)
from custom_components.dashscope.client.parameters import Parameter
from custom_components.dashscope.client.realtime_messages import (
    ErrorEvent,
    OtherEvent,
    TranscriptionText,
    append_audio,
    parse_realtime_event,
    session_update,
)

from .audio import chunks, tone
from .conftest import RunningServer
from .dashscope_server import TaskScript
from .test_client_inference import make_client, recognize, utterance

MODEL = "qwen3-asr-flash-realtime"
QWEN = RecognitionParameters(
    MODEL, 16000, language_hints=("zh",), protocol=Protocol.REALTIME, context="客厅, 吊灯"
)
MANUAL = RecognitionParameters(MODEL, 16000, protocol=Protocol.REALTIME, service_vad=False)


def test_the_realtime_url_sits_beside_the_inference_url() -> None:
    beijing = Endpoint.resolve(Region.BEIJING)
    assert (
        beijing.socket_url(Protocol.REALTIME, MODEL)
        == f"wss://dashscope.aliyuncs.com/api-ws/v1/realtime?model={MODEL}"
    )
    assert beijing.socket_url(Protocol.INFERENCE, MODEL) == beijing.websocket_url
    custom = Endpoint.resolve(Region.CUSTOM, url="ws://proxy.lan/asr?x=1&model=old")
    assert custom.socket_url(Protocol.REALTIME, MODEL) == (
        f"ws://proxy.lan/api-ws/v1/realtime?x=1&model={MODEL}"
    )
    workspace = Endpoint.resolve(Region.SINGAPORE_WORKSPACE, workspace_id="ws-1")
    assert workspace.socket_url(Protocol.REALTIME, MODEL).startswith(
        "wss://ws-1.ap-southeast-1.maas.aliyuncs.com/api-ws/v1/realtime?model="
    )


def test_session_update_carries_language_context_and_turns() -> None:
    parameters = RecognitionParameters(
        MODEL,
        8000,
        language_hints=("yue",),
        options=((Parameter.VAD_THRESHOLD.value, 0.1), (Parameter.VAD_SILENCE.value, 400)),
        protocol=Protocol.REALTIME,
        context="客厅",
    )
    event = json.loads(session_update(parameters))
    assert event["type"] == "session.update"
    assert event["event_id"].startswith("event_")
    session = event["session"]
    assert session["sample_rate"] == 8000
    assert session["input_audio_format"] == "pcm"
    assert session["input_audio_transcription"] == {"language": "yue", "corpus": {"text": "客厅"}}
    assert session["turn_detection"] == {
        "type": "server_vad",
        "threshold": 0.1,
        "silence_duration_ms": 400,
    }
    manual = json.loads(session_update(MANUAL))["session"]
    assert manual["turn_detection"] is None
    assert manual["input_audio_transcription"] == {}


def test_server_events_are_read_leniently() -> None:
    event = parse_realtime_event(
        json.dumps(
            {
                "type": "conversation.item.input_audio_transcription.text",
                "item_id": "item_1",
                "stash": "打开",
                "text": None,
                "new_field": 1,
            }
        )
    )
    assert event == TranscriptionText("item_1", "", "打开")
    error = parse_realtime_event('{"type": "error", "error": {"type": "invalid_request_error"}}')
    assert error == ErrorEvent("invalid_request_error", "invalid_request_error")
    assert isinstance(parse_realtime_event('{"type": "something.new"}'), OtherEvent)


async def test_vad_session_recognizes_and_sends_what_the_service_takes(
    http: aiohttp.ClientSession, dashscope_server: RunningServer
) -> None:
    dashscope_server.queue(TaskScript(sentences=["打开客厅的灯"], emotion=("happy", 1.0)))
    client = make_client(http, dashscope_server)
    transcript, texts = await recognize(client, tone(1.0), QWEN)
    assert transcript.text == "打开客厅的灯"
    assert texts[0] != texts[-1], "intermediate text arrives before the final"
    [sentence] = transcript.sentences
    assert sentence.emo_tag == "happy"
    assert sentence.language == "zh"
    assert sentence.begin_time is not None
    assert sentence.end_time is not None
    [session] = dashscope_server.qwen_sessions
    assert session.model == MODEL
    assert session.session_update is not None
    assert session.session_update["input_audio_transcription"]["corpus"] == {"text": "客厅, 吊灯"}
    assert set(session.append_sizes[:-1]) == {3200}, "100 ms of audio per append"
    assert bytes(session.audio) == tone(1.0)
    assert session.client_events[-1] == "session.finish"
    assert session.finished
    assert dashscope_server.violations == []
    await asyncio.sleep(0)
    assert client.connections.open_connections == 0, "one socket, one session"


@pytest.mark.parametrize("stash_mode", ["split", "stash_only"])
async def test_manual_turn_commits_before_finishing(
    http: aiohttp.ClientSession, dashscope_server: RunningServer, stash_mode: str
) -> None:
    dashscope_server.queue(TaskScript(sentences=["打开", "客厅的灯"], stash_mode=stash_mode))
    client = make_client(http, dashscope_server)
    transcript, _ = await recognize(client, tone(1.0), MANUAL)
    assert transcript.text == "打开客厅的灯"
    [session] = dashscope_server.qwen_sessions
    assert session.turn_detection is None
    assert session.client_events[-2:] == ["input_audio_buffer.commit", "session.finish"]
    assert dashscope_server.violations == []


async def test_silence_finishes_without_a_transcript(
    http: aiohttp.ClientSession, dashscope_server: RunningServer
) -> None:
    client = make_client(http, dashscope_server)
    await client.validate(MODEL)
    [session] = dashscope_server.qwen_sessions
    assert session.finished
    assert dashscope_server.violations == []


async def test_a_dropped_connection_replays_the_utterance(
    http: aiohttp.ClientSession, dashscope_server: RunningServer
) -> None:
    dashscope_server.queue(
        TaskScript(sentences=["打开客厅的灯"], close_after_bytes=8000), TaskScript(["打开客厅的灯"])
    )
    client = make_client(http, dashscope_server)
    transcript, _ = await recognize(client, tone(1.0), QWEN)
    assert transcript.text == "打开客厅的灯"
    _, second = dashscope_server.qwen_sessions
    assert bytes(second.audio) == tone(1.0), "the whole utterance, from its start"
    assert dashscope_server.violations == []


@pytest.mark.parametrize(
    ("script", "error"),
    [
        (TaskScript(fail_code="InternalError", fail_on="audio"), DashScopeTaskError),
        (TaskScript(fail_transcription=True), DashScopeTaskError),
        (
            TaskScript(fail_code="invalid_value", fail_type="invalid_request_error"),
            DashScopeTaskError,
        ),
    ],
    ids=["server_error", "failed_transcription", "refused_update"],
)
async def test_service_errors_end_the_recognition(
    http: aiohttp.ClientSession,
    dashscope_server: RunningServer,
    script: TaskScript,
    error: type[Exception],
) -> None:
    dashscope_server.queue(script)
    client = make_client(http, dashscope_server, finish=2.0)
    with pytest.raises(error):
        await recognize(client, tone(1.0), QWEN)


async def test_unknown_model_and_refused_key(
    http: aiohttp.ClientSession, dashscope_server: RunningServer
) -> None:
    client = make_client(http, dashscope_server)
    with pytest.raises(DashScopeModelNotFoundError):
        await client.validate("qwen3-asr-flash-realtime-2099-01-01")
    bad = make_client(http, dashscope_server, key="sk-wrong")
    with pytest.raises(DashScopeAuthError):
        await bad.validate(MODEL)


async def test_a_stalled_finish_is_bounded(
    http: aiohttp.ClientSession, dashscope_server: RunningServer
) -> None:
    """A final that never comes (no `.completed`, no `session.finished`) is a timeout."""
    dashscope_server.queue(TaskScript(stall_finish=True, finalize_on_finish=False))
    client = make_client(http, dashscope_server, finish=0.3)
    started = time.monotonic()
    with pytest.raises(DashScopeTimeoutError):
        await recognize(client, tone(0.5), QWEN)
    assert time.monotonic() - started < 2


async def test_the_service_vad_ends_a_voice_command(
    http: aiohttp.ClientSession, dashscope_server: RunningServer
) -> None:
    """With end of speech on, the first final text ends the command while audio still flows."""
    dashscope_server.queue(TaskScript(sentences=["打开客厅的灯"]))
    client = make_client(http, dashscope_server)
    audio = AudioInput(AudioSpec("wav", "pcm", 16000), (16000, 8000), ("pcm", "opus"))

    async def forever():
        for chunk in chunks(tone(30.0)):
            yield chunk
            await asyncio.sleep(0)

    endpointing = Endpointing.for_voice_commands(on_service_end=True)
    outcome = await utterance(client, audio, endpointing, QWEN).run(forever())
    assert outcome.transcript.text == "打开客厅的灯"
    assert outcome.ended_by == "service"
    assert outcome.audio_bytes < 16000 * 2 * 5, "stopped long before the length cap"


def test_base64_frames_decode_to_the_audio() -> None:
    frame = bytes(range(256)) * 10
    event = json.loads(append_audio(frame))
    assert base64.b64decode(event["audio"]) == frame


@pytest.mark.parametrize(
    ("fault", "error", "bound"),
    [
        ({"script": TaskScript(stall_start=True)}, DashScopeTimeoutError, 0.6),
        ({"script": TaskScript(malformed=True)}, DashScopeError, 0.5),
        ({"handshake_status": 403}, DashScopeAuthError, 0.5),
        ({"handshake_status": 500}, DashScopeConnectionError, 0.5),
        ({"script": TaskScript(close_after_bytes=0)}, DashScopeConnectionError, 1.0),
        (
            {"script": TaskScript(fail_code="InternalError", fail_on="finish")},
            DashScopeTaskError,
            1.0,
        ),
    ],
    ids=["stall_start", "malformed", "handshake_403", "handshake_500", "drop", "finish_error"],
)
async def test_every_fault_ends_clearly_within_its_bound(
    http: aiohttp.ClientSession,
    dashscope_server: RunningServer,
    fault: dict[str, Any],
    error: type[Exception],
    bound: float,
) -> None:
    if "script" in fault:
        # The drop repeats on the replay too: the reconnect is spent, the command fails.
        dashscope_server.queue(fault["script"], fault["script"])
    else:
        dashscope_server.handshake_status = fault["handshake_status"]
    client = make_client(http, dashscope_server, start=0.3, finish=0.3)
    started = time.monotonic()
    with pytest.raises(error):
        await recognize(client, tone(0.3), QWEN)
    assert time.monotonic() - started < bound


async def test_throttled_handshake_is_retried_once(
    http: aiohttp.ClientSession, dashscope_server: RunningServer
) -> None:
    dashscope_server.handshake_status = 429
    dashscope_server.handshake_refusals = 1
    client = make_client(http, dashscope_server)
    transcript, _ = await recognize(client, tone(1.0), QWEN)
    assert transcript.text == "打开客厅的灯。"


@pytest.mark.parametrize(
    ("endpointing", "service_turns"),
    [
        (Endpointing.for_voice_commands(on_service_end=True), True),
        (Endpointing.for_voice_commands(on_service_end=False), False),
        (Endpointing.for_recording(), True),
    ],
    ids=["service-ends", "caller-ends", "recording"],
)
async def test_the_audio_and_the_turns_enter_once(
    http: aiohttp.ClientSession,
    dashscope_server: RunningServer,
    endpointing: Endpointing,
    service_turns: bool,
) -> None:
    """The rate comes from the AudioInput (48 kHz sent as 16 kHz), the turns from the policy."""
    client = make_client(http, dashscope_server)
    audio = AudioInput(AudioSpec("wav", "pcm", 48000), (16000, 8000), ("pcm", "opus"))
    outcome = await utterance(client, audio, endpointing, QWEN).run(once(tone(0.5, rate=48000)))
    assert outcome.error is None
    [session] = dashscope_server.qwen_sessions
    assert session.session_update is not None
    assert session.session_update["sample_rate"] == 16000
    assert session.session_update["input_audio_format"] == "pcm"
    assert (session.turn_detection is not None) is service_turns


async def once(audio: bytes) -> AsyncIterator[bytes]:
    """Give all the audio at once, as a recording does."""
    yield audio
