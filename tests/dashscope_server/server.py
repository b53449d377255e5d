"""A protocol-faithful DashScope real-time recognition server for tests.

It speaks both real-time protocols on one port: the Fun-ASR/Paraformer inference protocol
(`/api-ws/v1/inference`, here) and Qwen3-ASR-Flash-Realtime (`/api-ws/v1/realtime`, qwen.py),
behind the same handshake (key, refusals, delay). It checks what it receives the way the
service does (the handshake's key, the `run-task` shape and parameters, audio only after
`task-started`, frame sizes, task ids; qwen.py's own checks) and can be scripted per task or
session to send partial and final sentences, heartbeats, failures, to drop the connection or
to stall. Everything it sees is recorded for the tests to inspect.
"""

from __future__ import annotations

import asyncio
from collections import deque
import contextlib
from dataclasses import dataclass, field
import json
import re
from typing import Any, Literal

from aiohttp import WSMsgType, web

from .customization import CUSTOMIZATION_PATH, CustomizationService
from .qwen import REALTIME_PATH, QwenConnection, QwenSession
from .qwen_audio import (
    QWEN_AUDIO_MODELS,
    QWEN_AUDIO_PARAMETERS,
    QwenAudioResults,
    input_problems,
    results_for,
)
from .qwen_config import QWEN_REGION_MODELS
from .script import Recognizer, TaskScript, recognizer
from .transcription import TranscriptionService

WEBSOCKET_PATH = "/api-ws/v1/inference"
_TASK_ID = re.compile(r"^[0-9a-f]{32}$")

# The service's own model list (kept apart from the integration's catalog on purpose, so a
# mistake in the catalog shows up as a failure here): model -> sample rates (None: any).
BEIJING_MODELS: dict[str, tuple[int, ...] | None] = {
    "fun-asr-realtime": (16000,),
    "fun-asr-realtime-2026-02-28": (16000,),
    "fun-asr-realtime-2025-11-07": (16000,),
    "fun-asr-realtime-2025-09-15": (16000,),
    "fun-asr-flash-8k-realtime": (8000,),
    "fun-asr-flash-8k-realtime-2026-01-28": (8000,),
    "paraformer-realtime-v2": None,
    "paraformer-realtime-v1": (16000,),
    "paraformer-realtime-8k-v2": (8000,),
    "paraformer-realtime-8k-v1": (8000,),
    **QWEN_AUDIO_MODELS,
}
SINGAPORE_MODELS = {
    name: BEIJING_MODELS[name]
    for name in ("fun-asr-realtime", "fun-asr-realtime-2025-11-07", *QWEN_AUDIO_MODELS)
}
# Optional parameters each model family takes (from the service's parameter table).
_COMMON = frozenset(
    {
        "format",
        "sample_rate",
        "stream",
        "heartbeat",
        "semantic_punctuation_enabled",
        "max_sentence_silence",
        "multi_threshold_mode_enabled",
    }
)
FUN_ASR_PARAMETERS = _COMMON | {
    "language_hints",
    "vocabulary_id",
    "punctuation_prediction_enabled",
    "speech_noise_threshold",
    "special_word_filter",
}
PARAFORMER_V2_PARAMETERS = _COMMON | {
    "vocabulary_id",
    "punctuation_prediction_enabled",
    "inverse_text_normalization_enabled",
    "disfluency_removal_enabled",
}
PARAFORMER_V1_PARAMETERS = _COMMON | {
    "phrase_id",
    "inverse_text_normalization_enabled",
    "disfluency_removal_enabled",
}


def accepted_parameters(model: str) -> frozenset[str]:
    """Return the parameters a model takes."""
    if model in QWEN_AUDIO_PARAMETERS:
        return QWEN_AUDIO_PARAMETERS[model]
    if model.startswith(("fun-asr", "qwen-audio-3.0")):
        return FUN_ASR_PARAMETERS
    if model == "paraformer-realtime-v2":
        return PARAFORMER_V2_PARAMETERS | {"language_hints"}
    if model.endswith("v2"):
        return PARAFORMER_V2_PARAMETERS
    return PARAFORMER_V1_PARAMETERS


FORMATS = frozenset({"pcm", "wav", "mp3", "opus", "speex", "aac", "amr"})
LANGUAGE_CODES = frozenset(
    {
        "zh",
        "en",
        "ja",
        "yue",
        "ko",
        "de",
        "fr",
        "ru",
        "vi",
        "th",
        "id",
        "ms",
        "tl",
        "ar",
        "hi",
        "es",
        "pt",
        "it",
        "nl",
        "pl",
        "sv",
        "da",
        "fi",
        "cs",
        "sk",
        "el",
        "hu",
        "ro",
        "bg",
        "hr",
        "sl",
    }
)


@dataclass
class ServerTask:
    """What the server saw of one task."""

    task_id: str
    connection: int
    run_task: dict[str, Any]
    audio: bytearray = field(default_factory=bytearray)
    frame_sizes: list[int] = field(default_factory=list)
    finish_received: bool = False
    finished: bool = False
    failed: str | None = None
    billed_seconds: int = 0  # the `usage.duration` of every result sent

    @property
    def parameters(self) -> dict[str, Any]:
        """Return `payload.parameters` of the `run-task`."""
        return dict(self.run_task["payload"]["parameters"])


class TaskFailedError(Exception):
    """Ends a task with `task-failed` and closes the connection."""

    def __init__(self, code: str, message: str) -> None:
        """Keep code and message."""
        super().__init__(code)
        self.code = code
        self.message = message


class DashScopeServer:
    """The local service: an aiohttp application plus what tests script and inspect."""

    def __init__(self, api_key: str = "sk-test-key", *, region: str = "beijing") -> None:
        """Accept `api_key`; serve the models of `region`."""
        self.models = BEIJING_MODELS if region == "beijing" else SINGAPORE_MODELS
        self.qwen_models = dict(QWEN_REGION_MODELS[region])  # realtime model -> sample rates
        self.customization = CustomizationService(api_key, self.models)
        self.transcription = TranscriptionService(lambda: self.customization.api_key)
        self.scripts: deque[TaskScript] = deque()
        self.default_script = TaskScript()
        self.handshake_status: int | None = None  # refuse upgrades with this status...
        self.handshake_refusals: int | None = None  # ...this many times (None: always)
        self.headers: list[dict[str, str]] = []
        self.connections = 0
        self.tasks: list[ServerTask] = []
        self.qwen_sessions: list[QwenSession] = []
        self.violations: list[str] = []
        self.accept_delay = 0.0  # seconds before answering an upgrade (a slow network)
        self.idle_timeout = 60.0  # no new task on an open connection
        self.audio_timeout = 23.0  # no audio during a task (realtime: no client event)
        self.close_after_finish = 1.0  # realtime: the wait for the client to close when done
        # A misbehaving service, for every new connection: "close" right after accepting it,
        # "abort" its TCP connection, or send a frame over the client's limit ("oversize").
        self.connection_fault: Literal["close", "abort", "oversize"] | None = None
        self.muted = False  # every open connection swallows all (a half-open socket)
        self._sockets: set[web.WebSocketResponse] = set()
        self._stopping = asyncio.Event()  # ends a slow handshake when the server stops
        self._connections: dict[web.WebSocketResponse, _Connection | QwenConnection] = {}

    @property
    def api_key(self) -> str:
        """Return the one key the service accepts (WebSocket and HTTP alike)."""
        return self.customization.api_key

    @api_key.setter
    def api_key(self, key: str) -> None:
        self.customization.api_key = key

    @property
    def open_sockets(self) -> int:
        """Return how many client connections are open."""
        return len(self._sockets)

    async def stop_idle_connections(self) -> None:
        """Close every connection that runs no task or session, as the service does when idle."""
        for ws, connection in list(self._connections.items()):
            if not connection.started:
                await ws.close()

    def queue(self, *scripts: TaskScript) -> None:
        """Use these scripts for the next tasks, in order (then the default)."""
        self.scripts.extend(scripts)

    def app(self) -> web.Application:
        """Return the aiohttp application."""
        app = web.Application()
        app.router.add_get(WEBSOCKET_PATH, self._handle)
        app.router.add_get(REALTIME_PATH, self._handle_realtime)
        app.router.add_post(CUSTOMIZATION_PATH, self.customization.handle)
        self.transcription.routes(app)
        app.on_shutdown.append(self._close_all)
        return app

    async def _close_all(self, _app: web.Application) -> None:
        self._stopping.set()
        for ws in list(self._sockets):
            await ws.close()

    def mute(self) -> None:
        """Let every open connection go silent: frames in, nothing out, never closed."""
        for connection in self._connections.values():
            connection.muted = True

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        ws = await self._upgrade(request)
        if isinstance(ws, web.WebSocketResponse) and not await self._fault(request, ws):
            await self._serve(ws, _Connection(self, ws, self.connections))
        return ws

    async def _handle_realtime(self, request: web.Request) -> web.StreamResponse:
        ws = await self._upgrade(request)
        if isinstance(ws, web.WebSocketResponse) and not await self._fault(request, ws):
            await self._serve(ws, QwenConnection(self, ws, request, self.connections))
        return ws

    async def _fault(self, request: web.Request, ws: web.WebSocketResponse) -> bool:
        """Misbehave on a new connection as `connection_fault` says; return True if it did."""
        fault = self.connection_fault
        if fault == "oversize":
            await ws.send_str("x" * (4 * 1024 * 1024 + 1))
        if fault == "abort" and request.transport is not None:
            request.transport.abort()
        elif fault is not None:
            await ws.close()
        return fault is not None

    async def _upgrade(self, request: web.Request) -> web.StreamResponse:
        """Answer the handshake as the service does: refused, unauthorized, or a WebSocket."""
        self.headers.append(dict(request.headers))
        if self.accept_delay:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.accept_delay)
        if self.handshake_status is not None and self.handshake_refusals != 0:
            if self.handshake_refusals is not None:
                self.handshake_refusals -= 1
            return web.Response(status=self.handshake_status, text="refused")
        scheme, _, key = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or key != self.api_key:
            return web.Response(status=401, text="Invalid API-key provided.")
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        self.connections += 1
        return ws

    async def _serve(
        self, ws: web.WebSocketResponse, connection: _Connection | QwenConnection
    ) -> None:
        self._sockets.add(ws)
        self._connections[ws] = connection
        try:
            await connection.run()
        finally:
            self._sockets.discard(ws)
            self._connections.pop(ws, None)
            await ws.close()


class _Connection:
    """One client connection, which may run several tasks one after another."""

    def __init__(self, server: DashScopeServer, ws: web.WebSocketResponse, number: int) -> None:
        self.server = server
        self.ws = ws
        self.number = number
        self.task: ServerTask | None = None
        self.script = TaskScript()
        self.recognizer: Recognizer | None = None
        self.qwen_audio: QwenAudioResults | None = None
        self.started = False
        self.frames = 0
        self.muted = False

    async def run(self) -> None:
        while True:
            timeout = self.server.audio_timeout if self.started else self.server.idle_timeout
            try:
                message = await self.ws.receive(timeout=timeout)
            except TimeoutError:
                if self.started and self.task is not None:
                    await self._fail("CLIENT_ERROR", "request timeout after 23 seconds.")
                return
            if self.muted and message.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                continue
            try:
                if message.type is WSMsgType.TEXT:
                    await self._on_text(message.data)
                elif message.type is WSMsgType.BINARY:
                    await self._on_audio(message.data)
                else:
                    if self.task is not None and not self.task.finished:
                        self.task.failed = "ClientDisconnect"
                    return
            except TaskFailedError as err:
                await self._fail(err.code, err.message)
                return
            except _DropConnection:
                return

    def _violation(self, text: str) -> None:
        self.server.violations.append(text)

    async def _on_text(self, text: str) -> None:
        try:
            data = json.loads(text)
            header = data["header"]
            action = header["action"]
        except (ValueError, KeyError, TypeError) as err:
            self._violation(f"malformed command: {text[:200]}")
            raise TaskFailedError("InvalidParameter", "Invalid payload data") from err
        if action == "run-task":
            await self._run_task(data)
        elif action == "finish-task":
            await self._finish_task(header)
        else:
            self._violation(f"unknown action {action!r}")
            raise TaskFailedError("InvalidParameter", f"Unsupported action {action}")

    async def _run_task(self, data: dict[str, Any]) -> None:
        header, payload = data["header"], data.get("payload") or {}
        if self.task is not None and not self.task.finished:
            self._violation("run-task while a task is running")
            raise TaskFailedError("InvalidParameter", "task already started")
        task_id = str(header.get("task_id", ""))
        self.task = ServerTask(task_id, self.number, data)
        self.server.tasks.append(self.task)
        self.script = (
            self.server.scripts.popleft() if self.server.scripts else self.server.default_script
        )
        self.started = False
        self.frames = 0
        self.held: list[dict[str, Any]] = []  # results a busy service has not reported yet
        _check_run_task(self, header, payload)
        model = payload["model"]
        if model not in self.server.models:
            raise TaskFailedError("ModelNotFound", "Model can not be found.")
        parameters = payload["parameters"]
        rates = self.server.models[model]
        if rates is not None and parameters["sample_rate"] not in rates:
            raise TaskFailedError("UNSUPPORTED_FORMAT", "Failed to decode audio")
        if refusal := self.server.customization.check_task(model, parameters):
            raise TaskFailedError(*refusal)
        if self.script.fail_code and self.script.fail_on == "run":
            raise TaskFailedError(self.script.fail_code, self.script.fail_message)
        self.recognizer = recognizer(
            self.script, parameters["sample_rate"] * 2 / 1000, _sentence_silence(model, parameters)
        )
        self.qwen_audio = results_for(
            model, parameters, parameters["sample_rate"] * 2 / 1000, self.script.revision
        )
        if self.script.stall_start:
            return
        self.started = True
        await self._send("task-started", {})
        for frame in self.script.raw_after_start:
            await self.ws.send_str(frame.replace("%TASK_ID%", task_id))
        if self.script.noise:
            await self._send("something-new", {"output": {"hello": 1}})
            await self.ws.send_str(
                json.dumps(
                    {"header": {"task_id": "0" * 32, "event": "task-finished"}, "payload": {}}
                )
            )
            await self.ws.send_bytes(b"\x00\x01")

    async def _on_audio(self, frame: bytes) -> None:
        task = self.task
        if task is None or not self.started:
            self._violation(f"audio frame of {len(frame)} bytes before task-started")
            return
        if task.finish_received:
            self._violation("audio after finish-task")
        task.frame_sizes.append(len(frame))
        if len(frame) > self.script.max_frame_bytes:
            self._violation(f"frame of {len(frame)} bytes")
            raise TaskFailedError("InvalidParameter", "decoded text message was too big")
        task.audio += frame
        self.frames += 1
        if self.qwen_audio is not None:
            self.qwen_audio.feed(len(frame))
        script = self.script
        if script.close_after_bytes is not None and len(task.audio) >= script.close_after_bytes:
            raise _DropConnection
        if (
            script.fail_code
            and script.fail_on == "audio"
            and len(task.audio) >= script.fail_after_bytes
        ):
            raise TaskFailedError(script.fail_code, script.fail_message)
        assert self.recognizer is not None
        for sentence in self.recognizer.feed(len(frame)):
            if script.results_after_finish:
                self.held.append(sentence)
            else:
                await self._result(sentence)
        if script.heartbeat_every and self.frames % script.heartbeat_every == 0:
            await self._result(self.recognizer.heartbeat())

    async def _finish_task(self, header: dict[str, Any]) -> None:
        task = self.task
        if task is None or header.get("task_id") != task.task_id:
            self._violation("finish-task for an unknown task")
            raise TaskFailedError("InvalidParameter", "task id mismatch")
        if header.get("streaming") != "duplex":
            self._violation("finish-task without streaming=duplex")
        task.finish_received = True
        script = self.script
        if script.fail_code and script.fail_on == "finish":
            raise TaskFailedError(script.fail_code, script.fail_message)
        if not self.started:
            self._violation("finish-task before task-started")
            return
        if script.finish_delay:
            await asyncio.sleep(script.finish_delay)
        for frame in script.raw_after_finish:
            await self.ws.send_str(frame.replace("%TASK_ID%", task.task_id))
        assert self.recognizer is not None
        held, self.held = self.held, []
        for sentence in [*held, *self.recognizer.finish()]:
            await self._result(sentence)
        if script.drop_before_finished:
            raise _DropConnection
        if script.stall_finish:
            return
        task.finished = True
        self.started = False
        await self._send("task-finished", {"output": {}, "usage": None})

    async def _result(self, sentence: dict[str, Any]) -> None:
        if self.qwen_audio is not None:
            for payload in self.qwen_audio.results(sentence):
                await self._send("result-generated", payload)
            return
        final = sentence.get("sentence_end") or sentence.get("end_time") is not None
        usage = {"duration": max(1, sentence.get("end_time") or 0) // 1000 or 1} if final else None
        if usage is not None and self.task is not None:
            self.task.billed_seconds += usage["duration"]
        await self._send("result-generated", {"output": {"sentence": sentence}, "usage": usage})

    async def _send(self, event: str, payload: dict[str, Any], **header: str) -> None:
        assert self.task is not None
        message = {
            "header": {"task_id": self.task.task_id, "event": event, "attributes": {}, **header},
            "payload": payload,
        }
        await self.ws.send_str(json.dumps(message, ensure_ascii=False))

    async def _fail(self, code: str, message: str) -> None:
        if self.task is not None:
            self.task.failed = code
            await self._send("task-failed", {}, error_code=code, error_message=message)
        await self.ws.close()


def _sentence_silence(model: str, parameters: dict[str, Any]) -> int:
    """Return the trailing silence (ms) that ends a sentence, as the service's VAD does."""
    if parameters.get("semantic_punctuation_enabled"):
        return 0
    default = 1300 if model.startswith("fun-asr") else 800  # the two families' documented defaults
    return int(parameters.get("max_sentence_silence", default))


class _DropConnection(Exception):
    """Close the connection without a word, as a network failure would."""


def _check_run_task(conn: _Connection, header: dict[str, Any], payload: dict[str, Any]) -> None:
    """Raise TaskFailedError where the service would refuse the `run-task`."""
    problems = []
    if not _TASK_ID.match(str(header.get("task_id", ""))):
        problems.append("task_id must be 32 lowercase hex characters")
    if header.get("streaming") != "duplex":
        problems.append("header.streaming must be duplex")
    for key, value in (("task_group", "audio"), ("task", "asr"), ("function", "recognition")):
        if payload.get(key) != value:
            problems.append(f"payload.{key} must be {value}")
    if input_errors := input_problems(str(payload.get("model")), payload.get("input")):
        for problem in input_errors:
            conn._violation(problem)
        raise TaskFailedError("InvalidParameter", "Invalid payload data")
    parameters = payload.get("parameters")
    if not isinstance(parameters, dict):
        problems.append("payload.parameters missing")
    else:
        if parameters.get("format") not in FORMATS:
            problems.append(f"format {parameters.get('format')!r}")
        if not isinstance(parameters.get("sample_rate"), int):
            problems.append("sample_rate must be an integer")
        hints = parameters.get("language_hints", [])
        if not isinstance(hints, list) or not set(hints) <= LANGUAGE_CODES:
            problems.append(f"language_hints {hints!r}")
        silence = parameters.get("max_sentence_silence", 800)
        if not isinstance(silence, int) or not 200 <= silence <= 6000:
            problems.append(f"max_sentence_silence {silence!r}")
        threshold = parameters.get("speech_noise_threshold", 0.0)
        if not isinstance(threshold, int | float) or not -1.0 <= threshold <= 1.0:
            problems.append(f"speech_noise_threshold {threshold!r}")
        # The service ignores what a model does not take; the client should not send it.
        unknown = set(parameters) - accepted_parameters(str(payload.get("model")))
        for name in sorted(unknown):
            conn._violation(f"parameter {name} is not taken by {payload.get('model')}")
    if not isinstance(payload.get("model"), str):
        problems.append("payload.model missing")
    if problems:
        for problem in problems:
            conn._violation(problem)
        raise TaskFailedError("InvalidParameter", "; ".join(problems))
