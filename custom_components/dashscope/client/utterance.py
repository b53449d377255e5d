"""One utterance: the pipeline's audio goes out while results come in.

A sender task forwards audio as it arrives; the caller's task reads results. With
end-of-speech on, the utterance ends as soon as the service's segmentation says the command
is over: the sender stops consuming the pipeline's audio, `finish-task` goes out, and the
last results are read, leaving the connection reusable.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator
import contextlib
from typing import TYPE_CHECKING

from .audio import AudioInput
from .endpointing import Endpointing, SpeechEnd
from .errors import DashScopeError
from .transcript import Transcript

if TYPE_CHECKING:
    from .session import RecognitionSession


async def run_utterance(
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
            await session.finish_early()
        if sender.done() and not sender.cancelled() and sender.result():
            session.stats.ended_by = "length_cap"
    except DashScopeError as err:
        session.record_failure(err)
        raise
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
