"""One recognition session of the realtime protocol (Qwen3-ASR-Flash-Realtime).

The socket holds exactly one session: `session.update` (answered by `session.updated`),
base64 audio events, then `session.finish` (answered by the pending results and
`session.finished`), after which the socket is closed. With the service's VAD each spoken
utterance becomes an item with its own final text; with manual turns the client commits the
audio it sent as one item before finishing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
import logging

from .connections import Connection
from .errors import DashScopeError, service_error
from .messages import RecognitionParameters, Sentence
from .qwen_messages import (
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
from .transcript import Transcript

_LOGGER = logging.getLogger(__name__)


def event_error(event: ErrorEvent | TranscriptionFailed) -> DashScopeError:
    """Convert an `error` or `…transcription.failed` event into the matching exception."""
    return service_error(event.code, event.message, task=True)


class QwenRealtimeTask(SocketTask):
    """A session on its own socket; the socket is spent once the session finished."""

    def __init__(self, connection: Connection, parameters: RecognitionParameters) -> None:
        """Prepare the session; nothing is sent before `start`."""
        super().__init__(connection, parameters)
        self._audio_sent = False
        self._speech: dict[str, tuple[int | None, int | None]] = {}  # item -> start, end (ms)

    async def start(self) -> None:
        """Send `session.update` and wait for `session.updated` (the caller bounds the wait)."""
        self.connection.tasks += 1
        await self._send_text(session_update(self.parameters))
        while not isinstance(event := await self._next_event(), SessionUpdated):
            pass
        if event.session_id:
            self.task_id = event.session_id
        self.started = True
        _LOGGER.debug("Session %s started (%s)", self.task_id, self.parameters.model)

    async def send_frame(self, frame: bytes) -> None:
        """Send one audio frame (base64 in an `input_audio_buffer.append`)."""
        await self._send_text(append_audio(frame))
        self._audio_sent = True

    async def finish(self, deadline: float) -> None:
        """Commit the audio (manual turns) and send `session.finish`."""
        self.set_deadline(deadline)
        if not self.parameters.service_vad and self._audio_sent:
            await self._send_text(commit())
        await self._send_text(session_finish())
        self.finish_sent = True

    async def results(self) -> AsyncIterator[Transcript]:
        """Yield the transcript each time it changes, until `session.finished`."""
        while True:
            event = await self._next_event()
            if isinstance(event, SessionFinished):
                self.finished = True
                self.connection.spent = True  # one socket, one session: the pool closes it
                return
            if isinstance(event, SpeechStarted):
                self._speech[event.item_id] = (event.audio_start_ms, None)
            elif isinstance(event, SpeechStopped):
                begin = self._speech.get(event.item_id, (None, None))[0]
                self._speech[event.item_id] = (begin, event.audio_end_ms)
            elif isinstance(event, TranscriptionText | TranscriptionCompleted):
                self._result_seen()
                if self.transcript.add(self._sentence(event)):
                    yield self.transcript

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
