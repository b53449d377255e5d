"""What one recognition leaves for diagnostics."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class RecognitionStats:
    """What diagnostics show about one recognition (no text, no key)."""

    model: str
    task_id: str | None = None
    audio_seconds: float | None = None  # known for PCM
    billed_seconds: float = 0.0  # the audio the service billed (its `usage.duration`)
    tokens: int | None = None  # input plus output tokens, for models billed in tokens
    first_result_seconds: float | None = None  # from the start of the session
    # How long the answer took after the speech: when the caller ended the audio, from its
    # end to the final result; when the service or the command policy ended the utterance,
    # from the end of speech (the last word's end in the audio sent, as audio arrives in real
    # time; without word times, when the text last changed) to the answer.
    finalize_seconds: float | None = None
    reused_connection: bool = False
    attempts: int = 0
    retried_after: list[str] = field(default_factory=list)  # what each retry recovered from
    error_code: str | None = None  # the failure's code (or class), when the recognition failed
    # What ended the audio, not the caller: "service", "complete_command", "long_silence"
    # (a beginning of a command waited for) or "length_cap".
    ended_by: str | None = None
    command: str | None = None  # the intent (or trigger) that matched, never the text

    def note_first_result(self, first_result_at: float | None, started_at: float) -> None:
        """Keep the earliest first result of the utterance's tasks (event-loop times)."""
        if first_result_at is not None and self.first_result_seconds is None:
            self.first_result_seconds = first_result_at - started_at
