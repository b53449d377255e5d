"""What the Qwen realtime service reports about speech: each utterance an item, and its events.

Kept apart from the connection (qwen.py), which decides when an utterance starts and ends
(server VAD from the Recognizer's sentences, or a Manual commit); this says what the client
then receives, in the documented order.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
import secrets
import string
from typing import Any

from .script import TaskScript

STASH_CHARS = 2  # the provisional tail of an intermediate result in split mode
TEXT = "conversation.item.input_audio_transcription.text"
COMPLETED = "conversation.item.input_audio_transcription.completed"
_ID_CHARS = string.ascii_letters + string.digits


def new_id(prefix: str) -> str:
    """Return a server-made id in the docs' style (`event_B2uoU7VOt1AAITsPRPH9n`)."""
    return prefix + "".join(secrets.choice(_ID_CHARS) for _ in range(21))


class Utterances:
    """Turns heard speech into items and their speech, text and transcription events."""

    def __init__(
        self,
        script: TaskScript,
        send: Callable[..., Awaitable[None]],
        labels: Callable[[], dict[str, str]],
    ) -> None:
        """Report through `send(event_type, **fields)`; `labels()` gives language and emotion."""
        self.script = script
        self._send = send
        self._labels = labels
        self.item_id: str | None = None  # the utterance being heard
        self.previous_item_id: str | None = None
        self._late: dict[str, Any] | None = None  # a `.completed` held past the next text

    async def flush(self) -> None:
        """Send a `.completed` still held back (the session is finishing)."""
        if self._late is not None:
            late, self._late = self._late, None
            await self._send(COMPLETED, **late)

    async def heard(self, sentence: dict[str, Any], now_ms: int, *, ends: bool = False) -> None:
        """Report a Recognizer sentence in server VAD mode (`ends`: the session is finishing)."""
        if self.item_id is None:
            self.item_id = new_id("item_")
            await self._send(
                "input_audio_buffer.speech_started",
                audio_start_ms=sentence["begin_time"],
                item_id=self.item_id,
            )
        if not (ends or sentence.get("sentence_end") or sentence.get("end_time") is not None):
            await self._send(TEXT, **self._text(sentence["text"]))
            await self.flush()  # a late `.completed` comes after the next item's text
            return
        end = sentence.get("end_time")
        await self._send(
            "input_audio_buffer.speech_stopped",
            audio_end_ms=now_ms if end is None else end,
            item_id=self.item_id,
        )
        await self._complete(sentence["text"])

    async def committed(self, transcript: str) -> None:
        """Report a Manual-mode utterance: no intermediate result came while its audio did."""
        self.item_id = new_id("item_")
        await self._complete(transcript, restate=self.script.partials and bool(transcript))

    def _text(self, heard: str) -> dict[str, Any]:
        """Return an intermediate result's fields: the whole current state of the utterance."""
        if self.script.stash_mode == "stash_only":
            text, stash = "", heard
        else:
            text, stash = heard[:-STASH_CHARS], heard[-STASH_CHARS:]
        return {
            "item_id": self.item_id,
            "content_index": 0,
            **self._labels(),
            "text": text,
            "stash": stash,
        }

    async def _complete(self, transcript: str, *, restate: bool = False) -> None:
        """The utterance became an item: commit it and report its final text."""
        item_id, previous = self.item_id, self.previous_item_id
        await self._send("input_audio_buffer.committed", previous_item_id=previous, item_id=item_id)
        item = {
            "id": item_id,
            "object": "realtime.item",
            "type": "message",
            "status": "completed",
            "role": "user",
            "content": [{"type": "input_audio"}],
        }
        await self._send("conversation.item.created", previous_item_id=previous, item=item)
        if restate:
            await self._send(TEXT, **self._text(transcript))
        if self.script.fail_transcription:
            error = {
                "code": "transcription_failed",
                "message": self.script.fail_message or "Transcription failed.",
                "param": None,
            }
            await self._send(
                "conversation.item.input_audio_transcription.failed",
                item_id=item_id,
                content_index=0,
                error=error,
            )
        elif not self.script.withhold_final:
            completed = {
                "item_id": item_id,
                "content_index": 0,
                **self._labels(),
                "transcript": transcript,
            }
            if self.script.late_completed:
                await self.flush()
                self._late = completed
            else:
                await self._send(COMPLETED, **completed)
        self.previous_item_id, self.item_id = item_id, None
