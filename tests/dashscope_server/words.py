"""Results of speech scripted word by word: each word's place in the audio is known.

The bench synthesizes commands word by word (espeak-ng), so it knows where every word begins
and ends; tests script the same by hand. A word is reported (in an intermediate result, with
its `begin_time`/`end_time`) once `partial_delay_ms` of audio after its end has arrived, on
the next frame: the service needs audio past a word to be sure of it. No document gives the
cloud service's delay; FunASR's open streaming Paraformer decodes 600 ms chunks with a 300 ms
look-ahead (`chunk_size=[0, 10, 5]`, or 480/240 ms with `[0, 8, 4]`), so the bench runs two
delays to show how the answer depends on it.

With VAD segmentation a sentence ends when `max_sentence_silence` of silence followed its
last word (the final adds punctuation); `finish-task` makes every heard word final.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .script import TaskScript


def join_words(words: list[str]) -> str:
    """Join words, with a space only between two Latin-script words."""
    text = ""
    for word in words:
        if text and text[-1].isascii() and word[:1].isascii():
            text += " "
        text += word
    return text


def end_mark(text: str) -> str:
    """Return the punctuation the service puts after a final sentence."""
    return "." if text[-1:].isascii() else "。"


@dataclass
class WordRecognizer:
    """Reports the script's words as the audio that holds them arrives."""

    script: TaskScript
    bytes_per_ms: float
    silence_ms: int = 0  # the service's sentence-ending silence (0: none, finals at finish)
    received: int = 0
    _final: int = 0  # words already in final sentences
    _reported: int = -1  # words in the last intermediate result
    _sentence_id: int = 1
    words: list[tuple[str, int, int]] = field(init=False)

    def __post_init__(self) -> None:
        """Take the script's words."""
        self.words = list(self.script.words)

    @property
    def received_ms(self) -> float:
        """Return how much audio arrived, in ms."""
        return self.received / self.bytes_per_ms

    def feed(self, size: int) -> list[dict[str, Any]]:
        """Take `size` more bytes of audio; return the sentences to report."""
        self.received += size
        now = self.received_ms
        heard = sum(1 for _, _, end in self.words if end + self.script.partial_delay_ms <= now)
        out: list[dict[str, Any]] = []
        # Sentences the service's VAD ended: enough silence after a heard word.
        if self.silence_ms:
            for index in range(self._final, heard):
                end = self.words[index][2]
                following = self.words[index + 1][1] if index + 1 < len(self.words) else None
                pause_ended = following is None or following - end >= self.silence_ms
                if pause_ended and now >= end + self.silence_ms:
                    out.append(self._sentence(self._final, index + 1, final=True))
        if heard > self._final and heard != self._reported and self.script.partials:
            out.append(self._sentence(self._final, heard, final=False))
            self._reported = heard
        return out

    def finish(self) -> list[dict[str, Any]]:
        """The audio ended: every word whose audio arrived is final."""
        now = self.received_ms
        heard = sum(1 for _, _, end in self.words if end <= now)
        if not self.script.finalize_on_finish or heard <= self._final:
            return []
        return [self._sentence(self._final, heard, final=True)]

    def heard(self) -> str:
        """Return the text of every word whose audio arrived (no VAD)."""
        now = self.received_ms
        return join_words([text for text, _, end in self.words if end <= now])

    def heartbeat(self) -> dict[str, Any]:
        """Return a heartbeat result (no speech)."""
        return {"begin_time": 0, "end_time": None, "text": "", "heartbeat": True, "words": []}

    def _sentence(self, first: int, last: int, *, final: bool) -> dict[str, Any]:
        words = self.words[first:last]
        text = join_words([text for text, _, _ in words])
        sentence: dict[str, Any] = {
            "begin_time": words[0][1],
            "end_time": words[-1][2] if final else None,
            "text": text + end_mark(text) if final else text,
            "heartbeat": False,
            "sentence_end": final,
            "sentence_id": self._sentence_id,
            "words": [
                {
                    "begin_time": begin,
                    "end_time": end,
                    "text": word,
                    "punctuation": "",
                    "fixed": final,
                }
                for word, begin, end in words
            ],
        }
        if final:
            self._final = last
            self._reported = -1
            self._sentence_id += 1
        return sentence
