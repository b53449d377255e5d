"""One task of the inference API (Fun-ASR, Paraformer): `run-task`, audio, `finish-task`.

The audio goes out as binary frames and results come back as `result-generated` events until
`task-finished`, after which the connection may run another task (the pool keeps it).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import logging

import aiohttp

from .connections import Connection
from .errors import DashScopeConnectionError, DashScopeError, service_error
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
from .task import SocketTask
from .transcript import Transcript

_LOGGER = logging.getLogger(__name__)


def task_error(event: TaskFailed) -> DashScopeError:
    """Convert a `task-failed` event into the matching exception."""
    return service_error(event.code, event.message, task=True)


class RecognitionTask(SocketTask):
    """A single task; the connection may run another one after `task-finished`."""

    def __init__(self, connection: Connection, parameters: RecognitionParameters) -> None:
        """Prepare the task; nothing is sent before `start`."""
        super().__init__(connection, parameters)
        self.task_id = new_task_id()

    async def start(self) -> None:
        """Send `run-task` and wait for `task-started` (the caller bounds the wait)."""
        sent_at = asyncio.get_running_loop().time()
        await self._send_text(RunTask(self.task_id, self.parameters).to_json())
        while not isinstance(await self._next_event(), TaskStarted):
            pass
        self._mark_started(sent_at)
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

    async def results(self) -> AsyncIterator[Transcript]:
        """Yield the transcript each time its text changes, until `task-finished`."""
        while True:
            event = await self._next_event()
            if isinstance(event, TaskFinished):
                self._mark_finished()
                return
            if isinstance(event, ResultGenerated):
                self._result_seen()
                if self.transcript.add(event.sentence, event.billed_seconds, event.tokens):
                    yield self.transcript

    async def _next_event(self) -> ServerEvent:
        """Return the next event of this task; raise on failure or a closed connection."""
        while True:
            event = parse_event(await self._receive_text())
            if isinstance(event, UnknownEvent) or event.task_id != self.task_id:
                continue
            if isinstance(event, TaskFailed):
                raise task_error(event)
            return event
