"""The tasks of one utterance, kept alive across connection trouble.

`Utterance` (utterance.py) drives a session from above: it feeds the caller's audio, applies
the end-of-speech policy and makes the outcome; the session only sends, replays and reads.

Audio is cut into ~100 ms frames and kept (up to `RetryPolicy.replay_seconds`) while it is sent.
If the connection drops mid-utterance, or the service throttles, a new task is started on a
fresh connection and this utterance's audio is replayed from the start, so no audio is lost.
How tasks are started, and which failure deserves another one, is `TaskStarter`'s job: the
number of attempts is fixed and the start deadline runs from the first. After the audio ends,
everything is bounded by one deadline (`Timeouts.finish`); final text that arrived is kept
even when the task's end does not come.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import logging
from types import TracebackType
from typing import Self

from .audio import PCM_SAMPLE_BYTES, AudioFramer, frame_bytes, pcm_bytes_per_second
from .connections import ConnectionPool
from .errors import (
    DashScopeConnectionError,
    DashScopeError,
    DashScopeTimeoutError,
)
from .messages import RecognitionParameters
from .replay import ReplayBuffer
from .retry import RetryPolicy, Timeouts
from .starter import TaskStarter
from .stats import RecognitionStats
from .task import SocketTask
from .transcript import Transcript

_LOGGER = logging.getLogger(__name__)


class RecognitionSession:
    """One utterance's tasks: use as an async context manager, send audio, read results.

    `Utterance` drives one from above (the caller's stream, the end-of-speech policy, the
    outcome); `DashScopeClient.validate` drives one directly.
    """

    def __init__(
        self,
        pool: ConnectionPool,
        parameters: RecognitionParameters,
        timeouts: Timeouts,
        policy: RetryPolicy,
        *,
        keep_connection: bool = True,
    ) -> None:
        """Prepare the session; nothing is sent before it is entered."""
        self._pool = pool
        self.parameters = parameters
        self._timeouts = timeouts
        self._keep_connection = keep_connection
        self._pcm = parameters.audio_format == "pcm"
        self._framer = AudioFramer(
            frame_bytes(parameters.audio_format, parameters.sample_rate),
            PCM_SAMPLE_BYTES if self._pcm else 1,
        )
        # Compressed audio: bound the replay buffer as if it were 128 kbit/s.
        self._bytes_per_second = (
            pcm_bytes_per_second(parameters.sample_rate) if self._pcm else 16000
        )
        self._replay = ReplayBuffer(int(policy.replay_seconds * self._bytes_per_second))
        self._task: SocketTask | None = None
        self._closed_task: SocketTask | None = None
        self._lock = asyncio.Lock()
        self._audio_done = False
        self._deadline: float | None = None
        self._aborted: DashScopeError | None = None
        self._closed = False
        self._finish_in_background = False  # set by finish_early
        self._started_at = 0.0
        self._audio_end_at: float | None = None
        self._speech_end_at: float | None = None  # given by finish_early
        self._answered_at: float | None = None
        self._background: asyncio.Task[None] | None = None
        # The text of a complete command that ended the utterance (its final may add marks).
        self.answer_text: str | None = None
        self.stats = RecognitionStats(parameters.model)
        # A session that will not keep its connection (a validation) never takes a pooled one.
        self._starter = TaskStarter(
            pool, parameters, timeouts, policy, self.stats, fresh=not keep_connection
        )

    @property
    def audio_bytes(self) -> int:
        """Return how much audio this utterance has had (as sent to the service)."""
        return self._replay.total_bytes

    @property
    def audio_ms(self) -> int | None:
        """Return how much audio (ms) the service has been given, for PCM."""
        return self.audio_bytes * 1000 // self._bytes_per_second if self._pcm else None

    @property
    def finishing(self) -> bool:
        """Return True when the task finishes in the background (see `finished`)."""
        return self._background is not None

    async def finished(self) -> None:
        """Wait until a task finishing in the background has ended (its final text is in).

        Its usage (`stats.billed_seconds`, `stats.tokens`) is complete only then.
        """
        if self._background is not None:
            await asyncio.shield(self._background)

    @property
    def transcript(self) -> Transcript:
        """Return the transcript of the current task."""
        task = self._task or self._closed_task
        return task.transcript if task else Transcript()

    async def __aenter__(self) -> Self:
        """Start a task (reusing an idle connection when there is one)."""
        self._started_at = asyncio.get_running_loop().time()
        try:
            await self._start_task()
        except BaseException as err:
            if isinstance(err, DashScopeError):
                self.record_failure(err)
            await self.close()
            raise
        return self

    def record_failure(self, err: DashScopeError) -> None:
        """Keep what ended the recognition for diagnostics."""
        self.stats.error_code = getattr(err, "code", type(err).__name__)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Give the connection back if its task finished, otherwise close it."""
        await self.close()

    async def send_audio(self, chunk: bytes) -> None:
        """Queue audio; every full frame is sent at once."""
        if self._closed:
            raise DashScopeConnectionError("The recognition session is closed")
        frames = self._framer.push(chunk)
        if frames:
            self._replay.keep(frames)
            async with self._lock:
                await self._pump()

    async def finish(self) -> None:
        """Send the rest of the audio and `finish-task`; from now on the wait is bounded."""
        if self._closed:
            raise DashScopeConnectionError("The recognition session is closed")
        if not self._audio_done:
            if rest := self._framer.flush():
                self._replay.keep([rest])
            now = asyncio.get_running_loop().time()
            self._audio_done = True
            self._audio_end_at = now
            self._deadline = now + self._timeouts.finish
        # Pumping again is harmless, and sends `finish-task` if an earlier call was cancelled.
        async with self._lock:
            await self._pump()

    async def results(self) -> AsyncIterator[Transcript]:
        """Yield the transcript as it grows, until the service has sent everything.

        Words that arrived are not thrown away: once the audio ended, a task whose every
        sentence has its final text is complete even if its end (`task-finished`) is lost or
        late, and is neither replayed nor failed.
        """
        while True:
            task = self._task
            assert task is not None  # a failed start raised instead
            try:
                async for transcript in task.results():
                    yield transcript
                break
            except TimeoutError as err:
                if task.finish_sent and task.complete():
                    _LOGGER.debug("The task's end did not come; its final text is complete")
                    break
                raise DashScopeTimeoutError(
                    f"No final result within {self._timeouts.finish:g} s after the audio ended"
                ) from err
            except DashScopeError as err:
                if (
                    isinstance(err, DashScopeConnectionError)
                    and task.finish_sent
                    and task.complete()
                ):
                    _LOGGER.debug("Connection lost after the final text (%s): no replay", err)
                    break
                await self._drop_task()
                await self._before_retry(err, task)
                await self._start_task()
        self._answered_at = asyncio.get_running_loop().time()

    async def finish_early(self, speech_ended_at: float | None = None) -> None:
        """Send `finish-task` and let the task end in the background: the caller has its answer.

        The connection goes back to the pool once `task-finished` arrives, so the next
        utterance can reuse it; nobody waits for that round trip. `speech_ended_at` is when
        (event-loop time) the speech ended, as the end-of-speech policy tells it: the
        utterance's `finalize_seconds` runs from then, not from this call.
        """
        self._speech_end_at = speech_ended_at
        await self.finish()
        self._finish_in_background = True
        await self.close()

    async def abort(self, error: DashScopeError) -> None:
        """Stop because of `error` (e.g. the audio source failed); `results` raises it."""
        self._aborted = error
        if self._task is not None:
            await self._task.abort(error)

    async def close(self) -> None:
        """Release or close the connection (idempotent)."""
        if self._closed:
            return
        self._closed = True
        if self._pcm:
            self.stats.audio_seconds = self.audio_bytes / self._bytes_per_second
        task, self._task = self._task, None
        self._record_timings(task)
        if task is None:
            return
        self._closed_task = task  # its transcript stays readable
        if not self._keep_connection:
            self._record_usage(task)
            await self._pool.discard(task.connection)
        elif task.finished:
            self._record_usage(task)
            self._pool.release(task.connection)
        elif self._finish_in_background and task.finish_sent:
            # The rest of the results (the final sentence's usage) arrives in the background.
            self._background = self._pool.finish_in_background(
                task.connection, lambda: self._drain(task)
            )
        else:  # a task still running (or broken) must not be reused
            self._record_usage(task)
            await self._pool.discard(task.connection)

    async def _drain(self, task: SocketTask) -> None:
        """Read a task finishing in the background to its end, then add its usage."""
        try:
            await task.drain()
        finally:  # a failed drain still counts what the service said it billed
            self._record_usage(task)

    def _record_usage(self, task: SocketTask) -> None:
        """Add what the service billed for `task` (once: when it has sent all it will)."""
        self.stats.billed_seconds += task.transcript.billed_seconds  # a replay bills again
        self.stats.tokens = task.transcript.tokens

    async def _pump(self) -> None:
        """Send unsent frames (and `finish-task` once the audio ended); hold the lock."""
        task = self._task
        if task is None or not task.started or task.connection.closed:
            return
        try:
            while (frame := self._replay.unsent()) is not None:
                await task.send_frame(frame)
                self._replay.mark_sent()
            if self._audio_done and not task.finish_sent and self._deadline is not None:
                await task.finish(self._deadline)
        except DashScopeConnectionError:
            # The reader sees the closed connection and decides about a replay.
            await task.connection.ws.close()
        self._replay.settle()

    async def _start_task(self) -> None:
        """Start a task and send it this utterance's audio so far, retrying per the policy.

        Every attempt shares one deadline, measured from the first: a retry never resets it.
        """
        async with self._lock:
            deadline = asyncio.get_running_loop().time() + self._timeouts.start
            while True:
                if self._deadline is not None:
                    deadline = min(deadline, self._deadline)
                try:
                    task = await self._starter.attempt(deadline)
                except DashScopeError as err:
                    await self._before_retry(err, self._starter.failed)
                    continue
                self._task = task
                self._replay.rewind()  # the new task gets the whole utterance
                if self._deadline is not None:
                    task.set_deadline(self._deadline)
                await self._pump()
                return

    async def _drop_task(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            self.stats.note_first_result(task.first_result_at, self._started_at)
            await self._pool.discard(task.connection)

    def _record_timings(self, task: SocketTask | None) -> None:
        """Fill the timings however the utterance ended (answered, ended early, failed).

        `finalize_seconds` runs to the answer (the final result, or now: the policy ended the
        utterance, or it failed) from the end of speech when the policy ended the utterance
        and knows when the speech ended, else from the end of the audio (the caller ended it).
        """
        if task is not None:
            self.stats.note_first_result(task.first_result_at, self._started_at)
        if self._audio_end_at is not None:
            end = self._answered_at or asyncio.get_running_loop().time()
            begin = self._speech_end_at if self._speech_end_at is not None else self._audio_end_at
            self.stats.finalize_seconds = max(0.0, end - begin)

    async def _before_retry(self, err: DashScopeError, task: SocketTask | None) -> None:
        """Return when `err` deserves another task (after any backoff); raise it otherwise."""
        if self._aborted is not None:
            raise self._aborted from err
        await self._starter.before_retry(
            err, task, replayable=self._replay.replayable, deadline=self._deadline
        )
