"""Typed events of the realtime recognition protocol (Qwen3-ASR-Flash-Realtime).

Every frame is a JSON text frame with a `type`; the client's carry an `event_id` too. One
socket holds one session: `session.update` configures it, audio goes in base64 inside
`input_audio_buffer.append`, `session.finish` ends it. Parsing ignores fields and events it
does not know, as the service adds them over time.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
import json
from typing import Any
import uuid

from .errors import MessageError
from .messages import MALFORMED, RecognitionParameters, _optional_int, load_object
from .parameters import Parameter

# Where the engine's two turn-detection settings go in `session.turn_detection`.
_TURN_DETECTION_FIELDS = {
    Parameter.VAD_THRESHOLD.value: "threshold",
    Parameter.VAD_SILENCE.value: "silence_duration_ms",
}


def new_event_id() -> str:
    """Return a client event id, as the official SDK makes them."""
    return f"event_{uuid.uuid4().hex}"


def _event(kind: str, **fields: Any) -> str:
    return json.dumps({"event_id": new_event_id(), "type": kind, **fields}, ensure_ascii=False)


def session_update(parameters: RecognitionParameters) -> str:
    """Return the `session.update` for a recognition: format, rate, language, context, turns."""
    transcription: dict[str, Any] = {}
    if parameters.language_hints:
        transcription["language"] = parameters.language_hints[0]
    if parameters.context:
        transcription["corpus"] = {"text": parameters.context}
    turn_detection: dict[str, Any] | None = None
    if parameters.service_vad:
        turn_detection = {"type": "server_vad"}
        for name, value in parameters.options:
            if name in _TURN_DETECTION_FIELDS:
                turn_detection[_TURN_DETECTION_FIELDS[name]] = value
    session: dict[str, Any] = {
        "modalities": ["text"],
        "input_audio_format": parameters.audio_format,
        "sample_rate": parameters.sample_rate,
        "input_audio_transcription": transcription,
        "turn_detection": turn_detection,
    }
    return _event("session.update", session=session)


def append_audio(frame: bytes) -> str:
    """Return an `input_audio_buffer.append` carrying one frame."""
    return _event("input_audio_buffer.append", audio=base64.b64encode(frame).decode("ascii"))


def commit() -> str:
    """Return `input_audio_buffer.commit` (manual turns: recognize what was sent)."""
    return _event("input_audio_buffer.commit")


def session_finish() -> str:
    """Return `session.finish`: no more audio; the service sends what is pending."""
    return _event("session.finish")


@dataclass(frozen=True, slots=True)
class SessionUpdated:
    """`session.updated`: the configuration was accepted; audio may follow."""

    session_id: str | None


@dataclass(frozen=True, slots=True)
class SpeechStarted:
    """`input_audio_buffer.speech_started` (service VAD): an utterance begins."""

    item_id: str
    audio_start_ms: int | None


@dataclass(frozen=True, slots=True)
class SpeechStopped:
    """`input_audio_buffer.speech_stopped` (service VAD): the utterance's speech ended."""

    item_id: str
    audio_end_ms: int | None


@dataclass(frozen=True, slots=True)
class Committed:
    """`input_audio_buffer.committed`: audio became an item, whose final text is now due."""

    item_id: str


@dataclass(frozen=True, slots=True)
class TranscriptionText:
    """`…transcription.text`: the whole current state of an utterance being recognized.

    `text` is the part already fixed, `stash` the tail that may still change; sources differ
    on whether `text` is filled at all, so the utterance so far is always `text + stash`.
    """

    item_id: str
    text: str
    stash: str
    language: str | None = None
    emotion: str | None = None


@dataclass(frozen=True, slots=True)
class TranscriptionCompleted:
    """`…transcription.completed`: an utterance's final text."""

    item_id: str
    transcript: str
    language: str | None = None
    emotion: str | None = None


@dataclass(frozen=True, slots=True)
class TranscriptionFailed:
    """`…transcription.failed`: the service could not recognize an utterance."""

    item_id: str
    code: str
    message: str = ""


@dataclass(frozen=True, slots=True)
class SessionFinished:
    """`session.finished`: every result has been sent; the socket is done."""


@dataclass(frozen=True, slots=True)
class ErrorEvent:
    """`error`: a client error keeps the socket open, a server error ends it."""

    kind: str  # invalid_request_error, server_error, …
    code: str
    message: str = ""
    param: str | None = None


@dataclass(frozen=True, slots=True)
class OtherEvent:
    """An event the recognition does not need (`session.created`, `committed`, …) or knows."""

    kind: str
    raw: dict[str, Any] = field(default_factory=dict)


type RealtimeEvent = (
    SessionUpdated
    | SpeechStarted
    | SpeechStopped
    | Committed
    | TranscriptionText
    | TranscriptionCompleted
    | TranscriptionFailed
    | SessionFinished
    | ErrorEvent
    | OtherEvent
)

_TRANSCRIPTION = "conversation.item.input_audio_transcription."


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    return value if isinstance(value, str) else ""


def _optional_text(data: dict[str, Any], key: str) -> str | None:
    return _text(data, key) or None


def _error(data: dict[str, Any]) -> dict[str, Any]:
    error = data.get("error")
    return error if isinstance(error, dict) else {}


def _session_updated(data: dict[str, Any]) -> SessionUpdated:
    session = data.get("session")
    session_id = session.get("id") if isinstance(session, dict) else None
    return SessionUpdated(session_id if isinstance(session_id, str) else None)


def _error_event(data: dict[str, Any]) -> ErrorEvent:
    error = _error(data)
    return ErrorEvent(
        _text(error, "type") or "server_error",
        _text(error, "code") or _text(error, "type") or "UnknownError",
        _text(error, "message"),
        _optional_text(error, "param"),
    )


def _failed(data: dict[str, Any]) -> TranscriptionFailed:
    error = _error(data)
    return TranscriptionFailed(
        _text(data, "item_id"),
        _text(error, "code") or _text(error, "type") or "UnknownError",
        _text(error, "message"),
    )


_PARSERS: dict[str, Callable[[dict[str, Any]], RealtimeEvent]] = {
    "session.updated": _session_updated,
    "input_audio_buffer.speech_started": lambda data: SpeechStarted(
        _text(data, "item_id"), _optional_int(data.get("audio_start_ms"))
    ),
    "input_audio_buffer.speech_stopped": lambda data: SpeechStopped(
        _text(data, "item_id"), _optional_int(data.get("audio_end_ms"))
    ),
    "input_audio_buffer.committed": lambda data: Committed(_text(data, "item_id")),
    _TRANSCRIPTION + "text": lambda data: TranscriptionText(
        _text(data, "item_id"),
        _text(data, "text"),
        _text(data, "stash"),
        _optional_text(data, "language"),
        _optional_text(data, "emotion"),
    ),
    _TRANSCRIPTION + "completed": lambda data: TranscriptionCompleted(
        _text(data, "item_id"),
        _text(data, "transcript"),
        _optional_text(data, "language"),
        _optional_text(data, "emotion"),
    ),
    _TRANSCRIPTION + "failed": _failed,
    "session.finished": lambda _: SessionFinished(),
    "error": _error_event,
}


def parse_realtime_event(text: str) -> RealtimeEvent:
    """Parse one text frame from the service; a frame that cannot be read is a MessageError."""
    data = load_object(text, "server event")
    kind = data.get("type")
    if not isinstance(kind, str):
        raise MessageError(f"Malformed server event: {text[:200]!r}")
    parser = _PARSERS.get(kind)
    try:
        return parser(data) if parser is not None else OtherEvent(kind, data)
    except MALFORMED:  # a shape the parsers did not foresee
        raise MessageError(f"Malformed server event: {text[:200]!r}") from None
