"""One session of the realtime API (`/api-ws/v1/realtime`, Qwen3-ASR-Flash-Realtime).

The socket holds exactly one session: `session.update` (answered by `session.updated`),
base64 audio events, then `session.finish` (answered by the pending results and
`session.finished`), after which the socket is closed. With the service's VAD each spoken
utterance becomes an item with its own final text; with manual turns the client commits the
audio it sent as one item before finishing.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
import logging

from .audio import pcm_bytes_per_second
from .connections import Connection
from .errors import DashScopeError, DashScopeTimeoutError, service_error
from .messages import RecognitionParameters, Sentence
from .realtime_messages import (
    Committed,
    ErrorEvent,
    RealtimeEvent,
    SessionFinished,
    SessionUpdated,
    SpeechStarted,
    SpeechStopped,
    TranscriptionCompleted,
    TranscriptionFailed,
    TranscriptionText,
    append_audio,
    commit,
    parse_realtime_event,
    session_finish,
    session_update,
)
from .task import SocketTask
from .transcript import Transcript, join_sentences

MIN_COMMIT_SECONDS = 0.1  # the service refuses a shorter manual turn (commit_empty)

_LOGGER = logging.getLogger(__name__)


def event_error(event: ErrorEvent | TranscriptionFailed) -> DashScopeError:
    """Convert an `error` or `…transcription.failed` event into the matching exception."""
    return service_error(event.code, event.message, task=True)


class QwenRealtimeTask(SocketTask):
    """A session on its own socket; the socket is spent once the session finished."""

    def __init__(self, connection: Connection, parameters: RecognitionParameters) -> None:
        """Prepare the session; nothing is sent before `start`."""
        super().__init__(connection, parameters)
        self._audio_bytes = 0  # sent on this socket
        self._speech: dict[str, tuple[int | None, int | None]] = {}  # item -> start, end (ms)
        # Each item's text by item id, in the order the items began: a late `.completed`
        # finishes its own item without touching the words of the next one.
        self._items: dict[str, Sentence] = {}
        self._commits_due = 0  # commits sent that no `committed` answered yet

    async def start(self) -> None:
        """Send `session.update` and wait for `session.updated` (the caller bounds the wait)."""
        sent_at = asyncio.get_running_loop().time()
        await self._send_text(session_update(self.parameters))
        while not isinstance(event := await self._next_event(), SessionUpdated):
            pass
        if event.session_id:
            self.task_id = event.session_id
        self._mark_started(sent_at)
        _LOGGER.debug("Session %s started (%s)", self.task_id, self.parameters.model)

    async def send_frame(self, frame: bytes) -> None:
        """Send one audio frame (base64 in an `input_audio_buffer.append`)."""
        await self._send_text(append_audio(frame))
        self._audio_bytes += len(frame)

    async def finish(self, deadline: float) -> None:
        """Commit the audio (manual turns) and send `session.finish`.

        Under the service's minimum a commit is refused (`input_audio_buffer_commit_empty`):
        such a turn is not committed and gives an empty result, like silence.
        """
        self.set_deadline(deadline)
        if not self.parameters.service_vad and self._audio_bytes >= self._min_commit_bytes():
            await self._send_text(commit())
            self._commits_due += 1
        await self._send_text(session_finish())
        self.finish_sent = True

    async def results(self) -> AsyncIterator[Transcript]:
        """Yield the transcript each time it changes, until `session.finished`."""
        while True:
            event = await self._next_event()
            if isinstance(event, SessionFinished):
                self._check_every_final()
                self._mark_finished()
                self.connection.spent = True  # one socket, one session: the pool closes it
                return
            if isinstance(event, SpeechStarted):
                self._speech[event.item_id] = (event.audio_start_ms, None)
            elif isinstance(event, SpeechStopped):
                begin = self._speech.get(event.item_id, (None, None))[0]
                self._speech[event.item_id] = (begin, event.audio_end_ms)
            elif isinstance(event, Committed):
                self._commits_due = max(0, self._commits_due - 1)
                self._items.setdefault(event.item_id, Sentence(""))
            elif isinstance(event, TranscriptionText | TranscriptionCompleted):
                self._result_seen()
                if self._put(event.item_id, self._sentence(event)):
                    yield self.transcript

    def complete(self) -> bool:
        """Return True when every item has its final text and no commit awaits one."""
        return super().complete() and not self._commits_due

    def _min_commit_bytes(self) -> int:
        if self.parameters.audio_format != "pcm":
            return 1
        return int(pcm_bytes_per_second(self.parameters.sample_rate) * MIN_COMMIT_SECONDS)

    def _put(self, item_id: str, sentence: Sentence) -> bool:
        """Set one item's text; return True when the transcript's text or sentences changed.

        Items up to the first one still being recognized are final sentences; from it on,
        their text is the transcript's growing part.
        """
        before = (self.transcript.text, len(self.transcript.sentences))
        self._items[item_id] = sentence
        items = list(self._items.values())
        pending = next((i for i, item in enumerate(items) if not item.is_final), len(items))
        self.transcript.sentences = items[:pending]
        rest = items[pending:]
        self.transcript.partial = (
            replace(rest[0], text=join_sentences([item.text for item in rest])) if rest else None
        )
        return (self.transcript.text, len(self.transcript.sentences)) != before

    def _check_every_final(self) -> None:
        """Raise when the session ended before an item's final text: not passed off as final."""
        if self._commits_due or any(not item.is_final for item in self._items.values()):
            raise DashScopeTimeoutError(
                "The service finished the session without the final text of an utterance"
            )

    def _sentence(self, event: TranscriptionText | TranscriptionCompleted) -> Sentence:
        begin, end = self._speech.get(event.item_id, (None, None))
        if isinstance(event, TranscriptionText):
            return Sentence(
                event.text + event.stash,
                begin_time=begin,
                emo_tag=event.emotion,
                language=event.language,
            )
        return Sentence(
            event.transcript,
            begin_time=begin,
            end_time=end,
            is_final=True,
            emo_tag=event.emotion,
            language=event.language,
        )

    async def _next_event(self) -> RealtimeEvent:
        """Return the next event; raise on an error, a failed item or a closed connection."""
        event = parse_realtime_event(await self._receive_text())
        if isinstance(event, ErrorEvent | TranscriptionFailed):
            raise event_error(event)
        return event
