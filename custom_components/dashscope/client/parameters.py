"""The recognition parameter table: each option's kind, default, range and which models take it.

The engine form's fields, a new engine's defaults, the task's `parameters` and the model
families' parameter sets are all derived from `PARAMETERS`. A new option is one row here (a
new `Parameter` member and its `ParameterSpec`), its label and description in both
translations (the engine's form and its reconfigure step), and the local test server's list
of what each model takes (`accepted_parameters` in `tests/dashscope_server/server.py`, which
refuses a parameter the service would not know).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal


class Parameter(StrEnum):
    """Optional recognition parameters a model may accept.

    The inference protocol's are named as on the wire; the realtime protocol's two turn
    detection settings are `turn_detection.threshold` and `.silence_duration_ms` there.
    """

    PUNCTUATION = "punctuation_prediction_enabled"
    INVERSE_TEXT_NORMALIZATION = "inverse_text_normalization_enabled"
    DISFLUENCY_REMOVAL = "disfluency_removal_enabled"
    SEMANTIC_PUNCTUATION = "semantic_punctuation_enabled"
    MAX_SENTENCE_SILENCE = "max_sentence_silence"
    MULTI_THRESHOLD_MODE = "multi_threshold_mode_enabled"
    SPEECH_NOISE_THRESHOLD = "speech_noise_threshold"
    VAD_THRESHOLD = "vad_threshold"
    VAD_SILENCE = "vad_silence_ms"
    KEEP_DIALECT = "keep_dialect"
    INTERMEDIATE_RESULTS = "intermediate_result_enabled"


class Family(StrEnum):
    """Model families that share a parameter set."""

    FUN_ASR = "fun_asr"
    PARAFORMER_V2 = "paraformer_v2"
    PARAFORMER_V1 = "paraformer_v1"
    QWEN3 = "qwen3"  # the realtime protocol
    # Qwen-Audio-3.1 on the inference protocol (docs/models/qwen-audio-asr.md)
    QWEN_AUDIO_MESSAGE = "qwen_audio_message"
    QWEN_AUDIO_STREAMING = "qwen_audio_streaming"


# The inference protocol's families (Fun-ASR and Paraformer).
_ALL = frozenset({Family.FUN_ASR, Family.PARAFORMER_V2, Family.PARAFORMER_V1})


@dataclass(frozen=True, slots=True)
class ParameterSpec:
    """One recognition option."""

    parameter: Parameter
    kind: Literal["bool", "int", "float"]
    families: frozenset[Family]
    default: bool | int | float | None = None  # None: the service's own, nothing is sent
    minimum: float | None = None
    maximum: float | None = None
    step: float | None = None
    unit: str | None = None
    not_with: Parameter | None = None  # not sent while this (boolean) option is on
    setting: bool = True  # offered in the engine's form
    fixed: bool | int | float | None = None  # always sent with this value (never a setting)

    def wire_value(self, value: Any) -> bool | int | float:
        """Return a stored value as the service takes it."""
        if self.kind == "bool":
            return bool(value)
        return int(value) if self.kind == "int" else float(value)


# In form order. Defaults are for voice commands: low latency (VAD segmentation, short
# silences) and tidy text.
PARAMETERS: tuple[ParameterSpec, ...] = (
    ParameterSpec(
        Parameter.PUNCTUATION,
        "bool",
        frozenset({Family.FUN_ASR, Family.PARAFORMER_V2}),
        default=True,
    ),
    ParameterSpec(
        Parameter.INVERSE_TEXT_NORMALIZATION,
        "bool",
        frozenset({Family.PARAFORMER_V2, Family.PARAFORMER_V1}),
        default=True,
    ),
    ParameterSpec(
        Parameter.DISFLUENCY_REMOVAL,
        "bool",
        frozenset({Family.PARAFORMER_V2, Family.PARAFORMER_V1, Family.QWEN_AUDIO_MESSAGE}),
        default=False,
    ),
    # Qwen-Audio-3.1-ASR-Flash-Message writes dialect speech as Mandarin unless this is on
    # (the service's default, false, is what Mandarin intents need).
    ParameterSpec(
        Parameter.KEEP_DIALECT, "bool", frozenset({Family.QWEN_AUDIO_MESSAGE}), default=False
    ),
    ParameterSpec(Parameter.SEMANTIC_PUNCTUATION, "bool", _ALL, default=False),
    ParameterSpec(
        Parameter.MAX_SENTENCE_SILENCE,
        "int",
        _ALL,
        default=500,
        minimum=200,
        maximum=6000,
        step=50,
        unit="ms",
        not_with=Parameter.SEMANTIC_PUNCTUATION,  # only applies to VAD segmentation
    ),
    ParameterSpec(Parameter.MULTI_THRESHOLD_MODE, "bool", _ALL, default=False),
    ParameterSpec(
        Parameter.SPEECH_NOISE_THRESHOLD,
        "float",
        frozenset({Family.FUN_ASR}),
        minimum=-1.0,
        maximum=1.0,
        step=0.05,
    ),
    # The message model sends only ended sentences unless asked: the pipeline's partials and
    # the service's end of speech need the growing text, so the client always asks.
    ParameterSpec(
        Parameter.INTERMEDIATE_RESULTS,
        "bool",
        frozenset({Family.QWEN_AUDIO_MESSAGE}),
        setting=False,
        fixed=True,
    ),
    # Qwen3's server VAD (used when the service ends the utterance): lower is more sensitive.
    ParameterSpec(
        Parameter.VAD_THRESHOLD,
        "float",
        frozenset({Family.QWEN3}),
        minimum=-1.0,
        maximum=1.0,
        step=0.05,
    ),
    ParameterSpec(
        Parameter.VAD_SILENCE,
        "int",
        frozenset({Family.QWEN3}),
        default=500,
        minimum=200,
        maximum=6000,
        step=50,
        unit="ms",
    ),
)


def family_parameters(family: Family) -> frozenset[Parameter]:
    """Return the parameters a model family takes."""
    return frozenset(spec.parameter for spec in PARAMETERS if family in spec.families)


def task_options(
    accepted: frozenset[Parameter], settings: dict[str, Any]
) -> tuple[tuple[str, bool | int | float], ...]:
    """Return the task parameters an engine's stored settings ask for, as the model takes them."""
    options: list[tuple[str, bool | int | float]] = []
    for spec in PARAMETERS:
        if spec.fixed is not None and spec.parameter in accepted:
            options.append((spec.parameter.value, spec.fixed))
            continue
        if not spec.setting or spec.parameter not in accepted:
            continue
        if spec.parameter.value not in settings or settings[spec.parameter.value] is None:
            continue
        if spec.not_with is not None and settings.get(spec.not_with.value):
            continue
        options.append((spec.parameter.value, spec.wire_value(settings[spec.parameter.value])))
    return tuple(options)
