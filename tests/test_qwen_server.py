"""The local server's Qwen3-ASR-Flash-Realtime protocol, driven by a plain WebSocket client."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator, Callable
import contextlib
import json
from typing import Any
import uuid

import aiohttp
import pytest

from .audio import chunks, tone
from .conftest import API_KEY, RunningServer
from .dashscope_server import TaskScript

MODEL = "qwen3-asr-flash-realtime"
TEXT = "conversation.item.input_audio_transcription.text"
COMPLETED = "conversation.item.input_audio_transcription.completed"
FAILED = "conversation.item.input_audio_transcription.failed"
VAD = {"type": "server_vad", "threshold": 0.0, "silence_duration_ms": 400}
# 4 characters of speech in 1280 bytes (40 ms of 16 kHz PCM); 400 ms of silence is 12,800 bytes.
SHORT = TaskScript(sentences=["打开灯。"], bytes_per_char=320)


def realtime_url(server: RunningServer, model: str | None = MODEL) -> str:
    url = server.url.replace("/api-ws/v1/inference", "/api-ws/v1/realtime")
    return url if model is None else f"{url}?model={model}"


class Realtime:
    """A bare realtime client: sends events with ids, reads events one by one."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws

    async def send(self, event_type: str, **fields: Any) -> str:
        event_id = "event_" + uuid.uuid4().hex
        await self.ws.send_str(json.dumps({"event_id": event_id, "type": event_type, **fields}))
        return event_id

    async def update(self, **session: Any) -> str:
        return await self.send("session.update", session=session)

    async def append(self, audio: bytes, size: int = 3200) -> None:
        for chunk in chunks(audio, size):
            await self.send("input_audio_buffer.append", audio=base64.b64encode(chunk).decode())

    async def next(self, wait: float = 2.0) -> dict[str, Any]:
        message = await self.ws.receive(timeout=wait)
        assert message.type is aiohttp.WSMsgType.TEXT, message
        return json.loads(message.data)

    async def until(self, event_type: str, wait: float = 2.0) -> list[dict[str, Any]]:
        """Return the events up to and including the first of `event_type`."""
        events = [await self.next(wait)]
        while events[-1]["type"] != event_type:
            events.append(await self.next(wait))
        return events

    async def closed(self, wait: float = 2.0) -> list[dict[str, Any]]:
        """Return the events until the server closes the connection."""
        events = []
        while True:
            message = await self.ws.receive(timeout=wait)
            if message.type is not aiohttp.WSMsgType.TEXT:
                return events
            events.append(json.loads(message.data))

    async def drain(self, seconds: float = 0.3) -> list[dict[str, Any]]:
        """Return the events received until the server has been quiet for a while."""
        events = []
        with contextlib.suppress(TimeoutError):
            while True:
                events.append(await self.next(seconds))
        return events

    async def silent(self, seconds: float = 0.3) -> None:
        """Assert the server sends nothing for a while."""
        with pytest.raises(TimeoutError):
            await self.ws.receive(timeout=seconds)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def connect(http: aiohttp.ClientSession, dashscope_server: RunningServer):
    @contextlib.asynccontextmanager
    async def connect(
        model: str | None = MODEL, key: str = API_KEY, *, created: bool = True
    ) -> AsyncIterator[Realtime]:
        headers = {"Authorization": f"Bearer {key}"}
        async with http.ws_connect(realtime_url(dashscope_server, model), headers=headers) as ws:
            client = Realtime(ws)
            if created:
                assert (await client.next())["type"] == "session.created"
            yield client

    return connect


def types(events: list[dict[str, Any]]) -> list[str]:
    return [event["type"] for event in events]


async def settle(condition: Callable[[], bool]) -> None:
    """Wait for the server to catch up with what the client already saw."""
    for _ in range(100):
        if condition():
            return
        await asyncio.sleep(0.01)
    assert condition()


async def test_session_created_shows_the_documented_defaults(connect, dashscope_server) -> None:
    async with connect(created=False) as client:
        created = await client.next()
    assert created["type"] == "session.created"
    assert created["event_id"].startswith("event_")
    session = created["session"]
    assert session["id"].startswith("sess_")
    assert session["object"] == "realtime.session"
    assert session["model"] == MODEL
    assert session["modalities"] == ["text"]
    assert session["turn_detection"] == {
        "type": "server_vad",
        "threshold": 0.2,
        "silence_duration_ms": 800,
    }
    [recorded] = dashscope_server.qwen_sessions
    assert recorded.model == MODEL
    assert recorded.query == {"model": MODEL}
    assert dashscope_server.violations == []


async def test_vad_flow_reports_each_utterance_in_order(connect, dashscope_server) -> None:
    dashscope_server.queue(SHORT)
    async with connect() as client:
        await client.update(
            input_audio_format="pcm",
            sample_rate=16000,
            input_audio_transcription={"language": "zh"},
            turn_detection=VAD,
        )
        assert (await client.next())["type"] == "session.updated"
        await client.append(tone(0.5), size=320)
        events = await client.until(COMPLETED)
        await client.send("session.finish")
        assert types(await client.until("session.finished")) == ["session.finished"]
    kinds = types(events)
    assert kinds[0] == "input_audio_buffer.speech_started"
    assert kinds[-4:] == [
        "input_audio_buffer.speech_stopped",
        "input_audio_buffer.committed",
        "conversation.item.created",
        COMPLETED,
    ]
    assert set(kinds[1:-4]) == {TEXT}
    item_id = events[0]["item_id"]
    assert {event.get("item_id", event.get("item", {}).get("id")) for event in events} == {item_id}
    assert events[0]["audio_start_ms"] == 0
    assert events[-4]["audio_end_ms"] == 40  # where the speech ended, not the silence
    assert events[-3]["previous_item_id"] is None
    completed = events[-1]
    assert completed["transcript"] == "打开灯。"
    assert completed["language"] == "zh"
    assert completed["emotion"] == "neutral"
    assert completed["content_index"] == 0
    states = [event["text"] + event["stash"] for event in events if event["type"] == TEXT]
    assert states == ["打", "打开", "打开灯", "打开灯。"]  # each restates the whole utterance
    [session] = dashscope_server.qwen_sessions
    assert session.append_sizes == [320] * 50
    assert session.finished
    assert dashscope_server.violations == []


async def test_the_last_sentence_ends_after_the_silence_duration(connect) -> None:
    async with connect() as client:
        await client.update(turn_detection=VAD)
        speech_and_silence = len("打开客厅的灯。") * 1600 + 400 * 32
        await client.append(tone(1.0)[: speech_and_silence - 320])
        events = await client.drain()
        assert types(events)[:2] == ["session.updated", "input_audio_buffer.speech_started"]
        assert COMPLETED not in types(events)
        await client.append(bytes(320))
        assert (await client.until(COMPLETED))[-1]["transcript"] == "打开客厅的灯。"


async def test_sentences_are_separate_items_unless_the_pause_is_short(
    connect, dashscope_server
) -> None:
    sentences = ["打开灯。", "关上门。"]
    dashscope_server.queue(
        TaskScript(sentences=sentences, bytes_per_char=320),
        TaskScript(sentences=sentences, bytes_per_char=320, pause_ms=200),
    )
    results = []
    for _ in range(2):
        async with connect() as client:
            await client.update(turn_detection=VAD)
            await client.append(tone(1.0))
            await client.send("session.finish")
            events = await client.until("session.finished")
        results.append([event for event in events if event["type"] == COMPLETED])
    separate, merged = results
    assert [event["transcript"] for event in separate] == sentences
    assert [event["transcript"] for event in merged] == ["打开灯。关上门。"]
    committed = dashscope_server.qwen_sessions[0].of_type("input_audio_buffer.committed")
    assert committed[1]["previous_item_id"] == committed[0]["item_id"]


async def test_finish_recognizes_the_pending_speech(connect) -> None:
    async with connect() as client:
        await client.append(tone(0.1))  # 3,200 bytes: two of the seven characters, no silence
        await client.send("session.finish")
        events = await client.until("session.finished")
    assert types(events)[-5:] == [
        "input_audio_buffer.speech_stopped",
        "input_audio_buffer.committed",
        "conversation.item.created",
        COMPLETED,
        "session.finished",
    ]
    assert events[-2]["transcript"] == "打开"


async def test_finish_without_speech_is_answered_by_session_finished_alone(connect) -> None:
    async with connect() as client:
        await client.update(turn_detection=VAD)
        await client.send("session.finish")
        assert types(await client.until("session.finished")) == [
            "session.updated",
            "session.finished",
        ]


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("split", [("", "打"), ("", "打开"), ("打", "开灯"), ("打开", "灯。")]),
        ("stash_only", [("", "打"), ("", "打开"), ("", "打开灯"), ("", "打开灯。")]),
    ],
)
async def test_intermediate_results_split_text_and_stash(
    connect, dashscope_server, mode, expected
) -> None:
    dashscope_server.queue(TaskScript(sentences=["打开灯。"], bytes_per_char=320, stash_mode=mode))
    async with connect() as client:
        await client.append(tone(1.0), size=320)
        events = await client.until(COMPLETED)
    assert [(event["text"], event["stash"]) for event in events if event["type"] == TEXT] == (
        expected
    )


async def test_manual_mode_recognizes_each_commit(connect, dashscope_server) -> None:
    dashscope_server.queue(TaskScript(sentences=["打开灯。", "关上门。"], bytes_per_char=534))
    async with connect() as client:
        await client.update(turn_detection=None)
        assert (await client.next())["session"]["turn_detection"] is None
        await client.append(tone(0.1))  # 3,200 bytes (the least a commit takes): five characters
        await client.silent()
        await client.send("input_audio_buffer.commit")
        first = await client.until(COMPLETED)
        await client.append(tone(0.5))
        await client.send("input_audio_buffer.commit")
        second = await client.until(COMPLETED)
        await client.send("session.finish")
        assert types(await client.until("session.finished")) == ["session.finished"]
    assert types(first) == [
        "input_audio_buffer.committed",
        "conversation.item.created",
        TEXT,
        COMPLETED,
    ]
    assert first[-1]["transcript"] == "打开灯。关"
    assert second[-1]["transcript"] == "上门。"
    assert second[0]["previous_item_id"] == first[0]["item_id"]
    [session] = dashscope_server.qwen_sessions
    assert session.commits == 2
    assert session.turn_detection is None
    assert dashscope_server.violations == []


async def test_manual_finish_recognizes_audio_not_committed(connect) -> None:
    async with connect() as client:
        await client.update(turn_detection=None)
        await client.append(tone(0.1))
        await client.send("session.finish")
        events = await client.until("session.finished")
    assert [event["transcript"] for event in events if event["type"] == COMPLETED] == ["打开"]


async def test_commit_is_refused_in_vad_mode_and_on_an_empty_buffer(
    connect, dashscope_server
) -> None:
    async with connect() as client:
        commit = await client.send("input_audio_buffer.commit")
        vad_error = await client.next()
        await client.update(turn_detection=None)
        await client.until("session.updated")
        await client.send("input_audio_buffer.commit")
        empty_error = await client.next()
        await client.send("session.finish")  # the connection stayed open
        await client.until("session.finished")
    assert vad_error["type"] == "error"
    assert vad_error["error"]["type"] == "invalid_request_error"
    assert vad_error["error"]["event_id"] == commit
    assert "VAD" in vad_error["error"]["message"]
    assert empty_error["error"]["param"] == "input_audio_buffer"
    assert empty_error["error"]["code"] == "input_audio_buffer_commit_empty"
    assert len(dashscope_server.violations) == 2
    assert dashscope_server.qwen_sessions[0].commits == 0


async def test_a_manual_utterance_longer_than_60_s_is_an_error(connect, dashscope_server) -> None:
    async with connect() as client:
        await client.update(turn_detection=None)
        await client.until("session.updated")
        await client.append(bytes(60 * 32000), size=960_000)
        await client.silent(0.2)
        await client.append(bytes(3200))
        error = await client.next()
    assert error["error"]["param"] == "input_audio_buffer"
    assert dashscope_server.violations == [
        "input_audio_buffer.append: an utterance is at most 60 s of audio"
    ]


async def test_the_sdk_shaped_update_is_accepted_and_merged(connect, dashscope_server) -> None:
    async with connect() as client:
        await client.update(
            modalities=["text"],
            voice=None,
            input_audio_format="pcm",
            output_audio_format="pcm16",
            input_audio_transcription={"language": "en", "corpus": {"text": "客厅 卧室 lamp"}},
            turn_detection={**VAD, "prefix_padding_ms": 300},
            sample_rate=8000,
        )
        updated = await client.next()
    assert updated["type"] == "session.updated"
    session = updated["session"]
    assert session["sample_rate"] == 8000
    assert session["input_audio_transcription"] == {
        "language": "en",
        "corpus": {"text": "客厅 卧室 lamp"},
    }
    assert session["turn_detection"] == VAD
    assert dashscope_server.qwen_sessions[0].session_update["voice"] is None
    assert dashscope_server.violations == []


@pytest.mark.parametrize(
    ("session", "param"),
    [
        ({"input_audio_format": "wav"}, "session.input_audio_format"),
        ({"sample_rate": 44100}, "session.sample_rate"),
        ({"sample_rate": "16000"}, "session.sample_rate"),
        (
            {"input_audio_transcription": {"language": "xx"}},
            "session.input_audio_transcription.language",
        ),
        ({"input_audio_transcription": "zh"}, "session.input_audio_transcription"),
        (
            {"input_audio_transcription": {"corpus": {"text": 5}}},
            "session.input_audio_transcription.corpus.text",
        ),
        (
            {"input_audio_transcription": {"corpus": {"text": "灯" * 10_001}}},
            "session.input_audio_transcription.corpus.text",
        ),
        (
            {"input_audio_transcription": {"corpus": {"text": "lamp " * 10_001}}},
            "session.input_audio_transcription.corpus.text",
        ),
        ({"turn_detection": {"type": "semantic_vad"}}, "session.turn_detection.type"),
        ({"turn_detection": {"threshold": 1.5}}, "session.turn_detection.threshold"),
        (
            {"turn_detection": {"silence_duration_ms": 100}},
            "session.turn_detection.silence_duration_ms",
        ),
        (
            {"turn_detection": {"silence_duration_ms": 6001}},
            "session.turn_detection.silence_duration_ms",
        ),
        (
            {"turn_detection": {"silence_duration_ms": 800.0}},
            "session.turn_detection.silence_duration_ms",
        ),
        ({"turn_detection": "server_vad"}, "session.turn_detection"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
async def test_an_invalid_update_is_refused_and_the_session_stays_open(
    connect, dashscope_server, session, param
) -> None:
    async with connect() as client:
        event_id = await client.update(**session)
        error = await client.next()
        await client.send("session.finish")
        assert types(await client.until("session.finished")) == ["session.finished"]
    assert error["type"] == "error"
    assert error["error"]["type"] == "invalid_request_error"
    assert error["error"]["code"] == "invalid_value"
    assert error["error"]["param"] == param
    assert error["error"]["event_id"] == event_id
    assert error["event_id"].startswith("event_")
    [violation] = dashscope_server.violations
    assert param in violation
    assert dashscope_server.qwen_sessions[0].turn_detection == {
        "type": "server_vad",
        "threshold": 0.2,
        "silence_duration_ms": 800,
    }


async def test_a_corpus_within_the_token_limit_is_accepted(connect, dashscope_server) -> None:
    async with connect() as client:
        await client.update(input_audio_transcription={"corpus": {"text": "灯" * 10_000}})
        assert (await client.next())["type"] == "session.updated"
    assert dashscope_server.violations == []


@pytest.mark.parametrize(
    ("audio", "message"),
    [
        ("not base64!", "audio must be base64"),
        (base64.b64encode(bytes(3)).decode(), "not whole samples"),
        (None, "audio must be base64"),
        (base64.b64encode(bytes(15 * 1024 * 1024 + 2)).decode(), "at most 15 MiB"),
    ],
    ids=["garbage", "odd", "missing", "too-big"],
)
async def test_an_invalid_append_is_refused(connect, dashscope_server, audio, message) -> None:
    async with connect() as client:
        fields = {} if audio is None else {"audio": audio}
        event_id = await client.send("input_audio_buffer.append", **fields)
        error = await client.next()
    assert error["error"]["param"] == "audio"
    assert error["error"]["event_id"] == event_id
    assert message in dashscope_server.violations[0]
    assert dashscope_server.qwen_sessions[0].append_sizes == []


async def test_a_large_append_is_taken_and_recorded(connect, dashscope_server) -> None:
    async with connect() as client:
        await client.append(tone(2.0), size=64000)
        await client.until(COMPLETED)
    assert dashscope_server.qwen_sessions[0].append_sizes == [64000]
    assert dashscope_server.violations == []


@pytest.mark.parametrize(
    ("frame", "violation"),
    [
        (b"\x00\x01", "binary frame of 2 bytes"),
        ("{nope", "malformed event"),
        ('["session.finish"]', "malformed event"),
        ('{"event_id": "event_1"}', "malformed event"),
        ('{"type": "session.finish"}', "session.finish: event_id must be a non-empty string"),
        ('{"type": "response.create", "event_id": "event_1"}', "response.create: Unsupported"),
        ('{"type": "input_audio_buffer.clear", "event_id": "e"}', "input_audio_buffer.clear"),
    ],
    ids=["binary", "not-json", "not-object", "no-type", "no-event-id", "omni-only", "clear"],
)
async def test_a_malformed_or_unknown_event_is_an_error(
    connect, dashscope_server, frame, violation
) -> None:
    async with connect() as client:
        if isinstance(frame, bytes):
            await client.ws.send_bytes(frame)
        else:
            await client.ws.send_str(frame)
        error = await client.next()
        await client.send("session.finish")
        await client.until("session.finished")  # still open
    assert error["type"] == "error"
    assert error["error"]["type"] == "invalid_request_error"
    [recorded] = dashscope_server.violations
    assert recorded.startswith(violation)


async def test_events_after_finish_are_violations(connect, dashscope_server) -> None:
    async with connect() as client:
        await client.send("session.finish")
        await client.until("session.finished")
        await client.append(bytes(320))
        await client.send("session.finish")
        await client.silent(0.2)
    assert dashscope_server.violations == [
        "input_audio_buffer.append after session.finish",
        "session.finish after session.finish",
    ]
    assert dashscope_server.qwen_sessions[0].client_events == [
        "session.finish",
        "input_audio_buffer.append",
        "session.finish",
    ]


async def test_an_update_after_audio_is_applied_and_recorded(connect, dashscope_server) -> None:
    async with connect() as client:
        await client.append(bytes(320))
        await client.update(turn_detection=None)
        assert (await client.next())["type"] == "session.updated"
    assert dashscope_server.violations == ["session.update after audio was appended (applied)"]
    assert dashscope_server.qwen_sessions[0].turn_detection is None


@pytest.mark.parametrize(("model", "violations"), [("qwen3-asr-flash", 0), (None, 1)])
async def test_an_unknown_or_missing_model_ends_the_connection(
    connect, dashscope_server, model, violations
) -> None:
    async with connect(model, created=False) as client:
        events = await client.closed()
    assert types(events) == ["error"]
    assert events[0]["error"]["code"] == "model_not_found"
    assert events[0]["error"]["param"] == "model"
    assert len(dashscope_server.violations) == violations
    assert dashscope_server.qwen_sessions[0].failed == "model_not_found"


@pytest.mark.parametrize(
    "model", ["qwen3-asr-flash-realtime-2026-02-10", "qwen3-asr-flash-realtime-2025-10-27"]
)
async def test_the_snapshots_are_served(connect, model) -> None:
    async with connect(model, created=False) as client:
        assert (await client.next())["session"]["model"] == model


@pytest.mark.parametrize(("status", "refusals"), [(401, None), (403, None), (429, 1)])
async def test_handshake_refusals(http, dashscope_server, status, refusals) -> None:
    dashscope_server.handshake_status = status
    dashscope_server.handshake_refusals = refusals
    headers = {"Authorization": f"Bearer {API_KEY}"}
    with pytest.raises(aiohttp.WSServerHandshakeError) as err:
        await http.ws_connect(realtime_url(dashscope_server), headers=headers)
    assert err.value.status == status
    if refusals is not None:  # refused once, then served
        async with http.ws_connect(realtime_url(dashscope_server), headers=headers) as ws:
            assert json.loads((await ws.receive()).data)["type"] == "session.created"
    assert dashscope_server.headers[0]["Authorization"] == f"Bearer {API_KEY}"


async def test_a_wrong_key_fails_the_handshake(http, dashscope_server) -> None:
    with pytest.raises(aiohttp.WSServerHandshakeError) as err:
        await http.ws_connect(
            realtime_url(dashscope_server), headers={"Authorization": "Bearer sk-wrong"}
        )
    assert err.value.status == 401
    assert dashscope_server.connections == 0
    assert dashscope_server.qwen_sessions == []


@pytest.mark.parametrize(
    ("fail_on", "trigger"),
    [
        ("run", "session.update"),
        ("audio", "input_audio_buffer.append"),
        ("finish", "session.finish"),
    ],
)
async def test_a_server_error_ends_the_session(connect, dashscope_server, fail_on, trigger) -> None:
    dashscope_server.queue(
        TaskScript(fail_code="InternalError", fail_message="boom", fail_on=fail_on)
    )
    async with connect() as client:
        await client.update(turn_detection=VAD)
        if trigger != "session.update":
            await client.append(bytes(3200))
        if trigger == "session.finish":
            await client.send("session.finish")
        events = await client.closed()
    [error] = [event for event in events if event["type"] == "error"]
    assert error["error"] == {
        "type": "server_error",
        "code": "InternalError",
        "message": "boom",
        "param": None,
    }
    assert events[-1] == error  # the last word before the close
    session = dashscope_server.qwen_sessions[0]
    assert session.failed == "InternalError"
    assert not session.finished
    assert trigger in session.client_events


async def test_a_client_error_keeps_the_session_open(connect, dashscope_server) -> None:
    dashscope_server.queue(
        TaskScript(fail_code="invalid_value", fail_on="run", fail_type="invalid_request_error")
    )
    async with connect() as client:
        await client.update(turn_detection=VAD)
        error = await client.next()
        await client.append(tone(0.1))
        await client.send("session.finish")
        events = await client.until("session.finished")
    assert error["error"]["type"] == "invalid_request_error"
    assert "session.updated" not in types(events)
    assert events[-2]["transcript"] == "打开"


async def test_a_refused_finish_sends_no_session_finished(connect, dashscope_server) -> None:
    dashscope_server.queue(
        TaskScript(fail_code="invalid_value", fail_on="finish", fail_type="invalid_request_error")
    )
    async with connect() as client:
        await client.send("session.finish")
        assert (await client.next())["type"] == "error"
        await client.silent()


async def test_a_failed_transcription_replaces_completed(connect, dashscope_server) -> None:
    dashscope_server.queue(
        TaskScript(sentences=["打开灯。"], bytes_per_char=320, fail_transcription=True)
    )
    async with connect() as client:
        await client.append(tone(1.0))
        events = await client.until(FAILED)
        await client.send("session.finish")
        await client.until("session.finished")
    assert COMPLETED not in types(events)
    failed = events[-1]
    assert failed["item_id"] == events[-2]["item"]["id"]
    assert failed["error"]["code"] == "transcription_failed"


async def test_close_mid_stream_drops_the_connection_without_a_word(
    connect, dashscope_server
) -> None:
    dashscope_server.queue(TaskScript(close_after_bytes=6400))
    async with connect() as client:
        await client.append(tone(0.2))  # two appends: the second reaches 6,400 bytes
        events = await client.closed()
    assert "error" not in types(events)
    assert len(dashscope_server.qwen_sessions[0].audio) == 6400
    await settle(lambda: dashscope_server.open_sockets == 0)


async def test_stall_start_never_answers_the_update(connect, dashscope_server) -> None:
    dashscope_server.queue(TaskScript(stall_start=True))
    async with connect() as client:
        await client.update(turn_detection=VAD)
        await client.append(tone(0.5))
        await client.send("session.finish")
        await client.silent()


async def test_a_stalled_manual_session_stays_silent(connect, dashscope_server) -> None:
    dashscope_server.queue(TaskScript(stall_start=True))
    async with connect() as client:
        await client.update(turn_detection=None)
        await client.append(tone(0.5))
        await client.send("input_audio_buffer.commit")
        await client.silent()
    assert dashscope_server.qwen_sessions[0].commits == 1
    assert dashscope_server.violations == []


async def test_stall_finish_never_sends_session_finished(connect, dashscope_server) -> None:
    dashscope_server.queue(TaskScript(stall_finish=True))
    async with connect() as client:
        await client.append(tone(0.1))
        await client.send("session.finish")
        assert (await client.until(COMPLETED))[-1]["transcript"] == "打开"
        await client.silent()
    assert not dashscope_server.qwen_sessions[0].finished


async def test_a_malformed_frame_follows_session_created(connect, dashscope_server) -> None:
    dashscope_server.queue(TaskScript(malformed=True))
    async with connect() as client:
        message = await client.ws.receive(timeout=2)
    with pytest.raises(json.JSONDecodeError):
        json.loads(message.data)


async def test_noise_adds_unknown_events_and_fields(connect, dashscope_server) -> None:
    dashscope_server.queue(TaskScript(noise=True))
    async with connect(created=False) as client:
        created = await client.next()
        unknown = await client.next()
    assert "x_unknown_field" in created
    assert unknown["type"] == "rate_limits.updated"


async def test_emotion_and_language_are_labelled(connect, dashscope_server) -> None:
    dashscope_server.queue(
        TaskScript(emotion=("happy", 0.9), detected_language="en"),
        TaskScript(),
    )
    labels = []
    for _ in range(2):
        async with connect() as client:
            await client.update(input_audio_transcription={"language": "yue"})
            await client.append(tone(1.5))
            completed = (await client.until(COMPLETED))[-1]
        labels.append((completed["language"], completed["emotion"]))
    assert labels == [("en", "happy"), ("yue", "neutral")]


async def test_results_after_finish_holds_everything_back(connect, dashscope_server) -> None:
    dashscope_server.queue(TaskScript(results_after_finish=True, finish_delay=0.05))
    async with connect() as client:
        await client.append(tone(1.5))
        await client.silent()
        await client.send("session.finish")
        events = await client.until("session.finished")
    assert types(events)[0] == "input_audio_buffer.speech_started"
    assert events[-2]["transcript"] == "打开客厅的灯。"


async def test_8_khz_audio_is_timed_at_its_rate(connect, dashscope_server) -> None:
    dashscope_server.queue(TaskScript(sentences=["灯。"], bytes_per_char=160))
    async with connect() as client:
        await client.update(sample_rate=8000, turn_detection=VAD)
        await client.append(bytes(320 + 400 * 16 - 320))  # 400 ms of 8 kHz is 6,400 bytes
        assert COMPLETED not in types(await client.drain(0.2))
        await client.append(bytes(320))
        events = await client.until(COMPLETED)
    assert events[0]["audio_end_ms"] == 20


async def test_no_event_during_a_session_times_out(connect, dashscope_server) -> None:
    dashscope_server.audio_timeout = 0.2
    async with connect() as client:
        await client.update(turn_detection=VAD)
        events = await client.closed()
    assert types(events) == ["session.updated", "error"]
    assert events[1]["error"]["type"] == "server_error"
    assert dashscope_server.qwen_sessions[0].failed == "timeout"


async def test_an_idle_connection_is_closed_without_a_word(connect, dashscope_server) -> None:
    dashscope_server.idle_timeout = 0.2
    async with connect() as client:
        assert await client.closed() == []


async def test_the_server_closes_after_finished(connect, dashscope_server) -> None:
    dashscope_server.close_after_finish = 0.1
    async with connect() as client:
        await client.send("session.finish")
        assert types(await client.closed()) == ["session.finished"]
    [session] = dashscope_server.qwen_sessions
    assert session.event_types == ["session.created", "session.finished"]
    assert session.failed is None


async def test_a_client_that_leaves_is_recorded(connect, dashscope_server) -> None:
    async with connect() as client:
        await client.append(bytes(320))
    await settle(lambda: dashscope_server.open_sockets == 0)
    assert dashscope_server.qwen_sessions[0].failed == "ClientDisconnect"


async def test_stop_idle_connections_covers_both_protocols(http, connect, dashscope_server) -> None:
    headers = {"Authorization": f"Bearer {API_KEY}"}
    async with (
        connect() as idle,
        connect() as busy,
        http.ws_connect(dashscope_server.url, headers=headers) as inference,
    ):
        await busy.append(bytes(320))
        await asyncio.sleep(0.05)
        assert dashscope_server.open_sockets == 3
        await dashscope_server.stop_idle_connections()
        assert await idle.closed() == []
        assert (await inference.receive(timeout=2)).type is aiohttp.WSMsgType.CLOSE
        await busy.send("session.finish")
        assert types(await busy.until("session.finished")) == ["session.finished"]


async def test_a_session_takes_the_next_queued_script(connect, dashscope_server) -> None:
    dashscope_server.queue(TaskScript(sentences=["一。"]), TaskScript(sentences=["二。"]))
    async with connect() as client:
        await client.append(tone(1.0))
        assert (await client.until(COMPLETED))[-1]["transcript"] == "一。"
    assert list(dashscope_server.scripts) == [TaskScript(sentences=["二。"])]
