"""What a recognizer subentry means: its defaults, title and task parameters.

A `Recognizer` is read from its subentry once and is given what biases a recognition
(`Biasing`, from `hotwords.py`) with each call: it holds no hotword state itself.
"""

from __future__ import annotations

from collections.abc import Mapping
import dataclasses
from dataclasses import dataclass
from typing import Any

from homeassistant.components import stt
from homeassistant.config_entries import ConfigEntry, ConfigSubentry
from homeassistant.core import HomeAssistant
from homeassistant.util import language as language_util

from .client import (
    AudioInput,
    AudioSpec,
    CommandMatcher,
    DashScopeClient,
    Endpointing,
    ModelInfo,
    Utterance,
    model_info,
)
from .client.parameters import PARAMETERS, Parameter, task_options
from .const import (
    CONF_AUTO_LANGUAGE,
    CONF_COMMAND_END,
    CONF_COMMAND_SILENCE,
    CONF_END_OF_SPEECH,
    CONF_EXPOSED_NAMES,
    CONF_FALLBACK,
    CONF_HOTWORDS,
    CONF_LANGUAGE_HINTS,
    CONF_MODEL,
    DEFAULT_COMMAND_SILENCE,
    SUBENTRY_RECOGNIZER,
)

# On by default only where Home Assistant lets the entity end the utterance (2026.5 and
# later); before that the pipeline's own VAD keeps ending the stream too.
END_OF_SPEECH_DEFAULT = hasattr(stt, "SpeechAudioProcessing")


TITLE_PREFIX = "DashScope"


def default_recognizer(model: str) -> dict[str, Any]:
    """Return the data of a recognizer with the default settings for `model`."""
    info = model_info(model)
    data: dict[str, Any] = {
        CONF_MODEL: model,
        CONF_LANGUAGE_HINTS: [],
        CONF_AUTO_LANGUAGE: False,
        CONF_END_OF_SPEECH: END_OF_SPEECH_DEFAULT,
        CONF_COMMAND_END: END_OF_SPEECH_DEFAULT,
        CONF_COMMAND_SILENCE: DEFAULT_COMMAND_SILENCE,
    }
    data.update(
        {
            spec.parameter.value: spec.default
            for spec in PARAMETERS
            if spec.setting and spec.default is not None and spec.parameter in info.parameters
        }
    )
    return data


def recognizer_title(data: Mapping[str, Any]) -> str:
    """Return the title of a recognizer: whose it is, its model and its extra language hints.

    It names the engine in the assistant's speech-to-text list, its device and its entities
    (e.g. "DashScope fun-asr-realtime", entity `stt.dashscope_fun_asr_realtime`).
    """
    title = f"{TITLE_PREFIX} {data[CONF_MODEL]}"
    hints = data.get(CONF_LANGUAGE_HINTS) or []
    return f"{title} ({', '.join(hints)})" if hints else title


def recognizer_subentries(entry: ConfigEntry) -> list[ConfigSubentry]:
    """Return an account's recognizers."""
    return [
        subentry
        for subentry in entry.subentries.values()
        if subentry.subentry_type == SUBENTRY_RECOGNIZER
    ]


@dataclass(frozen=True, slots=True)
class Biasing:
    """What steers one recognition toward a recognizer's words (see `ModelInfo.bias`)."""

    vocabulary_id: str | None = None  # Fun-ASR, Paraformer v2: the uploaded vocabulary
    context: str = ""  # Qwen3: the context text
    context_messages: tuple[str, ...] = ()  # Fun-ASR, Qwen-Audio: `input.context` word lists


NO_BIASING = Biasing()


@dataclass(frozen=True, slots=True)
class Recognizer:
    """One engine, built from its subentry once: what the entities, actions and hotwords ask.

    It holds the model, the language rule, the validated task options, the end-of-speech
    policy, its phrases and the way to the account's client; nobody passes an entity around
    as an engine.
    """

    recognizer_id: str
    title: str
    model: ModelInfo
    extra_hints: tuple[str, ...]
    auto_language: bool
    options: tuple[tuple[str, Any], ...]
    endpointing: Endpointing
    phrases: str  # the engine's own hotwords, one per line
    exposed_names: bool  # also the names of what is exposed to Assist
    client: DashScopeClient
    entry_id: str  # the account's config entry
    fallback: str | None = None  # the stt entity that answers when DashScope cannot

    @classmethod
    def from_subentry(
        cls,
        entry: ConfigEntry,
        subentry: ConfigSubentry,
        client: DashScopeClient,
    ) -> Recognizer:
        """Read a recognizer subentry once."""
        model = model_info(subentry.data[CONF_MODEL])
        end_of_speech = bool(subentry.data.get(CONF_END_OF_SPEECH, False))
        # Engines set up before this setting existed keep ending as they did.
        command_silence = (
            int(subentry.data.get(CONF_COMMAND_SILENCE, DEFAULT_COMMAND_SILENCE))
            if subentry.data.get(CONF_COMMAND_END, False)
            else None
        )
        return cls(
            recognizer_id=subentry.subentry_id,
            title=subentry.title,
            model=model,
            extra_hints=tuple(subentry.data.get(CONF_LANGUAGE_HINTS, [])),
            auto_language=bool(subentry.data.get(CONF_AUTO_LANGUAGE, False)),
            options=task_options(model.parameters, dict(subentry.data)),
            endpointing=Endpointing.for_voice_commands(
                on_service_end=end_of_speech, command_silence_ms=command_silence
            ),
            phrases=str(subentry.data.get(CONF_HOTWORDS, "")),
            exposed_names=bool(subentry.data.get(CONF_EXPOSED_NAMES, False)),
            client=client,
            entry_id=entry.entry_id,
            fallback=subentry.data.get(CONF_FALLBACK) or None,
        )

    def recognition(
        self,
        language: str,
        audio: AudioInput,
        biasing: Biasing = NO_BIASING,
        *,
        whole_file: bool = False,
        matcher: CommandMatcher | None = None,
    ) -> Utterance:
        """Return the recognition of an utterance: the caller's language first, then `biasing`.

        A whole file is a recording (its end ends it); otherwise this engine's end-of-speech
        policy holds, told the utterance's complete commands by `matcher` when it ends them.
        """
        model = self.model
        hints: tuple[str, ...] = ()
        if not self.auto_language:
            code = model.language_code(language)
            hints = tuple(model.language_hints(code, list(self.extra_hints)))
        vocabulary: tuple[tuple[str, str], ...] = ()
        if biasing.vocabulary_id and model.hotword_parameter is not None:  # its wire name
            vocabulary = ((model.hotword_parameter, biasing.vocabulary_id),)
        return self.client.recognize(
            audio,
            Endpointing.for_recording() if whole_file else self._endpointing(matcher),
            model=model.name,
            language_hints=hints,
            options=self.options + vocabulary,
            context=biasing.context,  # set only for context models (`ModelInfo.bias`)
            context_messages=biasing.context_messages,  # run-task's `input.context`
        )

    def _endpointing(self, matcher: CommandMatcher | None) -> Endpointing:
        """Return this engine's end-of-speech policy for one utterance."""
        if matcher is None or self.endpointing.command_silence_ms is None:
            return self.endpointing
        return dataclasses.replace(self.endpointing, matcher=matcher)

    @property
    def silence_ms(self) -> int | None:
        """Return the engine's silence setting: how long a pause ends a sentence (ms)."""
        for name, value in self.options:
            if name in (Parameter.MAX_SENTENCE_SILENCE.value, Parameter.VAD_SILENCE.value):
                return int(value)
        return None

    def audio_input(self, spec: AudioSpec) -> AudioInput:
        """Return how audio described by `spec` becomes what the model is sent."""
        return AudioInput(spec, self.model.sample_rates, self.model.formats)

    def default_language(self, hass: HomeAssistant) -> str:
        """Return the model's language tag closest to Home Assistant's language."""
        tags = self.model.language_tags
        matches = language_util.matches(hass.config.language, tags, hass.config.country)
        return matches[0] if matches else tags[0]
