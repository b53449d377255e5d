"""What a recognition on one socket has, whichever protocol it speaks.

A task sends its utterance's audio and reads results until the service says it has sent
everything; the session above it decides about retries and replays. The protocols differ in
their messages (`inference.RecognitionTask` for run-task/finish-task,
`realtime_api.QwenRealtimeTask` for session.update/session.finish), not in how a socket is
read, bounded or closed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import uuid

import aiohttp

from .connections import Connection
from .errors import DashScopeConnectionError, DashScopeError, DashScopeTimeoutError
from .messages import RecognitionParameters
from .transcript import Transcript


class SocketTask:
    """The protocol-independent half of a task: sending, bounded reading, closing."""

    def __init__(self, connection: Connection, parameters: RecognitionParameters) -> None:
        """Prepare the task; nothing is sent before `start`."""
        self.connection = connection
        self.parameters = parameters
        self.task_id = uuid.uuid4().hex
        self.transcript = Transcript()
        self.started = False
        self.finish_sent = False
        self.finished = False
        self.first_result_at: float | None = None
        self._deadline: float | None = None
        self._receive_timeout: asyncio.Timeout | None = None
        self._closing_error: DashScopeError | None = None

    async def start(self) -> None:
        """Start the task on the service (the caller bounds the wait)."""
        raise NotImplementedError

    async def send_frame(self, frame: bytes) -> None:
        """Send one audio frame."""
        raise NotImplementedError

    async def finish(self, deadline: float) -> None:
        """Say that the audio ended; results must arrive by `deadline` (event-loop time)."""
        raise NotImplementedError

    def results(self) -> AsyncIterator[Transcript]:
        """Yield the transcript each time it changes, until the service has sent everything."""
        raise NotImplementedError

    def set_deadline(self, deadline: float) -> None:
        """Bound the wait for results, including a wait already in progress."""
        self._deadline = deadline
        if self._receive_timeout is not None:
            self._receive_timeout.reschedule(deadline)

    async def drain(self) -> None:
        """Read the remaining results until the end (bounded by the finish deadline)."""
        try:
            async for _ in self.results():
                pass
        except TimeoutError as err:
            raise DashScopeTimeoutError("The task did not end while draining") from err

    async def abort(self, error: DashScopeError) -> None:
        """Close the connection so that the result reader raises `error`."""
        self._closing_error = error
        await self.connection.ws.close()

    def complete(self) -> bool:
        """Return True when every sentence heard so far has its final text (none pending)."""
        return bool(self.transcript.sentences) and self.transcript.partial is None

    def _mark_started(self, sent_at: float) -> None:
        """Note that the service accepted the task (and how long the connection took)."""
        self.started = True
        if self.connection.start_seconds is None:
            self.connection.start_seconds = asyncio.get_running_loop().time() - sent_at

    def _mark_finished(self) -> None:
        """Note that the service sent everything: the connection has proven itself."""
        self.finished = True
        self.connection.completed += 1

    def _result_seen(self) -> None:
        if self.first_result_at is None:
            self.first_result_at = asyncio.get_running_loop().time()

    async def _receive_text(self) -> str:
        """Return the next text frame; raise when the connection closes first."""
        ws = self.connection.ws
        while True:
            try:
                async with asyncio.timeout_at(self._deadline) as self._receive_timeout:
                    message = await ws.receive()
            finally:  # also when the reader is cancelled (a complete command ended it)
                self._receive_timeout = None
            if message.type is aiohttp.WSMsgType.TEXT:
                return str(message.data)
            if message.type is aiohttp.WSMsgType.BINARY:
                continue
            if self._closing_error is not None:
                raise self._closing_error
            raise self._closed_error(message)

    def _closed_error(self, message: aiohttp.WSMessage) -> DashScopeConnectionError:
        """Say how the connection ended, and what it likely means before a start."""
        if isinstance(message.data, aiohttp.WebSocketError) and (
            message.data.code == aiohttp.WSCloseCode.MESSAGE_TOO_BIG
        ):
            how = "sent a message over the client's 4 MiB limit"
        elif message.type is aiohttp.WSMsgType.CLOSE:
            how = f"closed the connection (code {message.data})"
        elif message.type is aiohttp.WSMsgType.ERROR:
            how = f"broke the connection ({type(message.data).__name__})"
        else:
            how = "closed the connection"
        if not self.started:
            return DashScopeConnectionError(
                f"The service {how} before the task started — is real-time speech "
                "recognition enabled for this key's workspace?"
            )
        return DashScopeConnectionError(f"The service {how} before the task ended")

    async def _send_text(self, text: str) -> None:
        try:
            await self.connection.ws.send_str(text)
        except (aiohttp.ClientError, OSError, RuntimeError) as err:
            raise DashScopeConnectionError("Connection lost while sending") from err
