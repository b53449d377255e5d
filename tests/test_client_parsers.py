"""Whatever the service sends, the parsers answer with an event or a DashScope error.

A seeded generator makes thousands of frames, random and hostile (wrong types where objects
are expected, numbers too long for a float, nesting deeper than the parser allows, text that
is not JSON), around the fields both protocols read; the HTTP APIs get malformed 200 answers.
"""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from custom_components.dashscope.client import DashScopeError, MessageError, VocabularyClient
from custom_components.dashscope.client.messages import parse_event
from custom_components.dashscope.client.realtime_messages import parse_realtime_event
from custom_components.dashscope.client.transcription import (
    TranscriptionClient,
    TranscriptionJob,
)

SEED = 19
FRAMES = 3000
KEYS = [
    "header", "payload", "event", "task_id", "output", "sentence", "usage", "duration",
    "text", "begin_time", "end_time", "sentence_end", "heartbeat", "emo_tag", "emo_confidence",
    "error_code", "error_message", "type", "item_id", "session", "id", "error", "code",
    "message", "stash", "transcript", "language", "emotion", "audio_start_ms", "audio_end_ms",
]  # fmt: skip
EVENTS = [
    "task-started", "task-finished", "task-failed", "result-generated", "session.updated",
    "session.finished", "error", "input_audio_buffer.speech_started",
    "input_audio_buffer.speech_stopped", "input_audio_buffer.committed",
    "conversation.item.input_audio_transcription.text",
    "conversation.item.input_audio_transcription.completed",
    "conversation.item.input_audio_transcription.failed",
]  # fmt: skip


def scalar(rng: random.Random) -> Any:
    return rng.choice(
        [
            None,
            True,
            False,
            0,
            -1,
            rng.randint(-(10**6), 10**6),
            10**400,
            -(10**400),
            rng.random() * 1e308,
            float("nan"),
            float("inf"),
            "",
            rng.choice(EVENTS),
            "文字",
            "\ud800",
        ]
    )


def value(rng: random.Random, depth: int = 0) -> Any:
    """Return a random JSON value, shaped like the service's frames more often than not."""
    roll = rng.random()
    if depth > 5 or roll < 0.35:
        return scalar(rng)
    if roll < 0.45:
        return [value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    out = {rng.choice(KEYS): value(rng, depth + 1) for _ in range(rng.randint(0, 6))}
    if rng.random() < 0.5:
        out[rng.choice(["event", "type"])] = rng.choice(EVENTS)
    return out


def frame(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.05:
        depth = rng.choice([10, 1000, 100_000])
        return '{"header":' + "[" * depth + "]" * depth + "}"
    if roll < 0.1:
        text = json.dumps(value(rng))
        return text[: rng.randint(0, len(text))]  # cut short
    data = value(rng)
    if isinstance(data, dict) and rng.random() < 0.7:
        data = {"header": data, "payload": value(rng), "type": rng.choice(EVENTS), **data}
    return json.dumps(data, ensure_ascii=rng.random() < 0.5)


@pytest.mark.parametrize(
    "parse", [parse_event, parse_realtime_event], ids=["inference", "realtime"]
)
def test_random_and_hostile_frames_give_only_dashscope_errors(parse: Any) -> None:
    rng = random.Random(SEED)  # noqa: S311 - reproducible frames, not a secret
    outcomes = {"event": 0, "error": 0}
    for _ in range(FRAMES):
        text = frame(rng)
        try:
            parse(text)
        except DashScopeError:
            outcomes["error"] += 1
        else:
            outcomes["event"] += 1
    # The generator reaches both sides: frames read as events and frames refused.
    assert outcomes["event"] > FRAMES // 20
    assert outcomes["error"] > FRAMES // 20


class FakeApi:
    """An HTTP API whose every request gets the same 200 answer."""

    def __init__(self, answer: dict[str, Any], document: str = "{}") -> None:
        self.answer = answer
        self.document = document

    async def request(self, *_: Any, **__: Any) -> dict[str, Any]:
        return self.answer

    async def send(self, *_: Any, **__: Any) -> tuple[int, str]:
        return 200, self.document


VOCABULARY_ANSWERS = {
    "output-not-an-object": ({"output": [1]}, "create"),
    "no-vocabulary-id": ({"output": {"vocabulary_id": 7}}, "create"),
    "list-not-a-list": ({"output": {"vocabulary_list": "x"}}, "list"),
    "list-of-strings": ({"output": {"vocabulary_list": ["x"]}}, "list"),
}


@pytest.mark.parametrize(
    ("answer", "call"), VOCABULARY_ANSWERS.values(), ids=VOCABULARY_ANSWERS.keys()
)
async def test_malformed_vocabulary_answers(answer: dict[str, Any], call: str) -> None:
    client = VocabularyClient(FakeApi(answer))  # type: ignore[arg-type]
    request = client.create("ha", "fun-asr-realtime", []) if call == "create" else client.list("ha")
    with pytest.raises(MessageError):
        await request


def finished(results: Any) -> dict[str, Any]:
    return {"output": {"task_id": "t1", "task_status": "SUCCEEDED", "results": results}}


SUCCEEDED = {"file_url": "u", "subtask_status": "SUCCEEDED", "transcription_url": "r"}
TRANSCRIPTION_ANSWERS: dict[str, tuple[dict[str, Any], str]] = {
    "output-not-an-object": ({"output": "x"}, "{}"),
    "no-task-id": ({"output": {"task_id": None}}, "{}"),
    "results-not-a-list": (finished({"a": 1}), "{}"),
    "result-not-an-object": (finished([1]), "{}"),
    "transcripts-of-strings": (finished([SUCCEEDED]), '{"transcripts": ["x"]}'),
    "sentences-of-numbers": (finished([SUCCEEDED]), '{"transcripts": [{"sentences": [1]}]}'),
    "result-nested-too-deep": (finished([SUCCEEDED]), "[" * 100_000 + "]" * 100_000),
}


@pytest.mark.parametrize(
    ("answer", "document"), TRANSCRIPTION_ANSWERS.values(), ids=TRANSCRIPTION_ANSWERS.keys()
)
async def test_malformed_transcription_answers(
    answer: dict[str, Any], document: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("custom_components.dashscope.client.transcription.FIRST_POLL_SECONDS", 0)
    client = TranscriptionClient(FakeApi(answer, document))  # type: ignore[arg-type]
    with pytest.raises(DashScopeError):
        await client.transcribe(TranscriptionJob("fun-asr", ["u"]), within=5)


async def test_a_malformed_upload_policy() -> None:
    client = TranscriptionClient(FakeApi({"data": {"upload_dir": "d"}}))  # type: ignore[arg-type]
    with pytest.raises(MessageError, match="oss_access_key_id"):
        await client.upload("fun-asr", "a.wav", b"")
