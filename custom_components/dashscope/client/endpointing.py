"""The end-of-speech policy: who ends an utterance, and when the recognition says it is over.

`Endpointing` is the one place the policy enters the client: `Utterance` asks `ends` of each
transcript while the caller's audio still flows, and the realtime protocol's turn detection
(`service_turns`) is derived from it, never set apart. A new way to decide that a command is
over (for example, whether the text completes a known command) is a field here read by `ends`.
"""

from __future__ import annotations

from dataclasses import dataclass

from .transcript import Transcript

MAX_UTTERANCE_SECONDS = 15.0  # like the pipeline's own cap, when the service ends speech
MIN_SPEECH_MS = 300  # speech before the service's end of a sentence ends the command


@dataclass(frozen=True, slots=True)
class Endpointing:
    """When the recognition, not the caller's stream, ends an utterance."""

    on_service_end: bool = False  # end on the service's final sentence
    min_speech_ms: int = MIN_SPEECH_MS  # a cough does not end a command
    max_seconds: float | None = None  # a noisy room cannot keep the stream open forever
    recording: bool = False  # a whole recording: the caller ends it, the service cuts turns

    @classmethod
    def for_voice_commands(cls, *, on_service_end: bool) -> Endpointing:
        """Return the policy of a voice command: capped at 15 s when the service ends it."""
        return cls(
            on_service_end=on_service_end,
            max_seconds=MAX_UTTERANCE_SECONDS if on_service_end else None,
        )

    @classmethod
    def for_recording(cls) -> Endpointing:
        """Return the policy of a whole recording: its end ends it, whatever is said."""
        return cls(recording=True)

    @property
    def service_turns(self) -> bool:
        """Return True when the service's VAD cuts the audio into turns (realtime protocol).

        So it does when it ends the utterance, and for a recording (one manual turn holds at
        most 60 s); otherwise the caller's end of the audio ends the one turn.
        """
        return self.on_service_end or self.recording

    def ends(self, transcript: Transcript) -> bool:
        """Return True when `transcript` ends the utterance while the caller's audio flows."""
        return self.on_service_end and ends_command(transcript, self.min_speech_ms)


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
