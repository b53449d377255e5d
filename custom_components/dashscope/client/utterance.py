"""One utterance, driven from above its session: audio in, transcripts out, one outcome.

`Utterance` owns a `RecognitionSession`, the caller's `AudioInput` and the `Endpointing`
policy. A sender task forwards audio as it arrives; the caller's task reads results. When
the policy says the command is over (the service's segmentation, or a complete command after
a short silence), the sender stops consuming the caller's audio, the task is finished in the
background, and the connection stays reusable. However it ends, the caller gets one
`RecognitionOutcome`.

A caller that has another way to answer (a fallback engine) may pass `give_up_start`: an
awaitable that, once it returns an error before the task has started, gives the start up with
that error instead of waiting out the account's start timeout.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Coroutine
import contextlib
from dataclasses import dataclass
from typing import Any

from .audio import AudioInput
from .endpointing import Endpointing, SpeechEnd
from .errors import DashScopeError
from .session import RecognitionSession
from .stats import RecognitionStats
from .transcript import Transcript

# Returns the error a start still under way is given up with (see `Utterance.transcripts`).
type GiveUp = Callable[[], Coroutine[Any, Any, DashScopeError]]


@dataclass(frozen=True, slots=True)
class RecognitionOutcome:
    """What one recognition gives its caller, however it ended."""

    transcript: Transcript
    stats: RecognitionStats  # what diagnostics show (no text)
    audio_bytes: int  # as sent to the service
    error: DashScopeError | None = None  # what failed it, if anything did
    # A complete command answered before its final result: the words that matched (the
    # final adds only punctuation).
    answer: str | None = None
    # The wait for a task finishing in the background (the end of speech ended the
    # utterance): the transcript's final text and the stats' usage are complete after it.
    finished: Callable[[], Awaitable[None]] | None = None

    @property
    def text(self) -> str:
        """Return the answer: the matched command, else the transcript's text."""
        return self.answer if self.answer is not None else self.transcript.text

    @property
    def ended_by(self) -> str:
        """Return what ended it: "caller", "service", "complete_command", ..., or "error".

        `RecognitionStats.ended_by` lists what the recognition itself ends on.
        """
        if self.error is not None:
            return "error"
        return self.stats.ended_by or "caller"


class Utterance:
    """One recognition: run it once with the caller's audio, then read its outcome."""

    def __init__(
        self, session: RecognitionSession, audio: AudioInput, endpointing: Endpointing
    ) -> None:
        """Prepare the utterance; nothing is sent before its audio is given."""
        self._session = session
        self._audio = audio
        self._endpointing = endpointing
        self._outcome: RecognitionOutcome | None = None

    @property
    def outcome(self) -> RecognitionOutcome:
        """Return how the recognition ended (once `transcripts` or `run` has ended)."""
        if self._outcome is None:
            raise RuntimeError("The utterance has not ended")
        return self._outcome

    async def transcripts(
        self, chunks: AsyncIterable[bytes], *, give_up_start: GiveUp | None = None
    ) -> AsyncIterator[Transcript]:
        """Send `chunks` as they arrive and yield the transcript as it grows.

        A DashScope failure ends the iteration quietly: it is the outcome's `error`. With
        `give_up_start`, a start still under way when it returns fails with the error it returns.
        """
        session = self._session
        error: DashScopeError | None = None
        try:
            await _start(session, give_up_start)
            try:
                async for transcript in _results(session, chunks, self._audio, self._endpointing):
                    yield transcript
            finally:
                await session.close()  # what leaving `async with session` does
        except DashScopeError as err:
            session.record_failure(err)
            error = err
        answer = session.answer_text if error is None else None
        self._outcome = RecognitionOutcome(
            session.transcript,
            session.stats,
            session.audio_bytes,
            error,
            answer=answer,
            finished=session.finished if error is None and session.finishing else None,
        )

    async def run(
        self, chunks: AsyncIterable[bytes], *, give_up_start: GiveUp | None = None
    ) -> RecognitionOutcome:
        """Recognize `chunks` without reading the transcript as it grows."""
        async for _ in self.transcripts(chunks, give_up_start=give_up_start):
            pass
        return self.outcome


async def _start(session: RecognitionSession, give_up: GiveUp | None) -> None:
    """Start the session's task; give it up with `give_up`'s error if that comes first."""
    if give_up is None:
        await session.__aenter__()
        return
    enter = asyncio.create_task(session.__aenter__(), name="dashscope session start")
    watch = asyncio.create_task(give_up(), name="dashscope start watch")
    try:
        await asyncio.wait({enter, watch}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        if not enter.done():
            enter.cancel()  # the session closes itself
        if not watch.done():
            watch.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watch
    if enter.cancelled() or not enter.done():
        with contextlib.suppress(asyncio.CancelledError):
            await enter
        await session.close()  # had it started in the meantime, it is given up all the same
        raise watch.result()
    enter.result()


async def _results(
    session: RecognitionSession,
    stream: AsyncIterable[bytes],
    audio: AudioInput,
    endpointing: Endpointing,
) -> AsyncIterator[Transcript]:
    """Yield the transcript as it grows; the session must already be started."""
    max_bytes = None
    if endpointing.max_seconds is not None and audio.spec.codec == "pcm":
        max_bytes = int(endpointing.max_seconds * audio.spec.bytes_per_second)
    speech_end = SpeechEnd(endpointing)
    sender = asyncio.create_task(
        _send_audio(session, stream, audio, max_bytes, speech_end), name="dashscope audio"
    )
    try:
        async for transcript in _until(session.results(), speech_end.ended):
            yield transcript
            # Once the audio is over (the pipeline ended it, or the cap did) and `finish-task`
            # is out, every sentence up to `task-finished` belongs to the transcript: only
            # audio still flowing is cut short by the end of speech.
            if not sender.done():
                speech_end.heard(transcript, session.audio_ms or 0)
            if speech_end.ended.is_set():
                break
        if speech_end.ended.is_set() and not sender.done():
            # The answer is here: stop reading the pipeline's audio and return now; the
            # task finishes in the background and the connection stays reusable.
            session.stats.ended_by = speech_end.ended_by
            if speech_end.command is not None:
                session.stats.command = speech_end.command.name
                session.answer_text = speech_end.command_text
            await _stop(sender)
            await session.finish_early(speech_end.speech_ended_at)
        if sender.done() and not sender.cancelled() and sender.result():
            session.stats.ended_by = "length_cap"
    finally:
        await _stop(sender)
        await speech_end.close()


async def _until(
    results: AsyncIterator[Transcript], ended: asyncio.Event
) -> AsyncIterator[Transcript]:
    """Yield `results` until they end or `ended` is set, whichever comes first.

    A silence long enough ends a complete command while no result is coming: the wait for
    the next one is then given up (the task is finished in the background).
    """
    waiter = asyncio.ensure_future(ended.wait())
    step: asyncio.Future[Transcript] | None = None
    try:
        while not ended.is_set():
            step = asyncio.ensure_future(anext(results))
            await asyncio.wait({step, waiter}, return_when=asyncio.FIRST_COMPLETED)
            if not step.done():
                return
            try:
                transcript = step.result()
            except StopAsyncIteration:
                return
            yield transcript
    finally:
        # Whatever ends the wait (an end of speech, a failure, the caller's cancellation),
        # the reader is stopped before the results are closed.
        pending = [task for task in (step, waiter) if task is not None and not task.done()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        aclose = getattr(results, "aclose", None)
        if aclose is not None:
            await aclose()


async def _stop(sender: asyncio.Task[bool]) -> None:
    if not sender.done():
        sender.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await sender


async def _send_audio(
    session: RecognitionSession,
    stream: AsyncIterable[bytes],
    audio: AudioInput,
    max_bytes: int | None,
    speech_end: SpeechEnd,
) -> bool:
    """Forward the audio as it arrives, then finish the task; return True if the cap ended it."""
    capped = False
    received = 0
    try:
        async for chunk in stream:
            if data := audio.feed(chunk):
                await session.send_audio(data)
                if (sent_ms := session.audio_ms) is not None:
                    speech_end.audio_sent(sent_ms)
            received += len(chunk)
            if max_bytes is not None and received >= max_bytes:
                capped = True
                break
        if rest := audio.finish():
            await session.send_audio(rest)
        await session.finish()
    except DashScopeError as err:
        await session.abort(err)
    except Exception as err:  # noqa: BLE001 - the stream is foreign code; its failure must end the task
        await session.abort(DashScopeError(f"Audio stream failed: {err!r}"))
    return capped
