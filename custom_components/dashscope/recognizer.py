"""What a recognizer subentry means: its defaults, title and task parameters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.components import stt
from homeassistant.config_entries import ConfigEntry, ConfigSubentry
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo

from .client import ModelInfo, model_info
from .client.parameters import PARAMETERS, task_options
from .const import (
    CONF_AUTO_LANGUAGE,
    CONF_END_OF_SPEECH,
    CONF_LANGUAGE_HINTS,
    CONF_MODEL,
    DOMAIN,
    SUBENTRY_RECOGNIZER,
)

# On by default only where Home Assistant lets the entity end the utterance (2026.5 and
# later); before that the pipeline's own VAD keeps ending the stream too.
END_OF_SPEECH_DEFAULT = hasattr(stt, "SpeechAudioProcessing")


def recognition_options(model: ModelInfo, data: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    """Return the task parameters a recognizer's settings ask for, as the model takes them."""
    return task_options(model.parameters, dict(data))


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
    """Return the title of a recognizer: its model and extra language hints."""
    hints = data.get(CONF_LANGUAGE_HINTS) or []
    return f"{data[CONF_MODEL]} ({', '.join(hints)})" if hints else str(data[CONF_MODEL])


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
