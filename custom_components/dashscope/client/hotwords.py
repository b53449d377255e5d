"""Hotwords: the phrases that bias recognition, and the service's rules for them.

Phrases are parsed once (`parse_phrases`) and become a vocabulary for the customization API
(`build_vocabulary`, Fun-ASR and Paraformer) or context text (`build_context`, Qwen3).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
import re

MAX_ENTRIES = 500
MAX_CJK_CHARACTERS = 15  # a text with any non-ASCII character
MAX_ASCII_WORDS = 7
MIN_WEIGHT, MAX_WEIGHT, DEFAULT_WEIGHT = 1, 5, 4
_WEIGHT_SUFFIX = re.compile(r"^(?P<text>.*?)\s*=\s*(?P<weight>-?\d+)\s*$")


@dataclass(frozen=True, slots=True)
class Hotword:
    """One vocabulary entry."""

    text: str
    weight: int = DEFAULT_WEIGHT

    @property
    def lang(self) -> str:
        """Return the entry's language for the service: `en` for pure ASCII, else `zh`."""
        return "en" if self.text.isascii() else "zh"

    def to_json(self) -> dict[str, str | int]:
        """Serialize for the customization API."""
        return {"text": self.text, "weight": self.weight, "lang": self.lang}


def hotword_problem(text: str) -> str | None:
    """Return why the service would refuse `text`, or None when it is fine."""
    if not text:
        return "empty"
    if text.isascii():
        if len(text.split()) > MAX_ASCII_WORDS:
            return f"more than {MAX_ASCII_WORDS} words"
    elif len(text) > MAX_CJK_CHARACTERS:
        return f"more than {MAX_CJK_CHARACTERS} characters"
    return None


def parse_phrases(lines: str) -> list[Hotword]:
    """Parse one phrase per line, with an optional `=N` weight (1-5), e.g. `客厅吊灯=5`."""
    hotwords = []
    for raw in lines.splitlines():
        line = raw.strip()
        weight = DEFAULT_WEIGHT
        if match := _WEIGHT_SUFFIX.match(line):
            line = match["text"]
            weight = min(MAX_WEIGHT, max(MIN_WEIGHT, int(match["weight"])))
        if line:
            hotwords.append(Hotword(line, weight))
    return hotwords


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """The entries to upload, and what was left out (with the reason)."""

    entries: tuple[Hotword, ...]
    skipped: tuple[tuple[str, str], ...] = ()


def build_vocabulary(*sources: Iterable[Hotword]) -> Vocabulary:
    """Merge sources in priority order: valid, without duplicates, at most 500 entries."""
    entries: dict[str, Hotword] = {}
    skipped: list[tuple[str, str]] = []
    for source in sources:
        for hotword in source:
            text = " ".join(hotword.text.split())
            key = text.casefold()
            if key in entries:
                continue
            if problem := hotword_problem(text):
                skipped.append((text, problem))
                continue
            if len(entries) >= MAX_ENTRIES:
                skipped.append((text, f"more than {MAX_ENTRIES} entries"))
                continue
            entries[key] = Hotword(text, hotword.weight)
    return Vocabulary(tuple(entries.values()), tuple(skipped))


# Context biasing (the realtime protocol's `corpus.text`) takes free text, counted in tokens.
CONTEXT_SEPARATOR = ", "
_ASCII_CHARS_PER_TOKEN = 3  # English tokenizes at about 4 characters a token: stay below


def estimate_tokens(text: str) -> int:
    """Return at least as many tokens as the service will count: one per non-ASCII character."""
    non_ascii = sum(1 for char in text if not char.isascii())
    ascii_chars = len(text) - non_ascii
    return non_ascii + -(-ascii_chars // _ASCII_CHARS_PER_TOKEN)


@dataclass(frozen=True, slots=True)
class Context:
    """The context biasing text, and the phrases that did not fit (with the reason)."""

    text: str
    skipped: tuple[tuple[str, str], ...] = ()


def build_context(max_tokens: int, *sources: Iterable[Hotword]) -> Context:
    """Join phrases in priority order, without duplicates, within `max_tokens`."""
    texts: dict[str, str] = {}
    skipped: list[tuple[str, str]] = []
    used = 0
    for source in sources:
        for hotword in source:
            text = " ".join(hotword.text.split())
            key = text.casefold()
            if not text or key in texts:
                continue
            cost = estimate_tokens(text) + (estimate_tokens(CONTEXT_SEPARATOR) if texts else 0)
            if used + cost > max_tokens:
                skipped.append((text, f"more than {max_tokens} tokens of context"))
                continue
            texts[key] = text
            used += cost
    return Context(CONTEXT_SEPARATOR.join(texts.values()), tuple(skipped))


@dataclass(frozen=True, slots=True)
class ContextMessages:
    """The word lists sent as `input.context` user messages, and what did not fit."""

    texts: tuple[str, ...]
    skipped: tuple[tuple[str, str], ...] = ()


def build_context_messages(
    max_messages: int, max_characters: int, *sources: Iterable[Hotword]
) -> ContextMessages:
    """Pack phrases in priority order, without duplicates, into word lists within the limits.

    Each list is one user turn of at most `max_characters` characters (every character counts
    one); at most `max_messages` lists, since the service keeps only the latest of each type.
    """
    lists: list[str] = []
    seen: set[str] = set()
    skipped: list[tuple[str, str]] = []
    for source in sources:
        for hotword in source:
            text = " ".join(hotword.text.split())
            key = text.casefold()
            if not text or key in seen:
                continue
            if len(text) > max_characters:
                skipped.append((text, f"more than {max_characters} characters"))
                continue
            seen.add(key)
            if lists and len(lists[-1]) + len(CONTEXT_SEPARATOR) + len(text) <= max_characters:
                lists[-1] += CONTEXT_SEPARATOR + text
            elif len(lists) < max_messages:
                lists.append(text)
            else:
                skipped.append((text, f"more than {max_messages} context messages"))
    return ContextMessages(tuple(lists), tuple(skipped))
