"""Recognizing a whole audio file through the real-time API, paced like a live stream."""

from __future__ import annotations

from typing import Any

from .client import AudioSpec, Endpointing
from .client.files import AudioFile, paced
from .recognizer import Recognizer
from .transcript import TranscriptRecord


async def recognize_file(
    recognizer: Recognizer,
    audio_file: AudioFile,
    language: str,
    speed: float,
    *,
    entity_id: str,
) -> dict[str, Any]:
    """Return the action's response: text, sentences, duration and task id."""
    model = recognizer.model
    if audio_file.format == "pcm":
        assert audio_file.sample_rate is not None
        spec = AudioSpec("wav", "pcm", audio_file.sample_rate, audio_file.channels)
    else:
        container = "ogg" if audio_file.format in ("opus", "speex") else "file"
        spec = AudioSpec(container, audio_file.format, model.preferred_sample_rate)
    audio = recognizer.audio_input(spec)
    session = recognizer.recognition(language, audio, whole_file=True)
    async with session:
        stream = paced(audio_file.data, audio_file.duration, speed)
        async for _ in session.stream(stream, audio, Endpointing()):
            pass
    transcript = session.transcript
    record = TranscriptRecord.from_transcript(
        transcript,
        entity_id=entity_id,
        recognizer_id=recognizer.recognizer_id,
        language=language,
        model=model.name,
        audio_seconds=audio_file.duration,
    )
    duration = audio_file.duration
    if duration is None and transcript.sentences:
        duration = (transcript.sentences[-1].end_time or 0) / 1000
    return {
        "text": transcript.text,
        "sentences": [dict(row) for row in record.sentences],
        "duration": duration,
        "task_id": session.task_id,
    }
