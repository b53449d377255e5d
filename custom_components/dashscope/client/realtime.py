"""One recognition task on a connection: `run-task`, audio frames, `finish-task`, results."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import logging

import aiohttp

from .connections import Connection
from .errors import (
    DashScopeConnectionError,
    DashScopeError,
    DashScopeTimeoutError,
    service_error,
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


def task_error(event: TaskFailed) -> DashScopeError:
    """Convert a `task-failed` event into the matching exception."""
    return service_error(event.code, event.message, task=True)


class RecognitionTask:
    """A single task; the connection may run another one after `task-finished`."""

    def __init__(self, connection: Connection, parameters: RecognitionParameters) -> None:
        """Prepare the task; nothing is sent before `start`."""
        self.connection = connection
        self.parameters = parameters
        self.task_id = new_task_id()
        self.transcript = Transcript()
        self.started = False
        self.finish_sent = False
        self.finished = False
        self.first_result_at: float | None = None
        self._deadline: float | None = None
        self._receive_timeout: asyncio.Timeout | None = None
        self._closing_error: DashScopeError | None = None

    async def start(self) -> None:
        """Send `run-task` and wait for `task-started` (the caller bounds the wait)."""
        self.connection.tasks += 1
        await self._send_text(RunTask(self.task_id, self.parameters).to_json())
        while not isinstance(await self._next_event(), TaskStarted):
            pass
        self.started = True
        _LOGGER.debug("Task %s started (%s)", self.task_id, self.parameters.model)

    async def send_frame(self, frame: bytes) -> None:
        """Send one audio frame."""
        try:
            await self.connection.ws.send_bytes(frame)
        except (aiohttp.ClientError, OSError, RuntimeError) as err:
            raise DashScopeConnectionError("Connection lost while sending audio") from err

    async def finish(self, deadline: float) -> None:
        """Send `finish-task`; results must arrive by `deadline` (event-loop time)."""
        self.set_deadline(deadline)
        await self._send_text(FinishTask(self.task_id).to_json())
        self.finish_sent = True

    def set_deadline(self, deadline: float) -> None:
        """Bound the wait for results, including a wait already in progress."""
        self._deadline = deadline
        if self._receive_timeout is not None:
            self._receive_timeout.reschedule(deadline)

    async def drain(self) -> None:
        """Read the remaining results until `task-finished` (bounded by the finish deadline)."""
        try:
            async for _ in self.results():
                pass
        except TimeoutError as err:
            raise DashScopeTimeoutError("No task-finished while draining") from err

    async def abort(self, error: DashScopeError) -> None:
        """Close the connection so that the result reader raises `error`."""
        self._closing_error = error
        await self.connection.ws.close()

    async def results(self) -> AsyncIterator[Transcript]:
        """Yield the transcript each time its text changes, until `task-finished`."""
        while True:
            event = await self._next_event()
            if isinstance(event, TaskFinished):
                self.finished = True
                return
            if isinstance(event, ResultGenerated):
                if self.first_result_at is None:
                    self.first_result_at = asyncio.get_running_loop().time()
                if self.transcript.add(event.sentence, event.billed_seconds):
                    yield self.transcript

    async def _next_event(self) -> ServerEvent:
        """Return the next event of this task; raise on failure or a closed connection."""
        ws = self.connection.ws
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
            if self._closing_error is not None:
                raise self._closing_error
            raise DashScopeConnectionError(
                f"Connection closed before the task ended ({message.type.name})"
            )

    async def _send_text(self, text: str) -> None:
        try:
            await self.connection.ws.send_str(text)
        except (aiohttp.ClientError, OSError, RuntimeError) as err:
            raise DashScopeConnectionError("Connection lost while sending a command") from err
