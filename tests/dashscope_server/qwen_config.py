"""What the Qwen3-ASR-Flash-Realtime service accepts in a session, and the checks it makes.

The model table is the service's own, kept apart from the integration's catalog on purpose
(as server.py's tables are), so a mistake in the catalog shows up as a failure here. Values
come from the client-events page (formats, rates, languages, VAD ranges), the real-time guide
(the 10,000-token context limit) and the server-events page (`session.created`'s shape).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
import math
import re
from typing import Any

# Model -> sample rates; both regions serve the same three.
QWEN_MODELS: dict[str, tuple[int, ...]] = {
    "qwen3-asr-flash-realtime": (8000, 16000),
    "qwen3-asr-flash-realtime-2026-02-10": (8000, 16000),
    "qwen3-asr-flash-realtime-2025-10-27": (8000, 16000),
}
QWEN_REGION_MODELS = {"beijing": QWEN_MODELS, "singapore": QWEN_MODELS}
# The docs' 27 codes; is, ms, no, pl and sv are inferred from the zh model table's languages.
QWEN_LANGUAGES = frozenset(
    {
        "zh",
        "yue",
        "en",
        "ja",
        "de",
        "ko",
        "ru",
        "fr",
        "pt",
        "ar",
        "it",
        "es",
        "hi",
        "id",
        "th",
        "tr",
        "uk",
        "vi",
        "cs",
        "da",
        "fil",
        "fi",
        "is",
        "ms",
        "no",
        "pl",
        "sv",
    }
)
AUDIO_FORMATS = frozenset({"pcm", "opus"})
# The docs' own `session.created` reports "pcm16", and the official SDK sends it whenever it is
# not given TranscriptionParams: the service cannot be refusing it.
FORMAT_ALIASES = {"pcm16": "pcm"}
DEFAULT_TURN_DETECTION: dict[str, Any] = {
    "type": "server_vad",
    "threshold": 0.2,
    "silence_duration_ms": 800,
}
CORPUS_TOKEN_LIMIT = 10_000
MAX_APPEND_BYTES = 15 * 1024 * 1024  # the decoded `audio` of one append
MAX_MANUAL_SECONDS = 60  # one committed utterance in Manual mode
MIN_COMMIT_MS = 100  # a shorter commit is refused: input_audio_buffer_commit_empty

# A CJK character (or kana, hangul) is about one token; other text about four characters a token.
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_OTHER = re.compile(r"[^\s\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]+")


@dataclass(frozen=True)
class Problem:
    """One thing the service refuses in a client event: the field and why."""

    param: str
    message: str


def corpus_tokens(text: str) -> int:
    """Estimate the tokens of a context text (rounded up, so a client under it is safe)."""
    return len(_CJK.findall(text)) + sum(math.ceil(len(run) / 4) for run in _OTHER.findall(text))


def default_config() -> dict[str, Any]:
    """Return the configuration a session starts with (`session.created`)."""
    return {
        "input_audio_format": "pcm",
        "sample_rate": 16000,
        "input_audio_transcription": None,
        "turn_detection": dict(DEFAULT_TURN_DETECTION),
    }


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def check_session(session: Any, rates: tuple[int, ...]) -> list[Problem]:
    """Return what the service would refuse in a `session.update`'s `session` object.

    Fields the service does not use for recognition (the SDK sends `modalities`, `voice`,
    `output_audio_format`, `turn_detection.prefix_padding_ms`, `input_audio_transcription.model`)
    are ignored, as the service ignores them.
    """
    if not isinstance(session, dict):
        return [Problem("session", "session must be an object")]
    problems = []
    audio_format = session.get("input_audio_format", "pcm")
    if audio_format not in AUDIO_FORMATS and audio_format not in FORMAT_ALIASES:
        problems.append(
            Problem(
                "session.input_audio_format",
                f"Invalid value: {audio_format!r}. Supported values are: 'pcm', 'opus'.",
            )
        )
    rate = session.get("sample_rate", 16000)
    if type(rate) is not int or rate not in rates:
        problems.append(
            Problem("session.sample_rate", f"Invalid value: {rate!r}. Supported: {list(rates)}.")
        )
    transcription = session.get("input_audio_transcription")
    if transcription is not None and not isinstance(transcription, dict):
        problems.append(Problem("session.input_audio_transcription", "must be an object"))
    elif transcription is not None:
        problems.extend(_check_transcription(transcription))
    detection = session.get("turn_detection")
    if detection is not None:
        problems.extend(_check_turn_detection(detection))
    return problems


def _check_transcription(transcription: dict[str, Any]) -> list[Problem]:
    problems = []
    language = transcription.get("language")
    if language is not None and language not in QWEN_LANGUAGES:
        problems.append(
            Problem("session.input_audio_transcription.language", f"Invalid value: {language!r}.")
        )
    corpus = transcription.get("corpus")
    if corpus is None:
        return problems
    text = corpus.get("text") if isinstance(corpus, dict) else None
    param = "session.input_audio_transcription.corpus.text"
    if not isinstance(text, str):
        problems.append(Problem(param, "corpus.text must be a string"))
    elif (tokens := corpus_tokens(text)) > CORPUS_TOKEN_LIMIT:
        problems.append(
            Problem(param, f"corpus.text is about {tokens} tokens (limit {CORPUS_TOKEN_LIMIT})")
        )
    return problems


def _check_turn_detection(detection: Any) -> list[Problem]:
    if not isinstance(detection, dict):
        return [Problem("session.turn_detection", "must be an object or null")]
    problems = []
    if detection.get("type", "server_vad") != "server_vad":
        problems.append(
            Problem("session.turn_detection.type", f"Invalid value: {detection.get('type')!r}.")
        )
    threshold = detection.get("threshold", 0.2)
    if not _number(threshold) or not -1.0 <= threshold <= 1.0:
        problems.append(
            Problem("session.turn_detection.threshold", f"Invalid value: {threshold!r} (-1..1).")
        )
    silence = detection.get("silence_duration_ms", 800)
    if type(silence) is not int or not 200 <= silence <= 6000:
        problems.append(
            Problem(
                "session.turn_detection.silence_duration_ms",
                f"Invalid value: {silence!r} (200..6000).",
            )
        )
    return problems


def merge(config: dict[str, Any], session: dict[str, Any]) -> dict[str, Any]:
    """Return the configuration after a valid `session.update` (what `session.updated` shows).

    A field the update carries replaces the old value; one it leaves out keeps it.
    """
    merged = copy.deepcopy(config)
    for key in ("input_audio_format", "sample_rate"):
        if key in session:
            merged[key] = session[key]
    if "input_audio_transcription" in session:
        transcription = session["input_audio_transcription"] or {}
        kept = {
            key: transcription[key]
            for key in ("language", "corpus")
            if transcription.get(key) is not None
        }
        merged["input_audio_transcription"] = kept or None
    if "turn_detection" in session:
        detection = session["turn_detection"]
        merged["turn_detection"] = (
            None
            if detection is None
            else {
                key: detection.get(key, default) for key, default in DEFAULT_TURN_DETECTION.items()
            }
        )
    return merged
