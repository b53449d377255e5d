"""One real-time recognition task on a WebSocket.

`RecognitionSession` connects, sends `run-task`, waits for `task-started`, then lets one task
send audio (framed to ~100 ms) while another reads results; `finish` flushes the last frame and
sends `finish-task`, after which the wait for `task-finished` is bounded.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
import logging
from types import TracebackType
from typing import Self

import aiohttp

from .audio import AudioFramer, pcm_frame_bytes
from .endpoints import Endpoint
from .errors import (
    AUTH_ERROR_CODES,
    DashScopeAuthError,
    DashScopeConnectionError,
    DashScopeError,
    DashScopeTaskError,
    DashScopeTimeoutError,
)
from .messages import (
    FinishTask,
    RecognitionParameters,
    ResultGenerated,
    RunTask,
    ServerEvent,
    TaskFailed,
    TaskFinished,
    TaskStarted,
    UnknownEvent,
    new_task_id,
    parse_event,
)
from .transcript import Transcript

_LOGGER = logging.getLogger(__name__)
_MAX_MESSAGE_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Timeouts:
    """How long to wait for the service, in seconds."""

    start: float = 10.0  # connect, handshake and `task-started`
    finish: float = 5.0  # from `finish-task` to `task-finished`


def task_error(event: TaskFailed) -> DashScopeError:
    """Convert a `task-failed` event into the matching exception."""
    if event.code in AUTH_ERROR_CODES:
        return DashScopeAuthError(f"{event.code}: {event.message}")
    return DashScopeTaskError(event.code, event.message)


class RecognitionSession:
    """A recognition task on its own connection; use as an async context manager."""

    def __init__(
        self,
        http: aiohttp.ClientSession,
        endpoint: Endpoint,
        api_key: str,
        parameters: RecognitionParameters,
        timeouts: Timeouts,
    ) -> None:
        """Prepare the task; nothing is sent before `start`."""
        self._http = http
        self._endpoint = endpoint
        self._api_key = api_key
        self.parameters = parameters
        self._timeouts = timeouts
        self.task_id = new_task_id()
        self.transcript = Transcript()
        self._framer = AudioFramer(pcm_frame_bytes(parameters.sample_rate))
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._deadline: float | None = None
        self._receive_timeout: asyncio.Timeout | None = None
        self._abort_error: DashScopeError | None = None
        self._finished = False
        self.audio_bytes = 0

    async def __aenter__(self) -> Self:
        """Connect and start the task."""
        try:
            await self.start()
        except BaseException:
            await self.close()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the connection."""
        await self.close()

    async def start(self) -> None:
        """Open the connection, send `run-task` and wait for `task-started`."""
        try:
            async with asyncio.timeout(self._timeouts.start):
                self._ws = await self._connect()
                await self._send_text(RunTask(self.task_id, self.parameters).to_json())
                while not isinstance(await self._next_event(), TaskStarted):
                    pass
        except TimeoutError as err:
            raise DashScopeTimeoutError(
                f"No task-started within {self._timeouts.start:g} s"
            ) from err
        _LOGGER.debug("Task %s started (%s)", self.task_id, self.parameters.model)

    async def _connect(self) -> aiohttp.ClientWebSocketResponse:
        try:
            return await self._http.ws_connect(
                self._endpoint.websocket_url,
                headers=self._endpoint.headers(self._api_key),
                max_msg_size=_MAX_MESSAGE_BYTES,
            )
        except aiohttp.WSServerHandshakeError as err:
            if err.status in (401, 403):
                raise DashScopeAuthError(f"API key refused (HTTP {err.status})") from err
            raise DashScopeConnectionError(f"Handshake failed (HTTP {err.status})") from err
        except (aiohttp.ClientError, OSError) as err:
            raise DashScopeConnectionError(
                f"Cannot connect to {self._endpoint.websocket_url}: {err.__class__.__name__}"
            ) from err

    async def send_audio(self, chunk: bytes) -> None:
        """Queue audio; full frames are sent at once."""
        for frame in self._framer.push(chunk):
            await self._send_frame(frame)

    async def finish(self) -> None:
        """Send the remaining audio and `finish-task`; the wait for results is bounded now."""
        if self._finished:
            return
        self._finished = True
        if rest := self._framer.flush():
            await self._send_frame(rest)
        await self._send_text(FinishTask(self.task_id).to_json())
        loop = asyncio.get_running_loop()
        self._deadline = loop.time() + self._timeouts.finish
        if self._receive_timeout is not None:
            self._receive_timeout.reschedule(self._deadline)

    async def results(self) -> AsyncIterator[Transcript]:
        """Yield the transcript each time its text changes, until `task-finished`."""
        try:
            while True:
                event = await self._next_event()
                if isinstance(event, TaskFinished):
                    return
                if isinstance(event, ResultGenerated) and self.transcript.add(
                    event.sentence, event.billed_seconds
                ):
                    yield self.transcript
        except TimeoutError as err:
            raise DashScopeTimeoutError(
                f"No task-finished within {self._timeouts.finish:g} s after the audio ended"
            ) from err

    async def abort(self, error: DashScopeError) -> None:
        """Stop the task because of `error`; the result reader raises it."""
        self._abort_error = error
        if self._ws is not None:
            await self._ws.close()

    async def close(self) -> None:
        """Close the connection (idempotent)."""
        if self._ws is not None and not self._ws.closed:
            await self._ws.close()

    async def _next_event(self) -> ServerEvent:
        """Return the next event of this task, raising on failure or a closed connection."""
        ws = self._ws
        assert ws is not None
        while True:
            async with asyncio.timeout_at(self._deadline) as self._receive_timeout:
                message = await ws.receive()
            self._receive_timeout = None
            if message.type is aiohttp.WSMsgType.TEXT:
                event = parse_event(message.data)
                if isinstance(event, UnknownEvent) or event.task_id != self.task_id:
                    continue
                if isinstance(event, TaskFailed):
                    raise task_error(event)
                return event
            if message.type is aiohttp.WSMsgType.BINARY:
                continue
            if self._abort_error is not None:
                raise self._abort_error
            raise DashScopeConnectionError(
                f"Connection closed before the task ended ({message.type.name})"
            )

    async def _send_frame(self, frame: bytes) -> None:
        ws = self._ws
        assert ws is not None
        try:
            await ws.send_bytes(frame)
        except (aiohttp.ClientError, OSError, RuntimeError) as err:
            raise DashScopeConnectionError("Connection lost while sending audio") from err
        self.audio_bytes += len(frame)

    async def _send_text(self, text: str) -> None:
        ws = self._ws
        assert ws is not None
        try:
            await ws.send_str(text)
        except (aiohttp.ClientError, OSError, RuntimeError) as err:
            raise DashScopeConnectionError("Connection lost while sending a command") from err
