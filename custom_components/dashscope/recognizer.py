"""What a recognizer subentry means: its defaults, title and task parameters."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from homeassistant.components import stt
from homeassistant.config_entries import ConfigEntry, ConfigSubentry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.util import language as language_util

from .client import (
    AudioInput,
    AudioSpec,
    DashScopeClient,
    Endpointing,
    ModelInfo,
    RecognitionParameters,
    RecognitionSession,
    model_info,
)
from .client.parameters import PARAMETERS, task_options
from .const import (
    CONF_AUTO_LANGUAGE,
    CONF_END_OF_SPEECH,
    CONF_EXPOSED_NAMES,
    CONF_HOTWORDS,
    CONF_LANGUAGE_HINTS,
    CONF_MODEL,
    DOMAIN,
    SUBENTRY_RECOGNIZER,
)

if TYPE_CHECKING:
    from .hotwords import HotwordManager  # it reads the subentries through this module

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


def recognizer_device(subentry: ConfigSubentry) -> DeviceInfo:
    """Return the device of a recognizer, shared by its entities whichever is added first."""
    return DeviceInfo(
        identifiers={(DOMAIN, subentry.subentry_id)},
        name=subentry.title,
        manufacturer="Alibaba Cloud Model Studio",
        model=str(subentry.data[CONF_MODEL]),
        entry_type=DeviceEntryType.SERVICE,
    )


@dataclass(frozen=True, slots=True)
class Recognizer:
    """One engine, built from its subentry once: what the entities, actions and hotwords ask.

    It holds the model, the language rule, the validated task options, the end-of-speech
    policy and the way to the account's client and vocabulary; nobody passes an entity around
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
    hotwords: HotwordManager
    entry: ConfigEntry

    @classmethod
    def from_subentry(
        cls,
        entry: ConfigEntry,
        subentry: ConfigSubentry,
        client: DashScopeClient,
        hotwords: HotwordManager,
    ) -> Recognizer:
        """Read a recognizer subentry once."""
        model = model_info(subentry.data[CONF_MODEL])
        end_of_speech = bool(subentry.data.get(CONF_END_OF_SPEECH, False))
        return cls(
            recognizer_id=subentry.subentry_id,
            title=subentry.title,
            model=model,
            extra_hints=tuple(subentry.data.get(CONF_LANGUAGE_HINTS, [])),
            auto_language=bool(subentry.data.get(CONF_AUTO_LANGUAGE, False)),
            options=task_options(model.parameters, dict(subentry.data)),
            endpointing=Endpointing.for_voice_commands(on_service_end=end_of_speech),
            phrases=str(subentry.data.get(CONF_HOTWORDS, "")),
            exposed_names=bool(subentry.data.get(CONF_EXPOSED_NAMES, False)),
            client=client,
            hotwords=hotwords,
            entry=entry,
        )

    def parameters(
        self, language: str, audio: AudioInput, *, whole_file: bool = False
    ) -> RecognitionParameters:
        """Return the task parameters for an utterance: the caller's language first.

        The realtime protocol's turns are the service's (its VAD) when the service ends the
        utterance, and for a whole file (one manual turn holds at most 60 s); otherwise the
        caller's stream ends the one turn.
        """
        model = self.model
        hints: tuple[str, ...] = ()
        if not self.auto_language:
            code = model.language_code(language)
            hints = tuple(model.language_hints(code, list(self.extra_hints)))
        vocabulary: tuple[tuple[str, str], ...] = ()
        if model.biasing.vocabulary and model.hotword_parameter is not None:
            vocabulary_id = self.hotwords.vocabulary_id(self.recognizer_id, model.name)
            vocabulary = ((model.hotword_parameter, vocabulary_id),) if vocabulary_id else ()
        # Context goes as the realtime protocol's text or as run-task's word lists.
        with_context = model.biasing.context
        context = self.hotwords.context(self) if with_context and model.context_tokens else ""
        lists = self.hotwords.context_messages(self) if with_context and model.input_context else ()
        return RecognitionParameters(
            model=model.name,
            sample_rate=audio.service_rate,
            audio_format=audio.service_format,
            language_hints=hints,
            options=self.options + vocabulary,
            protocol=model.protocol,
            context=context,
            service_vad=whole_file or self.endpointing.on_service_end,
            context_messages=lists,
        )

    def recognition(
        self, language: str, audio: AudioInput, *, whole_file: bool = False
    ) -> RecognitionSession:
        """Return a recognition session with this recognizer's settings."""
        return self.client.recognition(self.parameters(language, audio, whole_file=whole_file))

    def audio_input(self, spec: AudioSpec) -> AudioInput:
        """Return how audio described by `spec` becomes what the model is sent."""
        return AudioInput(spec, self.model.sample_rates, self.model.formats)

    def default_language(self, hass: HomeAssistant) -> str:
        """Return the model's language tag closest to Home Assistant's language."""
        tags = self.model.language_tags
        matches = language_util.matches(hass.config.language, tags, hass.config.country)
        return matches[0] if matches else tags[0]
