"""The Qwen3-ASR-Flash-Realtime protocol of the local DashScope server (`/api-ws/v1/realtime`).

One WebSocket is one session, every frame a JSON text frame with a `type` (the OpenAI Realtime
shape). The server announces itself with `session.created`, takes `session.update`, base64
audio in `input_audio_buffer.append`, `input_audio_buffer.commit` (Manual mode) and
`session.finish`, and answers with speech, intermediate and final transcription events. It
checks every client event the way the service does; what the service would refuse is answered
with an `error` event and recorded in `server.violations`. A session's behaviour comes from the
same script queue as the inference protocol's tasks (`TaskScript`), taken when the connection
opens.

Decisions where the documents leave the service's behaviour open:
- A model missing from `?model=` or unknown: the upgrade succeeds (the model is not part of the
  handshake), then one `error` (`invalid_request_error`, code `model_not_found`, param `model`)
  and the server closes, as no session can exist; a missing `model` is also a violation.
- `speech_started` comes when the first character of a sentence is revealed (as much audio as
  `bytes_per_char`), `.text` events while it grows, `speech_stopped` -> `committed` ->
  `conversation.item.created` -> `completed` when it ends (qwen_results.py). `.text` in split
  mode keeps the newest `STASH_CHARS` characters in `stash` and the rest in `text`.
- Manual mode reports no `.text` before a commit; a commit yields one `.text` then `completed`.
  An utterance passing 60 s gets one `error` (the audio is still taken); `session.finish`
  recognizes audio not yet committed, as the docs say it does for pending speech.
- `session.update` after audio has been appended is applied (`session.updated`) but recorded as a
  violation: the docs say to send it first, and the audio already sent keeps the old settings.
- A client event without a string `event_id` (the docs: required) is refused like an invalid one.
- `fail_on="finish"` with `invalid_request_error` refuses the finish: no `session.finished`.
- No client event for `server.audio_timeout` during a session: `server_error` `timeout`, then the
  server closes. After `session.finished` it waits `server.close_after_finish` for the client to
  close, then closes itself.
- Errors use code `invalid_value` (the only documented one) with the field at fault in `param`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from dataclasses import dataclass, field
import json
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from .qwen_config import (
    DEFAULT_TURN_DETECTION,
    MAX_APPEND_BYTES,
    MAX_MANUAL_SECONDS,
    MIN_COMMIT_MS,
    check_session,
    default_config,
    merge,
)
from .qwen_results import Utterances, new_id
from .script import Recognizer, recognizer

if TYPE_CHECKING:
    from .server import DashScopeServer

REALTIME_PATH = "/api-ws/v1/realtime"


@dataclass
class QwenSession:
    """What the server saw of one realtime session (one connection)."""

    model: str
    query: dict[str, str]
    connection: int
    session_update: dict[str, Any] | None = None  # `session` of the last session.update received
    turn_detection: dict[str, Any] | None = field(
        default_factory=lambda: dict(DEFAULT_TURN_DETECTION)
    )  # in force; None: Manual mode
    audio: bytearray = field(default_factory=bytearray)
    append_sizes: list[int] = field(default_factory=list)  # decoded bytes of each valid append
    client_events: list[str] = field(default_factory=list)  # types, in order
    commits: int = 0  # accepted commits (each made an item)
    finish_received: bool = False
    finished: bool = False  # session.finished sent
    failed: str | None = None  # code of the fault that ended it, or "ClientDisconnect"
    events: list[dict[str, Any]] = field(default_factory=list)  # every event sent, in order

    def of_type(self, event_type: str) -> list[dict[str, Any]]:
        """Return the events of one type the server sent."""
        return [event for event in self.events if event["type"] == event_type]

    @property
    def event_types(self) -> list[str]:
        """Return the types of the events sent, in order."""
        return [event["type"] for event in self.events]


class _RefusedError(Exception):
    """A client event the service refuses: an `error` event, the connection stays open."""

    def __init__(self, param: str | None, message: str) -> None:
        super().__init__(message)
        self.param = param
        self.message = message


class _CloseError(Exception):
    """End the session: the server closes the connection."""


class _DropError(Exception):
    """Drop the TCP connection without a word, as a network failure would."""


class QwenConnection:
    """One realtime connection: its session, recognized as the script says."""

    def __init__(
        self, server: DashScopeServer, ws: web.WebSocketResponse, request: web.Request, number: int
    ) -> None:
        """Take the session's script and the model from the URL's query."""
        self.server = server
        self.ws = ws
        self.request = request
        self.session = QwenSession(request.query.get("model", ""), dict(request.query), number)
        self.script = server.scripts.popleft() if server.scripts else server.default_script
        self.config = default_config()
        self.session_id = new_id("sess_")
        self.started = False  # a client event arrived and the session has not finished
        self.stalled = False
        self.faulted = False
        self.muted = False  # a half-open socket: frames in, nothing out
        self.held: list[tuple[str, dict[str, Any]]] = []  # results a busy service holds back
        self.utterances = Utterances(self.script, self._result, self._labels)
        self.utterance_bytes = 0  # audio since the last commit (Manual)
        self.taken = 0  # characters of Recognizer.heard() already committed (Manual)
        self.too_long = False
        self.recognizer = self._recognizer()

    def _recognizer(self) -> Recognizer:
        detection = self.config["turn_detection"]
        silence = detection["silence_duration_ms"] if detection else 0
        made: Recognizer = recognizer(self.script, self.config["sample_rate"] * 2 / 1000, silence)
        return made

    def _violation(self, text: str) -> None:
        self.server.violations.append(text)

    async def run(self) -> None:
        """Serve the session until it ends, then return (the caller closes the socket)."""
        self.server.qwen_sessions.append(self.session)
        try:
            if self.session.model not in self.server.qwen_models:
                await self._open_failed()
                return
            await self._emit("session.created", session=self._session_json())
            if self.script.noise:
                await self._emit("rate_limits.updated", rate_limits=[])
            if self.script.malformed:
                await self.ws.send_str("{'type': session.updated")
            await self._serve()
        except _CloseError:
            return
        except _DropError:
            if self.request.transport is not None:
                self.request.transport.abort()
        except ConnectionResetError:  # the client went away while the server was writing
            self.session.failed = self.session.failed or "ClientDisconnect"

    async def _open_failed(self) -> None:
        if not self.session.model:
            self._violation("realtime connection without ?model=")
        self.session.failed = "model_not_found"
        await self._error(
            "invalid_request_error",
            "model_not_found",
            f"Model not found: {self.session.model!r}",
            "model",
        )

    async def _serve(self) -> None:
        while True:
            if self.session.finished:
                timeout = self.server.close_after_finish
            elif self.started:
                timeout = self.server.audio_timeout
            else:
                timeout = self.server.idle_timeout
            try:
                message = await self.ws.receive(timeout=timeout)
            except TimeoutError:
                if self.started:
                    self.session.failed = "timeout"
                    seconds = self.server.audio_timeout
                    await self._error("server_error", "timeout", f"No event for {seconds} s.")
                return
            if self.muted and message.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                continue
            if message.type is WSMsgType.TEXT:
                await self._on_text(message.data)
            elif message.type is WSMsgType.BINARY:
                self._violation(f"binary frame of {len(message.data)} bytes")
                await self._error(
                    "invalid_request_error", "invalid_value", "Binary frames are not supported."
                )
            else:
                if not self.session.finished and self.session.failed is None:
                    self.session.failed = "ClientDisconnect"
                return

    async def _on_text(self, text: str) -> None:
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if not isinstance(data, dict) or not isinstance(data.get("type"), str):
            self._violation(f"malformed event: {text[:200]}")
            await self._error("invalid_request_error", "invalid_value", "Invalid event.", "type")
            return
        event_type, event_id = data["type"], data.get("event_id")
        self.session.client_events.append(event_type)
        if self.session.finish_received:
            self._violation(f"{event_type} after session.finish")
            return
        self.started = True
        try:
            await self._dispatch(event_type, data)
        except _RefusedError as err:
            self._violation(f"{event_type}: {err.message}")
            await self._error(
                "invalid_request_error", "invalid_value", err.message, err.param, event_id
            )

    async def _dispatch(self, event_type: str, data: dict[str, Any]) -> None:
        event_id = data.get("event_id")
        if not isinstance(event_id, str) or not event_id:
            raise _RefusedError("event_id", "event_id must be a non-empty string")
        if event_type == "session.update":
            await self._session_update(data)
        elif event_type == "input_audio_buffer.append":
            await self._append(data)
        elif event_type == "input_audio_buffer.commit":
            await self._commit()
        elif event_type == "session.finish":
            await self._finish()
        else:
            raise _RefusedError("type", f"Unsupported event type {event_type!r}")

    async def _session_update(self, data: dict[str, Any]) -> None:
        session = data.get("session")
        self.session.session_update = session if isinstance(session, dict) else None
        if self.script.fail_code and self.script.fail_on == "run":
            await self._fault()
            return
        problems = check_session(session, self.server.qwen_models[self.session.model])
        for problem in problems:
            self._violation(f"session.update: {problem.param}: {problem.message}")
            await self._error(
                "invalid_request_error",
                "invalid_value",
                problem.message,
                problem.param,
                data["event_id"],
            )
        if problems:
            return
        assert isinstance(session, dict)
        if self.session.audio:
            self._violation("session.update after audio was appended (applied)")
        self.config = merge(self.config, session)
        self.session.turn_detection = self.config["turn_detection"]
        if not self.session.audio:
            self.recognizer = self._recognizer()
        if self.script.stall_start:
            self.stalled = True
            return
        await self._emit("session.updated", session=self._session_json())
        for frame in self.script.raw_after_start:
            await self.ws.send_str(frame)

    async def _append(self, data: dict[str, Any]) -> None:
        audio = data.get("audio")
        try:
            chunk = base64.b64decode(audio, validate=True) if isinstance(audio, str) else None
        except binascii.Error:
            chunk = None
        if chunk is None:
            raise _RefusedError("audio", "audio must be base64")
        if len(chunk) > MAX_APPEND_BYTES:
            raise _RefusedError("audio", f"audio of {len(chunk)} bytes (at most 15 MiB)")
        if self.config["input_audio_format"] != "opus" and len(chunk) % 2:
            raise _RefusedError("audio", f"PCM audio of {len(chunk)} bytes (not whole samples)")
        session, script = self.session, self.script
        session.append_sizes.append(len(chunk))
        session.audio += chunk
        if script.close_after_bytes is not None and len(session.audio) >= script.close_after_bytes:
            raise _DropError
        if (
            script.fail_code
            and script.fail_on == "audio"
            and not self.faulted
            and len(session.audio) >= script.fail_after_bytes
        ):
            await self._fault()
        manual = self.config["turn_detection"] is None
        if manual:
            self.utterance_bytes += len(chunk)
        if self.stalled:
            return
        sentences = self.recognizer.feed(len(chunk))
        if not manual:
            for sentence in sentences:
                await self.utterances.heard(sentence, self._now_ms())
            return
        limit = MAX_MANUAL_SECONDS * self.config["sample_rate"] * 2
        if self.utterance_bytes > limit and not self.too_long:
            self.too_long = True
            raise _RefusedError("input_audio_buffer", "an utterance is at most 60 s of audio")

    async def _commit(self) -> None:
        if self.config["turn_detection"] is not None:
            raise _RefusedError("type", "input_audio_buffer.commit is disabled in server VAD mode")
        if self.utterance_bytes < MIN_COMMIT_MS * self.config["sample_rate"] * 2 // 1000:
            self._violation(f"commit of {self.utterance_bytes} bytes (under {MIN_COMMIT_MS} ms)")
            await self._error(
                "invalid_request_error",
                "input_audio_buffer_commit_empty",
                f"buffer too small. Expected at least {MIN_COMMIT_MS}ms of audio.",
                "input_audio_buffer",
            )
            return
        self.session.commits += 1
        self.utterance_bytes = 0
        self.too_long = False
        if not self.stalled:
            await self._commit_heard()

    async def _commit_heard(self) -> None:
        heard = self.recognizer.heard()
        transcript, self.taken = heard[self.taken :], len(heard)
        await self.utterances.committed(transcript)

    def _now_ms(self) -> int:
        return int(self.recognizer.received / self.recognizer.bytes_per_ms)

    async def _finish(self) -> None:
        self.session.finish_received = True
        if self.script.fail_code and self.script.fail_on == "finish":
            await self._fault()
            return
        if self.stalled:
            return
        if self.script.finish_delay:
            await asyncio.sleep(self.script.finish_delay)
        for frame in self.script.raw_after_finish:
            await self.ws.send_str(frame)
        held, self.held = self.held, []
        for event_type, fields in held:
            await self._emit(event_type, **fields)
        if self.config["turn_detection"] is not None:
            for sentence in self.recognizer.finish():
                await self.utterances.heard(sentence, self._now_ms(), ends=True)
        elif self.script.finalize_on_finish and len(self.recognizer.heard()) > self.taken:
            await self._commit_heard()
        await self.utterances.flush()
        if self.script.drop_before_finished:
            raise _DropError
        if self.script.stall_finish:
            return
        self.session.finished = True
        self.started = False
        await self._emit("session.finished")

    def _labels(self) -> dict[str, str]:
        transcription = self.config["input_audio_transcription"] or {}
        language = self.script.detected_language or transcription.get("language") or "zh"
        emotion = self.script.emotion[0] if self.script.emotion else "neutral"
        return {"language": language, "emotion": emotion}

    async def _fault(self) -> None:
        """Fail as the script says: a server error ends the session, a client error does not."""
        script = self.script
        self.faulted = True
        self.session.failed = script.fail_code
        assert script.fail_code is not None
        await self._error(script.fail_type, script.fail_code, script.fail_message)
        if script.fail_type == "server_error":
            raise _CloseError

    def _session_json(self) -> dict[str, Any]:
        return {
            "id": self.session_id,
            "object": "realtime.session",
            "model": self.session.model,
            "modalities": ["text"],
            **self.config,
        }

    async def _result(self, event_type: str, **fields: Any) -> None:
        """Send a recognition event, or hold it back until session.finish (a busy service)."""
        if self.script.results_after_finish and not self.session.finish_received:
            self.held.append((event_type, fields))
        else:
            await self._emit(event_type, **fields)

    async def _error(
        self,
        error_type: str,
        code: str,
        message: str,
        param: str | None = None,
        event_id: str | None = None,
    ) -> None:
        error = {"type": error_type, "code": code, "message": message, "param": param}
        if event_id is not None:
            error["event_id"] = event_id
        await self._emit("error", error=error)

    async def _emit(self, event_type: str, **fields: Any) -> None:
        event = {"event_id": new_id("event_"), "type": event_type, **fields}
        if self.script.noise:
            event["x_unknown_field"] = {"ignore": True}
        self.session.events.append(event)
        await self.ws.send_str(json.dumps(event, ensure_ascii=False))
