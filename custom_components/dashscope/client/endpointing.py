"""When the service's own segmentation says a spoken command has ended."""

from __future__ import annotations

from .transcript import Transcript


def ends_command(transcript: Transcript, min_speech_ms: int) -> bool:
    """Return True when the last reported sentence is final and the command had real speech.

    The service ends a sentence after `max_sentence_silence` of silence (VAD segmentation) or
    when it is complete (semantic segmentation); a sentence still growing means the person
    is speaking. A cough gives no text or a very short sentence, so an end counts only after
    `min_speech_ms` of speech in the final sentences (when the service reports their times).
    """
    if transcript.partial is not None or not transcript.sentences:
        return False
    if not transcript.sentences[-1].text.strip():
        return False
    timed = [
        s.end_time - s.begin_time
        for s in transcript.sentences
        if s.begin_time is not None and s.end_time is not None
    ]
    return not timed or sum(timed) >= min_speech_ms
