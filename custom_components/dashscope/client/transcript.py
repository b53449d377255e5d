"""The transcript of one utterance, built from the sentences the service reports."""

from __future__ import annotations

from dataclasses import dataclass, field

from .messages import Sentence


def join_sentences(texts: list[str]) -> str:
    """Join sentence texts, with a space only between two Latin-script sentences."""
    joined = ""
    for text in texts:
        if not text:
            continue
        if joined and joined[-1].isascii() and not joined[-1].isspace() and text[0].isascii():
            joined += " "
        joined += text
    return joined


@dataclass(slots=True)
class Transcript:
    """Final sentences in order, plus the growing text of the sentence not yet ended."""

    sentences: list[Sentence] = field(default_factory=list)
    partial: Sentence | None = None

    def add(self, sentence: Sentence) -> bool:
        """Take one reported sentence; return True when the text changed or a sentence ended."""
        if sentence.heartbeat:
            return False
        before = self.text
        if sentence.is_final:
            self.sentences.append(sentence)
            self.partial = None
            return True
        self.partial = sentence
        return self.text != before

    @property
    def text(self) -> str:
        """Return the text of the utterance so far."""
        texts = [sentence.text for sentence in self.sentences]
        if self.partial is not None:
            texts.append(self.partial.text)
        return join_sentences(texts)
