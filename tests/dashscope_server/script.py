"""What the local DashScope server does during one task, and the results it derives from audio.

Recognized text is revealed in proportion to the audio actually received (`bytes_per_char`),
so a client that loses audio gets a shorter transcript, as it would from the real service.
The audio after the last sentence is silence: with VAD segmentation the service ends that
sentence only once `max_sentence_silence` of it has arrived (semantic segmentation ends it
at once); earlier sentences end where the next one begins.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

FinalSignal = Literal["sentence_end", "end_time", "both"]


@dataclass
class TaskScript:
    """How the server behaves for one task; tests queue these on the server."""

    sentences: list[str] = field(default_factory=lambda: ["打开客厅的灯。"])
    # The pause between the sentences, ms. None: long enough for the service to end each one.
    # With VAD segmentation a pause shorter than `max_sentence_silence` ends no sentence, so
    # the sentences are one to the service (reported as one; the pause's audio is not
    # modelled). Semantic segmentation ends each complete sentence whatever the pause.
    pause_ms: int | None = None
    bytes_per_char: int = 1600  # 50 ms of 16 kHz PCM per character
    final_signal: FinalSignal = "both"
    partials: bool = True
    finalize_on_finish: bool = True  # False: a sentence still growing at the end stays partial
    heartbeat_every: int = 0  # a heartbeat result after every N frames (0: never)
    emotion: tuple[str, float] | None = None
    noise: bool = (
        False  # after task-started: an unknown event, another task's event, a binary frame
    )
    fail_code: str | None = None
    fail_message: str = ""
    fail_on: Literal["run", "audio", "finish"] = "run"
    fail_after_bytes: int = 0
    close_after_bytes: int | None = None  # drop the connection mid-stream
    stall_start: bool = False  # never send task-started
    stall_finish: bool = False  # never send task-finished
    finish_delay: float = 0.0  # the service's own finishing time, seconds
    results_after_finish: bool = False  # a busy service: nothing is reported before finish-task
    max_frame_bytes: int = 16384
    # Qwen-Audio-3.1 (qwen_audio.py): the first intermediate text reads this, then is revised.
    revision: str | None = None
    # Qwen3-ASR-Flash-Realtime only (the inference protocol ignores them). How an intermediate
    # `...transcription.text` splits the utterance: `text` fixed + `stash` provisional tail
    # ("split"), or everything in `stash` ("stash_only"), as the SDK's own sample reads it.
    stash_mode: Literal["split", "stash_only"] = "split"
    detected_language: str | None = None  # None: the session's language, else "zh"
    fail_type: Literal["invalid_request_error", "server_error"] = "server_error"
    fail_transcription: bool = False  # `...transcription.failed` instead of `completed`
    malformed: bool = False  # a text frame that is not JSON, right after session.created
    # Faults of a misbehaving service (both protocols unless said otherwise).
    # Text frames sent as they are after the start, or once the audio ended (`%TASK_ID%`
    # becomes the task's id).
    raw_after_start: tuple[str, ...] = ()
    raw_after_finish: tuple[str, ...] = ()
    drop_before_finished: bool = False  # the finals arrive, then the connection drops
    withhold_final: bool = False  # Qwen3: items are committed, their `.completed` never comes
    late_completed: bool = False  # Qwen3: an item's `.completed` after the next item's text
    # Speech scripted word by word (see words.py): (text, begin_ms, end_ms) in the audio.
    # When given, it replaces `sentences`, and a word is reported `partial_delay_ms` of audio
    # after its end.
    words: tuple[tuple[str, int, int], ...] = ()
    partial_delay_ms: int = 0


def recognizer(script: TaskScript, bytes_per_ms: float, silence_ms: int) -> Any:
    """Return what turns this task's audio into results: by word when the script has words."""
    if script.words:
        from .words import WordRecognizer  # noqa: PLC0415 - words.py imports this module

        return WordRecognizer(script, bytes_per_ms, silence_ms)
    return Recognizer(script, bytes_per_ms, silence_ms)


@dataclass
class Recognizer:
    """Turns received audio into intermediate and final sentences following a script."""

    script: TaskScript
    bytes_per_ms: float
    silence_ms: int = 0  # trailing silence that ends the last sentence
    received: int = 0
    _sentence: int = 0  # index of the sentence being revealed
    _revealed: int = 0  # characters of it already reported
    _sentence_start: int = 0  # byte offset where it began
    sentences: list[str] = field(init=False)  # as the service segments the script's speech

    def __post_init__(self) -> None:
        """Join the sentences that no pause long enough for the service's VAD separates."""
        pause = self.script.pause_ms
        if self.silence_ms and pause is not None and pause < self.silence_ms:
            self.sentences = ["".join(self.script.sentences)] if self.script.sentences else []
        else:
            self.sentences = list(self.script.sentences)

    def feed(self, size: int) -> list[dict[str, Any]]:
        """Take `size` more bytes of audio; return the sentences to report."""
        self.received += size
        out: list[dict[str, Any]] = []
        available = self.received // self.script.bytes_per_char
        sentences = self.sentences
        consumed = sum(len(text) for text in sentences[: self._sentence])
        while self._sentence < len(sentences):
            text = sentences[self._sentence]
            visible = min(len(text), available - consumed)
            last = self._sentence == len(sentences) - 1
            if visible >= len(text) and last:
                speech_end = (consumed + len(text)) * self.script.bytes_per_char
                if self.received < speech_end + self.silence_ms * self.bytes_per_ms:
                    if visible > self._revealed and self.script.partials:
                        out.append(self._sentence_json(text, final=False))
                    self._revealed = max(self._revealed, visible)
                    break
            if visible >= len(text):
                out.append(self._sentence_json(text, final=True))
                consumed += len(text)
                continue
            if visible > self._revealed and self.script.partials:
                out.append(self._sentence_json(text[:visible], final=False))
            self._revealed = max(self._revealed, visible)
            break
        return out

    def finish(self) -> list[dict[str, Any]]:
        """The audio ended: finalize the sentence being spoken, as far as it was heard."""
        if not self.script.finalize_on_finish:
            return []
        if self._sentence < len(self.sentences) and self._revealed:
            text = self.sentences[self._sentence][: self._revealed]
            return [self._sentence_json(text, final=True)]
        return []

    def heard(self) -> str:
        """Return all the text the audio so far reveals, whatever the pauses (no VAD)."""
        return "".join(self.sentences)[: self.received // self.script.bytes_per_char]

    def heartbeat(self) -> dict[str, Any]:
        """Return a heartbeat result (no speech)."""
        return {
            "begin_time": 0,
            "end_time": None,
            "text": "",
            "heartbeat": True,
            "sentence_end": False,
            "words": [],
        }

    def _ms(self, offset: int) -> int:
        return int(offset / self.bytes_per_ms)

    def _sentence_json(self, text: str, *, final: bool) -> dict[str, Any]:
        begin = self._ms(self._sentence_start)
        sentence: dict[str, Any] = {
            "begin_time": begin,
            "end_time": None,
            "text": text,
            "heartbeat": False,
            "sentence_end": False,
            "sentence_id": self._sentence + 1,
            "words": [  # each character is `bytes_per_char` of the audio
                {
                    "begin_time": begin + self._ms(index * self.script.bytes_per_char),
                    "end_time": begin + self._ms((index + 1) * self.script.bytes_per_char),
                    "text": char,
                    "punctuation": "",
                    "fixed": final,
                }
                for index, char in enumerate(text)
            ],
        }
        if final:
            # The sentence ends where its speech ends, not where the silence after it does.
            speech_end = self._sentence_start + len(text) * self.script.bytes_per_char
            end = self._ms(min(self.received, speech_end))
            signal = self.script.final_signal
            if signal in ("end_time", "both"):
                sentence["end_time"] = end
            if signal == "end_time":
                del sentence["sentence_end"]
            else:
                sentence["sentence_end"] = True
            if self.script.emotion is not None:
                sentence["emo_tag"], sentence["emo_confidence"] = self.script.emotion
            self._sentence += 1
            self._revealed = 0
            self._sentence_start = speech_end
        return sentence
