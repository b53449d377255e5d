"""Typed wire messages of the inference API (`/api-ws/v1/inference`), and what both APIs share.

`RunTask`, `FinishTask` and the events `parse_event` returns are the inference API's;
`RecognitionParameters` (what one task is asked), `Sentence` and the defensive readers
(`load_object`, `MALFORMED`, the number checks) serve the realtime API's messages too. Each
message the client sends or receives is a small frozen dataclass. Parsing ignores fields it does
not know and gives missing optional fields their defaults, because the service and its SDKs add
fields over time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import json
import math
from typing import Any
import uuid

from .endpoints import Protocol
from .errors import MessageError

# What reading a frame of an unforeseen shape can raise; each becomes a MessageError.
MALFORMED = (
    ValueError,
    KeyError,
    TypeError,
    AttributeError,
    IndexError,
    OverflowError,
    RecursionError,
)


def load_object(text: str, what: str) -> dict[str, Any]:
    """Return the JSON object of a frame or answer; anything else is a MessageError.

    Not JSON, nested too deep for the parser, a number too long, or not an object: the
    service's answer cannot be read, and says so as a DashScope error.
    """
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        data = None
    if not isinstance(data, dict):
        raise MessageError(f"Malformed {what}: {text[:200]!r}")
    return data


def object_field(data: dict[str, Any], key: str, what: str) -> dict[str, Any]:
    """Return `data[key]` when it is an object, {} when absent or null; else a MessageError."""
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MessageError(f"Malformed {what}: {key} is {type(value).__name__}, not an object")
    return value


def text_field(data: dict[str, Any], key: str) -> str:
    """Return `data[key]` when it is text; any other value counts as absent."""
    value = data.get(key)
    return value if isinstance(value, str) else ""


def new_task_id() -> str:
    """Return a new task id: a uuid4 without dashes (32 hex characters)."""
    return uuid.uuid4().hex


@dataclass(frozen=True, slots=True)
class RecognitionParameters:
    """What a recognition task is asked to do (`payload.parameters` plus the model).

    The realtime protocol (Qwen3) takes the first hint as its `language`, `context` as its
    context biasing and `service_vad` as its turn detection (off: the client ends the turn).
    `DashScopeClient.recognize` fills the audio fields from the `AudioInput`, the protocol from
    the model and `service_vad` from the `Endpointing`: callers do not set them apart.
    """

    model: str
    sample_rate: int
    audio_format: str = "pcm"
    language_hints: tuple[str, ...] = ()
    options: tuple[tuple[str, Any], ...] = ()
    protocol: Protocol = Protocol.INFERENCE
    context: str = ""
    service_vad: bool = True
    # The inference protocol's `input.context`: word lists sent as user messages (Fun-ASR,
    # Qwen-Audio; docs/models/qwen-audio-asr.md).
    context_messages: tuple[str, ...] = ()

    def to_input(self) -> dict[str, Any]:
        """Return the `input` object of a `run-task` message (`{}` without context)."""
        if not self.context_messages:
            return {}
        return {
            "context": [
                {"role": "user", "content": [{"type": "input_text", "text": text}]}
                for text in self.context_messages
            ]
        }

    def to_payload(self) -> dict[str, Any]:
        """Return the `parameters` object of a `run-task` message."""
        parameters: dict[str, Any] = {"format": self.audio_format, "sample_rate": self.sample_rate}
        if self.language_hints:
            parameters["language_hints"] = list(self.language_hints)
        parameters.update(self.options)
        return parameters


@dataclass(frozen=True, slots=True)
class RunTask:
    """`run-task`: start a recognition task on the connection."""

    task_id: str
    parameters: RecognitionParameters

    def to_json(self) -> str:
        """Serialize for the wire."""
        return json.dumps(
            {
                "header": {"action": "run-task", "task_id": self.task_id, "streaming": "duplex"},
                "payload": {
                    "task_group": "audio",
                    "task": "asr",
                    "function": "recognition",
                    "model": self.parameters.model,
                    "parameters": self.parameters.to_payload(),
                    "input": self.parameters.to_input(),
                },
            },
            ensure_ascii=False,
        )


@dataclass(frozen=True, slots=True)
class FinishTask:
    """`finish-task`: no more audio follows."""

    task_id: str

    def to_json(self) -> str:
        """Serialize for the wire."""
        return json.dumps(
            {
                "header": {"action": "finish-task", "task_id": self.task_id, "streaming": "duplex"},
                "payload": {"input": {}},
            }
        )


@dataclass(frozen=True, slots=True)
class Word:
    """One word of a sentence, with where it lies in the task's audio (ms from its start)."""

    text: str
    begin_time: int | None = None
    end_time: int | None = None

    @classmethod
    def list_from_json(cls, value: Any) -> tuple[Word, ...]:
        """Parse `sentence.words`; entries that are not objects are skipped."""
        if not isinstance(value, list):
            return ()
        return tuple(
            cls(
                text=text_field(word, "text"),
                begin_time=_optional_int(word.get("begin_time")),
                end_time=_optional_int(word.get("end_time")),
            )
            for word in value
            if isinstance(word, dict)
        )


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence of a result, intermediate or final."""

    text: str
    begin_time: int | None = None
    end_time: int | None = None
    is_final: bool = False
    heartbeat: bool = False
    emo_tag: str | None = None
    emo_confidence: float | None = None
    language: str | None = None  # the language the service detected, where it says
    sentence_id: int | None = None  # where the model numbers sentences: revisions share it
    sentence_begin: bool = False  # a sentence starts (its text may be empty)
    words: tuple[Word, ...] = ()  # the inference protocol reports them, intermediate or final

    @property
    def last_word_end(self) -> int | None:
        """Return where the last timed word ends (ms of the task's audio), when reported."""
        for word in reversed(self.words):
            if word.end_time is not None:
                return word.end_time
        return None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Sentence:
        """Parse a `payload.output.sentence` object."""
        end_time = _optional_int(data.get("end_time"))
        confidence = data.get("emo_confidence")
        return cls(
            text=text_field(data, "text"),
            begin_time=_optional_int(data.get("begin_time")),
            end_time=end_time,
            # Sources disagree on the final signal: either one counts.
            is_final=data.get("sentence_end") is True or end_time is not None,
            heartbeat=data.get("heartbeat") is True,
            emo_tag=text_field(data, "emo_tag") or None,
            emo_confidence=_optional_number(confidence),
            sentence_id=_optional_int(data.get("sentence_id")),
            sentence_begin=bool(data.get("sentence_begin")),
            words=Word.list_from_json(data.get("words")),
        )


@dataclass(frozen=True, slots=True)
class TaskStarted:
    """`task-started`: the task accepts audio now."""

    task_id: str


@dataclass(frozen=True, slots=True)
class ResultGenerated:
    """`result-generated`: a sentence grew or ended."""

    task_id: str
    sentence: Sentence
    billed_seconds: float | None = None  # `usage.duration`, where reported
    tokens: int | None = None  # input plus output tokens so far (cumulative), where reported


@dataclass(frozen=True, slots=True)
class TaskFinished:
    """`task-finished`: every result has been sent; the connection may run another task."""

    task_id: str


@dataclass(frozen=True, slots=True)
class TaskFailed:
    """`task-failed`: the task ended with an error; the server closes the connection."""

    task_id: str
    code: str
    message: str = ""


type ServerEvent = TaskStarted | ResultGenerated | TaskFinished | TaskFailed


@dataclass(frozen=True, slots=True)
class UnknownEvent:
    """An event this client does not know; ignored by the session."""

    task_id: str
    event: str
    raw: dict[str, Any] = field(default_factory=dict)


def parse_event(text: str) -> ServerEvent | UnknownEvent:
    """Parse one text frame from the server; a frame that cannot be read is a MessageError."""
    data = load_object(text, "server message")
    try:
        return _event(data)
    except MALFORMED:  # a shape the checks below did not foresee
        raise MessageError(f"Malformed server message: {text[:200]!r}") from None


def _event(data: dict[str, Any]) -> ServerEvent | UnknownEvent:
    header = object_field(data, "header", "server message")
    event = header.get("event")
    if not isinstance(event, str):
        raise MessageError("Malformed server message: no header.event")
    task_id = text_field(header, "task_id")
    if event == "task-started":
        return TaskStarted(task_id)
    if event == "task-finished":
        return TaskFinished(task_id)
    if event == "task-failed":
        return TaskFailed(
            task_id,
            code=text_field(header, "error_code") or "UnknownError",
            message=text_field(header, "error_message"),
        )
    if event == "result-generated":
        payload = object_field(data, "payload", event)
        sentence = object_field(payload, "output", event).get("sentence")
        if not isinstance(sentence, dict):
            return UnknownEvent(task_id, event, data)
        usage = payload.get("usage")
        usage = usage if isinstance(usage, dict) else {}
        token_counts = [_optional_int(usage.get(key)) for key in ("input_tokens", "output_tokens")]
        known = [count for count in token_counts if count is not None]
        return ResultGenerated(
            task_id,
            Sentence.from_json(sentence),
            billed_seconds=_optional_number(usage.get("duration")),
            tokens=sum(known) if known else None,
        )
    return UnknownEvent(task_id, event, data)


def _optional_number(value: Any) -> float | None:
    """Return a finite JSON number; anything else (null, text, NaN, ±Infinity, 1e400) is absent."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _optional_int(value: Any) -> int | None:
    number = _optional_number(value)
    return None if number is None else int(number)
