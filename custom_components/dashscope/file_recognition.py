"""Recognizing a whole audio file through the real-time API, paced like a live stream.

The same recognition as Assist's, and the same follow-up (`outcome.py`): statistics,
reauth and repairs; the text is returned to the caller, not published as a transcript.
"""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant

from .client import AudioSpec
from .client.files import AudioFile, paced
from .outcome import async_recognition_done, start_recognition
from .recognizer import Recognizer
from .runtime import DashScopeRuntimeData


async def recognize_file(
    hass: HomeAssistant,
    runtime: DashScopeRuntimeData,
    recognizer: Recognizer,
    audio_file: AudioFile,
    language: str,
    speed: float,
    *,
    entity_id: str,
) -> dict[str, Any]:
    """Return the action's response: text, sentences, duration and task id.

    Raises the client's error when the recognition failed, once its follow-up is done.
    """
    model = recognizer.model
    if audio_file.format == "pcm":
        assert audio_file.sample_rate is not None
        spec = AudioSpec("wav", "pcm", audio_file.sample_rate, audio_file.channels)
    else:
        container = "ogg" if audio_file.format in ("opus", "speex") else "file"
        spec = AudioSpec(container, audio_file.format, model.preferred_sample_rate)
    audio = recognizer.audio_input(spec)
    utterance = start_recognition(runtime, recognizer, language, audio, whole_file=True)
    outcome = await utterance.run(paced(audio_file.data, audio_file.duration, speed))
    record = async_recognition_done(
        hass,
        runtime,
        recognizer,
        outcome,
        entity_id=entity_id,
        language=language,
        publish=False,
    )
    if outcome.error is not None:
        raise outcome.error
    transcript = outcome.transcript
    duration = audio_file.duration
    if duration is None and transcript.sentences:
        duration = (transcript.sentences[-1].end_time or 0) / 1000
    return {
        "text": record.text,
        "sentences": [dict(row) for row in record.sentences],
        "duration": duration,
        "task_id": outcome.stats.task_id,
    }
