"""The Qwen-Audio models on the inference protocol, and run-task's `input.context`.

As Model Studio's pages describe them (docs/models/qwen-audio-asr.md, kept apart from the
integration's catalog on purpose): Qwen-Audio-3.1-ASR-Flash-Message reports only ended
sentences unless `intermediate_result_enabled` is true, announces each sentence with an empty
`sentence_begin` result, may revise intermediate text under the same `sentence_id`, and counts
its usage in tokens, cumulatively; Qwen-Audio-3.1-ASR-Flash-Streaming always reports
intermediate results, its first of a sentence marked `sentence_begin`; Qwen-Audio-3.0-ASR-
Flash-Streaming speaks as Fun-ASR does. `input.context` is taken by the models the pages name,
within 5 messages per type and 400 characters per turn, user before assistant in a turn.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MESSAGE_MODEL = "qwen-audio-3.1-asr-flash-message"
STREAMING_MODEL = "qwen-audio-3.1-asr-flash-streaming"
STREAMING_30_MODEL = "qwen-audio-3.0-asr-flash-streaming"
# Model -> sample rates; Beijing and Singapore serve all three (workspace domains).
QWEN_AUDIO_MODELS: dict[str, tuple[int, ...] | None] = {
    MESSAGE_MODEL: (16000,),
    STREAMING_MODEL: (16000,),
    STREAMING_30_MODEL: (16000,),
}
# The parameters the pages name for the Qwen-Audio-3.1 models (3.0 takes Fun-ASR's).
QWEN_AUDIO_PARAMETERS: dict[str, frozenset[str]] = {
    MESSAGE_MODEL: frozenset(
        {
            "format",
            "sample_rate",
            "intermediate_result_enabled",
            "disfluency_removal_enabled",
            "keep_dialect",
            "vad_model",
        }
    ),
    STREAMING_MODEL: frozenset({"format", "sample_rate"}),
}
# The models whose run-task takes `input.context`.
CONTEXT_MODELS = frozenset(
    {
        MESSAGE_MODEL,
        STREAMING_MODEL,
        STREAMING_30_MODEL,
        "fun-asr-realtime",
        "fun-asr-realtime-2025-11-07",
    }
)
CONTEXT_MESSAGES_PER_TYPE = 5
CONTEXT_TURN_CHARACTERS = 400
_CONTENT_TYPE = {"user": "input_text", "assistant": "text"}
TOKENS_PER_SECOND = 12.5  # audio input tokens (field notes: about 12.5 a second)


def input_problems(model: str, value: Any) -> list[str]:
    """Return what the service would not take in run-task's `input` (empty when fine)."""
    if not isinstance(value, dict):
        return ["payload.input must be an object"]
    problems = [f"payload.input.{key} is not taken" for key in sorted(set(value) - {"context"})]
    if "context" not in value:
        return problems
    if model not in CONTEXT_MODELS:
        return [*problems, f"input.context is not taken by {model}"]
    return problems + context_problems(value["context"])


def context_problems(context: Any) -> list[str]:
    """Return how `input.context` breaks the documented shape, limits and order."""
    if not isinstance(context, list):
        return ["input.context must be a list"]
    problems: list[str] = []
    counts = dict.fromkeys(_CONTENT_TYPE.values(), 0)
    turn_characters = 0
    previous_role: str | None = None
    for message in context:
        role = message.get("role") if isinstance(message, dict) else None
        content = message.get("content") if isinstance(message, dict) else None
        if role not in _CONTENT_TYPE or not isinstance(content, list) or not content:
            problems.append(f"context message {message!r}")
            continue
        if role == "assistant" and previous_role != "user":
            problems.append("an assistant context message without the user message before it")
        if role == "user":
            turn_characters = 0
        for item in content:
            if not isinstance(item, dict) or not isinstance(item.get("text"), str):
                problems.append(f"context content {item!r}")
                continue
            if item.get("type") != _CONTENT_TYPE[role]:
                problems.append(f"context content type {item.get('type')!r} for {role}")
                continue
            counts[item["type"]] += 1
            turn_characters += len(item["text"])
        if turn_characters > CONTEXT_TURN_CHARACTERS:
            problems.append(f"a context turn of {turn_characters} characters (cut at 400)")
        previous_role = role
    for kind, count in counts.items():
        if count > CONTEXT_MESSAGES_PER_TYPE:
            problems.append(f"{count} {kind} context messages (only the latest 5 are kept)")
    return problems


@dataclass
class QwenAudioResults:
    """Turns the script's sentences into what a Qwen-Audio-3.1 model reports."""

    model: str
    intermediate: bool  # intermediate results are sent
    bytes_per_ms: float
    revision: str | None = None  # the first intermediate reads this, then is revised
    received: int = 0
    _begun: int = 0  # the last sentence_id announced
    _final_characters: int = 0
    _revised: bool = False

    def feed(self, size: int) -> None:
        """Count received audio (its tokens)."""
        self.received += size

    def results(self, sentence: dict[str, Any]) -> list[dict[str, Any]]:
        """Return the `result-generated` payloads for one sentence of the script."""
        final = bool(sentence.get("sentence_end")) or sentence.get("end_time") is not None
        if not final and not self.intermediate:
            return []
        sentence = {**sentence, "sentence_end": final}
        out: list[dict[str, Any]] = []
        sentence_id = int(sentence["sentence_id"])
        if sentence_id > self._begun:
            self._begun = sentence_id
            if self.model == MESSAGE_MODEL:
                begin = {**sentence, "text": "", "words": [], "sentence_end": False}
                out.append(self._payload({**begin, "end_time": None, "sentence_begin": True}))
            else:
                sentence["sentence_begin"] = True
        if not final and self.revision is not None and not self._revised:
            self._revised = True
            out.append(self._payload({**sentence, "text": self.revision}))
            return out
        if final:
            self._final_characters += len(sentence["text"])
        out.append(self._payload(sentence))
        return out

    def _payload(self, sentence: dict[str, Any]) -> dict[str, Any]:
        seconds = self.received / self.bytes_per_ms / 1000
        current = 0 if sentence.get("sentence_end") else len(sentence["text"])
        usage = {
            "duration": int(seconds),
            "input_tokens": int(seconds * TOKENS_PER_SECOND),
            "output_tokens": self._final_characters + current,
        }
        return {"output": {"sentence": sentence}, "usage": usage}


def results_for(
    model: str, parameters: dict[str, Any], bytes_per_ms: float, revision: str | None
) -> QwenAudioResults | None:
    """Return how a Qwen-Audio-3.1 model reports results; None for the other models."""
    if model == MESSAGE_MODEL:
        intermediate = parameters.get("intermediate_result_enabled") is True
        return QwenAudioResults(model, intermediate, bytes_per_ms, revision)
    if model == STREAMING_MODEL:
        return QwenAudioResults(model, True, bytes_per_ms, revision)
    return None
