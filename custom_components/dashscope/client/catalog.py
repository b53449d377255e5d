"""The model table: every fact about a recognition model lives here and only here.

The config flow, the stt entity, each request and the README all read this table, so correcting
a fact is a change here (and the README's model table made again by `scripts/model_table.py`
when it shows that fact; a test compares them). Adding a model is a row in `MODELS`, its label
in both translations (`translations/en.json` and `zh-Hans.json`, `selector.model.options`), the
README's model table made again, and the local test server's lists of the models it serves
(`tests/dashscope_server/server.py`, or `qwen_config.py` for the realtime API).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from .audio import ALL_FORMATS
from .endpoints import REGIONS, Deployment, Protocol, Region
from .parameters import Family, Parameter, family_parameters

BEIJING = frozenset({Deployment.BEIJING})
EVERYWHERE = frozenset(Deployment)

# Sample rates Home Assistant can declare, used for models that accept any rate.
ANY_SAMPLE_RATE = (8000, 11000, 16000, 18900, 22000, 32000, 37800, 44100, 48000)


class Bias(StrEnum):
    """How a model is steered toward a recognizer's words (its phrases, the home's names)."""

    NONE = "none"  # neither (Paraformer v1's `phrase_id` is an older API, not offered here)
    VOCABULARY = "vocabulary"  # a vocabulary made through the customization API, its id per task
    CONTEXT = "context"  # context sent with the task (Qwen3's text, run-task's word lists)
    BOTH = "both"  # a vocabulary and context

    @property
    def vocabulary(self) -> bool:
        """Return True when a vocabulary is made and sent."""
        return self in (Bias.VOCABULARY, Bias.BOTH)

    @property
    def context(self) -> bool:
        """Return True when context is sent."""
        return self in (Bias.CONTEXT, Bias.BOTH)


class HintRule(StrEnum):
    """How a model uses `language_hints`."""

    ALL = "all"  # every hint narrows the recognition
    FIRST = "first"  # only the first hint is used
    NONE = "none"  # the model takes no hints (Chinese-only Paraformer models)


FUN_ASR_PARAMETERS = family_parameters(Family.FUN_ASR)
PARAFORMER_V2_PARAMETERS = family_parameters(Family.PARAFORMER_V2)
PARAFORMER_V1_PARAMETERS = family_parameters(Family.PARAFORMER_V1)
QWEN3_PARAMETERS = family_parameters(Family.QWEN3)
QWEN_AUDIO_MESSAGE_PARAMETERS = family_parameters(Family.QWEN_AUDIO_MESSAGE)
QWEN_AUDIO_STREAMING_PARAMETERS = family_parameters(Family.QWEN_AUDIO_STREAMING)

# The codes fun-asr-realtime (= -2025-11-07) accepts as its (first) language hint.
FUN_ASR_CODES = (
    "zh", "en", "ja", "ko", "vi", "th", "id", "ms", "tl", "ar", "hi", "de", "fr", "es", "pt",
    "it", "ru", "nl", "pl", "sv", "da", "fi", "cs", "sk", "el", "hu", "ro", "bg", "hr", "sl",
)  # fmt: skip

# The codes Qwen3-ASR-Flash-Realtime takes as its `language` (zh covers Mandarin, Sichuanese,
# Minnan and Wu; Filipino is `fil` here where Fun-ASR says `tl`).
QWEN3_CODES = (
    "zh", "yue", "en", "ja", "ko", "de", "fr", "ru", "es", "pt", "it", "ar", "hi", "id", "th",
    "vi", "tr", "uk", "ms", "fil", "cs", "da", "fi", "is", "no", "pl", "sv",
)  # fmt: skip
# The order language hints are offered in: the languages most people here speak first, then
# the rest roughly by how widely they are spoken. Codes missing here come last.
HINT_ORDER = (
    "zh", "yue", "en", "ja", "ko", "de", "fr", "es", "pt", "ru", "it", "vi", "th", "id", "ms",
    "tl", "fil", "ar", "hi", "tr", "uk", "nl", "pl", "sv", "da", "no", "fi", "is", "cs", "sk",
    "el", "hu", "ro", "bg", "hr", "sl",
)  # fmt: skip
# Its context biasing (`corpus.text`) takes at most this many tokens.
QWEN3_CONTEXT_TOKENS = 10_000
# The inference protocol's `input.context` (Fun-ASR, Qwen-Audio): at most 5 messages of each
# type, at most 400 characters per turn (docs/models/qwen-audio-asr.md).
CONTEXT_MESSAGES = 5
CONTEXT_TURN_CHARACTERS = 400
# The languages Qwen-Audio-3.1-ASR-Flash-Message's card names (it detects the language).
QWEN_AUDIO_MESSAGE_CODES = ("zh", "en", "id", "ja", "th", "tl", "vi", "ko", "ms")

# Home Assistant language tag -> the service's language code.
LANGUAGE_CODES: dict[str, str] = {
    "zh-CN": "zh",
    "zh-TW": "zh",
    "zh-HK": "yue",
    "yue": "yue",
    "en-US": "en",
    "en-GB": "en",
    "en-AU": "en",
    "en-IN": "en",
    "ja-JP": "ja",
    "ko-KR": "ko",
    "de-DE": "de",
    "fr-FR": "fr",
    "ru-RU": "ru",
    "vi-VN": "vi",
    "th-TH": "th",
    "id-ID": "id",
    "ms-MY": "ms",
    "fil-PH": "tl",
    "ar-SA": "ar",
    "hi-IN": "hi",
    "es-ES": "es",
    "pt-PT": "pt",
    "pt-BR": "pt",
    "it-IT": "it",
    "nl-NL": "nl",
    "pl-PL": "pl",
    "sv-SE": "sv",
    "da-DK": "da",
    "fi-FI": "fi",
    "cs-CZ": "cs",
    "sk-SK": "sk",
    "el-GR": "el",
    "hu-HU": "hu",
    "ro-RO": "ro",
    "bg-BG": "bg",
    "hr-HR": "hr",
    "sl-SI": "sl",
    "tr-TR": "tr",
    "uk-UA": "uk",
    "is-IS": "is",
    "nb-NO": "no",
}
# Models that recognize Chinese dialects take Cantonese as Chinese when `yue` is not a code.
DIALECT_FALLBACK = {"yue": "zh"}
# The same language under another code, for models that use it.
CODE_ALIASES = {"tl": "fil"}


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """What one real-time recognition model accepts."""

    name: str
    deployments: frozenset[Deployment]
    sample_rates: tuple[int, ...]
    languages: tuple[str, ...]
    hint_rule: HintRule
    parameters: frozenset[Parameter] = field(default_factory=frozenset)
    dialects: bool = False
    hotword_parameter: str | None = "vocabulary_id"  # None: no vocabularies
    emotion: bool = False
    protocol: Protocol = Protocol.INFERENCE
    formats: tuple[str, ...] = ALL_FORMATS  # the audio `format`s it takes
    context_tokens: int = 0  # context biasing: how long `corpus.text` may be (0: none)
    input_context: bool = False  # takes run-task's `input.context` (inference protocol)

    @property
    def biasing(self) -> Bias:
        """Return how this model can be biased anywhere: vocabulary, context, both or none."""
        # Paraformer v1's `phrase_id` belongs to an older API this integration does not fill.
        vocabulary = self.hotword_parameter == "vocabulary_id"
        context = bool(self.context_tokens) or self.input_context
        if vocabulary and context:
            return Bias.BOTH
        if vocabulary:
            return Bias.VOCABULARY
        return Bias.CONTEXT if context else Bias.NONE

    def language_code(self, tag: str) -> str | None:
        """Return the service code for a Home Assistant language tag, if supported."""
        code = LANGUAGE_CODES.get(tag)
        if code is None:
            # Accept any casing or region of a known language (e.g. "zh-cn", "en").
            for known, known_code in LANGUAGE_CODES.items():
                if known.lower() == tag.lower() or known_code == tag.lower():
                    code = known_code
                    break
        if code in self.languages:
            return code
        if code in CODE_ALIASES and CODE_ALIASES[code] in self.languages:
            return CODE_ALIASES[code]
        if self.dialects and code in DIALECT_FALLBACK:
            fallback = DIALECT_FALLBACK[code]
            return fallback if fallback in self.languages else None
        return None

    def bias(self, region: Region) -> Bias:
        """Return how this model is biased at `region`: the one answer forms and requests ask.

        Vocabularies only where the region offers the customization API; context anywhere.
        """
        bias = self.biasing
        if bias.vocabulary and not REGIONS[region].hotwords:
            return Bias.CONTEXT if bias.context else Bias.NONE
        return bias

    @property
    def preferred_sample_rate(self) -> int:
        """Return the rate to use when the caller may choose: 16 kHz where accepted."""
        if PREFERRED_SAMPLE_RATE in self.sample_rates:
            return PREFERRED_SAMPLE_RATE
        return self.sample_rates[0]

    @property
    def language_tags(self) -> list[str]:
        """Return the Home Assistant language tags this model recognizes."""
        return [tag for tag in LANGUAGE_CODES if self.language_code(tag) is not None]

    def language_hints(self, first: str | None, extra: Iterable[str] = ()) -> list[str]:
        """Return the hints to send: `first` (a service code), then `extra`, as the model uses."""
        hints: list[str] = []
        for code in (first, *extra):
            if code and code in self.languages and code not in hints:
                hints.append(code)
        if self.hint_rule is HintRule.NONE:
            return []
        return hints[:1] if self.hint_rule is HintRule.FIRST else hints


def _fun_asr(name: str, languages: tuple[str, ...], *, dialects: bool = True) -> ModelInfo:
    return ModelInfo(
        name=name,
        deployments=BEIJING,
        sample_rates=(16000,),
        languages=languages,
        hint_rule=HintRule.FIRST,
        parameters=FUN_ASR_PARAMETERS,
        dialects=dialects,
    )


# Rows in the model list's order: the model Alibaba recommends for voice input first. Each row
# cites its pages by name: https://www.alibabacloud.com/help/en/model-studio/<name> (the same
# name under https://help.aliyun.com/en/model-studio/ and /zh/); docs/models/ holds what the
# newer pages say, with their dates.
MODELS: dict[str, ModelInfo] = {
    model.name: model
    for model in (
        # docs/models/qwen-audio-asr.md: qwen-asr-message-client-events,
        # -server-events, -websocket-api (Sep 24-29, 2026), qwen-audio-3-1-asr-flash-message.
        ModelInfo(
            name="qwen-audio-3.1-asr-flash-message",
            deployments=EVERYWHERE,
            sample_rates=(16000,),
            languages=QWEN_AUDIO_MESSAGE_CODES,
            hint_rule=HintRule.NONE,
            parameters=QWEN_AUDIO_MESSAGE_PARAMETERS,
            dialects=True,
            hotword_parameter=None,
            formats=("pcm",),
            input_context=True,
        ),
        # fun-asr-client-events (ja copy Sep 02, 2026): context on fun-asr-realtime and
        # -2025-11-07; model-list-speech-recognition/ (Sep 22, 2026).
        ModelInfo(
            name="fun-asr-realtime",
            deployments=EVERYWHERE,
            sample_rates=(16000,),
            languages=FUN_ASR_CODES,
            hint_rule=HintRule.FIRST,
            parameters=FUN_ASR_PARAMETERS,
            dialects=True,
            input_context=True,
        ),
        # Fun-ASR snapshots: model-list-speech-recognition/,
        # fun-asr-realtime-websocket-api (workspace domains, Beijing and Singapore).
        _fun_asr("fun-asr-realtime-2026-02-28", ("zh", "en", "ja")),
        # fun-asr-client-events: context on this snapshot too.
        ModelInfo(
            name="fun-asr-realtime-2025-11-07",
            deployments=EVERYWHERE,
            sample_rates=(16000,),
            languages=FUN_ASR_CODES,
            hint_rule=HintRule.FIRST,
            parameters=FUN_ASR_PARAMETERS,
            dialects=True,
            input_context=True,
        ),
        # model-list-speech-recognition/, fun-asr-realtime-websocket-api: an older snapshot.
        _fun_asr("fun-asr-realtime-2025-09-15", ("zh", "en"), dialects=False),
        # 8 kHz Fun-ASR: model-list-speech-recognition/ (Sep 22, 2026).
        ModelInfo(
            name="fun-asr-flash-8k-realtime",
            deployments=BEIJING,
            sample_rates=(8000,),
            languages=("zh",),
            hint_rule=HintRule.FIRST,
            parameters=FUN_ASR_PARAMETERS,
        ),
        # model-list-speech-recognition/: its fixed version.
        ModelInfo(
            name="fun-asr-flash-8k-realtime-2026-01-28",
            deployments=BEIJING,
            sample_rates=(8000,),
            languages=("zh",),
            hint_rule=HintRule.FIRST,
            parameters=FUN_ASR_PARAMETERS,
        ),
        # qwen-real-time-speech-recognition (models, regions, rates) and
        # qwen-asr-realtime-client-events (languages, formats, corpus.text).
        *(
            ModelInfo(
                name=name,
                deployments=EVERYWHERE,
                sample_rates=(16000, 8000),
                languages=QWEN3_CODES,
                hint_rule=HintRule.FIRST,
                parameters=QWEN3_PARAMETERS,
                dialects=True,
                hotword_parameter=None,
                emotion=True,
                protocol=Protocol.REALTIME,
                formats=("pcm", "opus"),
                context_tokens=QWEN3_CONTEXT_TOKENS,
            )
            for name in (
                "qwen3-asr-flash-realtime",  # = -2025-10-27 for now
                "qwen3-asr-flash-realtime-2026-02-10",
                "qwen3-asr-flash-realtime-2025-10-27",
            )
        ),
        # docs/models/qwen-audio-asr.md: qwen-audio-asr-streaming-client-events, -server-events,
        # -websocket-api (Sep 29 - Nov 11, 2026), qwen-audio-3-1-asr-flash-streaming (its card).
        ModelInfo(
            name="qwen-audio-3.1-asr-flash-streaming",
            deployments=EVERYWHERE,
            sample_rates=(16000,),
            languages=("zh", "en"),
            hint_rule=HintRule.NONE,
            parameters=QWEN_AUDIO_STREAMING_PARAMETERS,
            dialects=True,
            hotword_parameter=None,
            formats=("pcm",),
            input_context=True,
        ),
        # docs/models/qwen-audio-asr.md: fun-asr-client-events (ja copy Sep 02, 2026) is
        # this model's page too (Fun-ASR's parameters, context); -asr-streaming-websocket-api.
        ModelInfo(
            name="qwen-audio-3.0-asr-flash-streaming",
            deployments=EVERYWHERE,
            sample_rates=(16000,),
            languages=("zh", "en"),
            hint_rule=HintRule.NONE,
            parameters=FUN_ASR_PARAMETERS,
            dialects=True,
            formats=("pcm",),
            input_context=True,
        ),
        # Paraformer (Beijing only): websocket-for-paraformer-real-time-service,
        # paraformer-client-events (parameters), model-list-speech-recognition/.
        ModelInfo(
            name="paraformer-realtime-v2",
            deployments=BEIJING,
            sample_rates=ANY_SAMPLE_RATE,
            languages=("zh", "en", "ja", "yue", "ko", "de", "fr", "ru"),
            hint_rule=HintRule.ALL,
            parameters=PARAFORMER_V2_PARAMETERS,
            dialects=True,
        ),
        # websocket-for-paraformer-real-time-service, paraformer-client-events.
        ModelInfo(
            name="paraformer-realtime-v1",
            deployments=BEIJING,
            sample_rates=(16000,),
            languages=("zh",),
            hint_rule=HintRule.NONE,
            parameters=PARAFORMER_V1_PARAMETERS,
            hotword_parameter=None,
        ),
        # websocket-for-paraformer-real-time-service, paraformer-client-events.
        ModelInfo(
            name="paraformer-realtime-8k-v2",
            deployments=BEIJING,
            sample_rates=(8000,),
            languages=("zh",),
            hint_rule=HintRule.NONE,
            parameters=PARAFORMER_V2_PARAMETERS,
            emotion=True,
        ),
        # websocket-for-paraformer-real-time-service, paraformer-client-events.
        ModelInfo(
            name="paraformer-realtime-8k-v1",
            deployments=BEIJING,
            sample_rates=(8000,),
            languages=("zh",),
            hint_rule=HintRule.NONE,
            parameters=PARAFORMER_V1_PARAMETERS,
            hotword_parameter=None,
        ),
    )
}
DEFAULT_MODEL = "fun-asr-realtime"
# Models of the asynchronous file API (recordings at URLs); the first is the default. The
# transcribe_url action's form (services.yaml) lists the same, checked by a test.
FILE_MODELS = ("paraformer-v2", "paraformer-8k-v2", "fun-asr")
DEFAULT_FILE_MODEL = FILE_MODELS[0]
PREFERRED_SAMPLE_RATE = 16000  # what the Assist pipeline delivers


def hint_order(codes: Iterable[str]) -> list[str]:
    """Return language codes in the order they are offered (`HINT_ORDER`), each once."""
    unique = dict.fromkeys(codes)
    rank = {code: position for position, code in enumerate(HINT_ORDER)}
    return sorted(unique, key=lambda code: rank.get(code, len(rank)))


def models_for(deployments: Iterable[Deployment]) -> list[ModelInfo]:
    """Return the models served by any of the given deployments, in table order."""
    wanted = frozenset(deployments)
    return [model for model in MODELS.values() if model.deployments & wanted]


def model_info(name: str) -> ModelInfo:
    """Return the facts for a model.

    An unknown (newer, typed-in) model gets the least that is safe to assume: the inference
    protocol, 16 kHz, Chinese, English and Japanese, the first language hint only, no settings.
    """
    if name in MODELS:
        return MODELS[name]
    return ModelInfo(
        name=name,
        deployments=EVERYWHERE,
        sample_rates=(16000,),
        languages=("zh", "en", "ja"),
        hint_rule=HintRule.FIRST,
    )
