"""What a recognized utterance tells automations, and how it reaches them.

Inside Home Assistant only: the recognizer's event entity and the phrase triggers receive the
record through the dispatcher. Nothing is fired on the event bus, whose events the recorder
writes to the database whatever the integration wants (only the person's own recorder
`exclude: event_types` could keep them out); the event entity keeps the text out of the
database unless the account keeps a transcript history (`event.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send

from .client import Transcript
from .const import SIGNAL_ANY_TRANSCRIPT, SIGNAL_TRANSCRIPT


@dataclass(frozen=True, slots=True)
class TranscriptRecord:
    """One recognized utterance."""

    entity_id: str
    recognizer_id: str
    text: str
    language: str
    model: str
    audio_seconds: float | None
    sentences: tuple[dict[str, Any], ...]
    emotion: str | None = None
    emotion_confidence: float | None = None
    engine: str = ""  # the stt entity that answered, when not this one (its fallback)

    @classmethod
    def from_transcript(
        cls,
        transcript: Transcript,
        *,
        entity_id: str,
        recognizer_id: str,
        language: str,
        model: str,
        audio_seconds: float | None,
    ) -> TranscriptRecord:
        """Build the record of a finished transcript."""
        sentences = [*transcript.sentences]
        if transcript.partial is not None:
            sentences.append(transcript.partial)
        rows = []
        for sentence in sentences:
            row: dict[str, Any] = {
                "text": sentence.text,
                "begin_ms": sentence.begin_time,
                "end_ms": sentence.end_time,
            }
            if sentence.emo_tag is not None:
                row["emotion"] = sentence.emo_tag
                row["emotion_confidence"] = sentence.emo_confidence
            if sentence.language is not None:
                row["language"] = sentence.language  # what the service detected
            rows.append(row)
        # The utterance's emotion: that of its last sentence which has one.
        emotional = [s for s in sentences if s.emo_tag is not None]
        return cls(
            entity_id=entity_id,
            recognizer_id=recognizer_id,
            text=transcript.text,
            language=language,
            model=model,
            audio_seconds=audio_seconds,
            sentences=tuple(rows),
            emotion=emotional[-1].emo_tag if emotional else None,
            emotion_confidence=emotional[-1].emo_confidence if emotional else None,
        )

    def attributes(self) -> dict[str, Any]:
        """Return the event entity's attributes (and what a phrase trigger passes on)."""
        return {
            "text": self.text,
            "language": self.language,
            "model": self.model,
            "audio_seconds": self.audio_seconds,
            "sentences": [dict(row) for row in self.sentences],
            "emotion": self.emotion,
            "emotion_confidence": self.emotion_confidence,
            "engine": self.engine or self.entity_id,
        }


@callback
def async_publish(hass: HomeAssistant, record: TranscriptRecord) -> None:
    """Tell the recognizer's event entity and every phrase trigger."""
    async_dispatcher_send(hass, SIGNAL_TRANSCRIPT.format(record.recognizer_id), record)
    async_dispatcher_send(hass, SIGNAL_ANY_TRANSCRIPT, record)
