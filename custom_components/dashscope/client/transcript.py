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
    """Final sentences in order, plus the growing text of the sentence not yet ended.

    Where the model numbers its sentences (`sentence_id`), a sentence reported again under its
    number replaces the earlier text: the Qwen-Audio message model revises intermediate text.
    """

    sentences: list[Sentence] = field(default_factory=list)
    partial: Sentence | None = None
    billed_seconds: float = 0.0  # the audio the service bills for, as its usage reports it
    tokens: int | None = None  # input plus output tokens, where the model counts them

    def add(
        self, sentence: Sentence, billed_seconds: float | None = None, tokens: int | None = None
    ) -> bool:
        """Take one reported sentence; return True when the text changed or a sentence ended."""
        if sentence.heartbeat:
            return False
        self._count(billed_seconds, tokens)
        if sentence.sentence_begin and not sentence.text and not sentence.is_final:
            return False  # a sentence starts: nothing to show, and nothing to replace yet
        before = self.text
        if sentence.sentence_id is not None and self._revise(sentence):
            return self.text != before
        if sentence.is_final:
            self.sentences.append(sentence)
            self.partial = None
            return True
        self.partial = sentence
        return self.text != before

    def _count(self, billed_seconds: float | None, tokens: int | None) -> None:
        if tokens is not None:
            # Usage counted in tokens is the task's total so far, seconds included.
            self.tokens = tokens
            if billed_seconds is not None:
                self.billed_seconds = billed_seconds
        elif billed_seconds is not None:
            self.billed_seconds += billed_seconds  # per final sentence (Fun-ASR, Paraformer)

    def _revise(self, sentence: Sentence) -> bool:
        """Put a revision of an ended sentence in its place; return False when it is new."""
        for index, ended in enumerate(self.sentences):
            if ended.sentence_id != sentence.sentence_id:
                continue
            if index == len(self.sentences) - 1 and not sentence.is_final:
                del self.sentences[index]  # the last sentence grows again
                self.partial = sentence
            else:
                self.sentences[index] = sentence
            return True
        return False

    @property
    def text(self) -> str:
        """Return the text of the utterance so far."""
        texts = [sentence.text for sentence in self.sentences]
        if self.partial is not None:
            texts.append(self.partial.text)
        return join_sentences(texts)
