"""An engine's settings form: its fields, their ranges, and what saving would change.

The fields come from the model and the parameter table (`client/parameters.py`); numbers are
checked here, with translated errors that state the range, and typed hotwords are compared with
what the client will send (clamped weights, entries left out) so the form can say so first.
"""

from __future__ import annotations

from collections.abc import Mapping
import re
from typing import Any

from homeassistant.helpers.selector import (
    BooleanSelector,
    EntitySelector,
    EntitySelectorConfig,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
)

from .client import ModelInfo, Region, build_context, build_vocabulary, parse_phrases
from .client.catalog import HintRule, hint_order
from .client.parameters import PARAMETERS, ParameterSpec
from .const import (
    CONF_COMMAND_END,
    CONF_COMMAND_SILENCE,
    CONF_END_OF_SPEECH,
    CONF_EXPOSED_NAMES,
    CONF_FALLBACK,
    CONF_HOTWORDS,
    CONF_LANGUAGE_HINTS,
    DEFAULT_COMMAND_SILENCE,
)
from .hotwords import takes_phrases
from .recognizer import END_OF_SPEECH_DEFAULT
from .validation import NumberRange, range_error, vol

# A typed `=N` weight at the end of a hotword line (the client clamps it to 1-5).
_TYPED_WEIGHT = re.compile(r"=\s*(-?\d+)\s*$")


def _setting_selector(spec: ParameterSpec) -> BooleanSelector | NumberSelector:
    """Return the form field of a recognition option, from the parameter table.

    A number is a box without minimum or maximum: with both, a frontend may draw a slider whose
    knob sits at the minimum (a value that looks set), and the schema would refuse a number
    outside them with Home Assistant's English-only message. The range is checked by
    `check_settings` instead, with a translated error that states it.
    """
    if spec.kind == "bool":
        return BooleanSelector()
    config = NumberSelectorConfig(
        step=spec.step if spec.step is not None else "any", mode=NumberSelectorMode.BOX
    )
    if spec.unit is not None:
        config["unit_of_measurement"] = spec.unit
    return NumberSelector(config)


def settings_ranges(model: ModelInfo) -> dict[str, NumberRange]:
    """Return the allowed range of each number on a model's settings form."""
    return {
        CONF_COMMAND_SILENCE: NumberRange(100, 1000, "ms"),
    } | {
        spec.parameter.value: NumberRange(spec.minimum, spec.maximum, spec.unit)
        for spec in PARAMETERS
        if spec.setting
        and spec.kind != "bool"
        and spec.parameter in model.parameters
        and (spec.minimum is not None or spec.maximum is not None)
    }


def _hints_selector(model: ModelInfo) -> SelectSelector:
    """Return the extra language hints a model takes, common languages first."""
    codes = hint_order(model.languages)
    return SelectSelector(
        SelectSelectorConfig(
            options=[SelectOptionDict(value=code, label=code) for code in codes],
            multiple=True,
            mode=SelectSelectorMode.DROPDOWN,
            translation_key="language_hint",
        )
    )


def settings_schema(model: ModelInfo, region: Region) -> vol.Schema:
    """Return the settings form: only what this model accepts."""
    fields: dict[vol.Marker, Any] = {}
    if model.hint_rule is HintRule.ALL:
        # Only these models use more than the pipeline's language: elsewhere the field does nothing.
        fields[vol.Optional(CONF_LANGUAGE_HINTS, default=[])] = _hints_selector(model)
    fields[vol.Optional(CONF_END_OF_SPEECH, default=END_OF_SPEECH_DEFAULT)] = BooleanSelector()
    fields[vol.Optional(CONF_COMMAND_END, default=END_OF_SPEECH_DEFAULT)] = BooleanSelector()
    fields[vol.Optional(CONF_COMMAND_SILENCE, default=DEFAULT_COMMAND_SILENCE)] = NumberSelector(
        NumberSelectorConfig(step=50, unit_of_measurement="ms", mode=NumberSelectorMode.BOX)
    )
    if takes_phrases(model, region):
        fields[vol.Optional(CONF_HOTWORDS, default="")] = TextSelector(
            TextSelectorConfig(multiline=True)
        )
        fields[vol.Optional(CONF_EXPOSED_NAMES, default=False)] = BooleanSelector()
    for spec in PARAMETERS:
        if not spec.setting or spec.parameter not in model.parameters:
            continue
        key = (
            vol.Optional(spec.parameter.value)
            if spec.default is None
            else vol.Optional(spec.parameter.value, default=spec.default)
        )
        fields[key] = _setting_selector(spec)
    # Any other speech-to-text engine answers when DashScope cannot (fallback.py).
    fields[vol.Optional(CONF_FALLBACK)] = EntitySelector(EntitySelectorConfig(domain="stt"))
    return vol.Schema(fields)


def settings_step_id(model: ModelInfo) -> str:
    """Return the settings step of a model: Qwen3 takes context text, not weighted hotwords."""
    return "context_settings" if model.context_tokens else "settings"


def hotword_changes(model: ModelInfo, region: Region, text: str) -> list[str]:
    """Return what saving would change in the typed hotwords, one short line each.

    A weight outside 1-5 is clamped ("客厅吊灯 =9 → =5"); a hotword the service would refuse
    (too long) or that does not fit is left out ("… ✕"). Symbols, not words: the list is
    shown inside a translated sentence.
    """
    if not text.strip():
        return []
    changes: list[str] = []
    phrases = parse_phrases(text)
    bias = model.bias(region)
    if bias.context and model.context_tokens:  # Qwen3's context text: no weights
        skipped = build_context(model.context_tokens, phrases).skipped
    elif bias.vocabulary:
        for line in text.splitlines():
            parsed = parse_phrases(line)
            match = _TYPED_WEIGHT.search(line)
            if parsed and match and int(match[1]) != parsed[0].weight:
                changes.append(f"{parsed[0].text} ={int(match[1])} → ={parsed[0].weight}")
        skipped = build_vocabulary(phrases).skipped
    else:
        return []
    changes.extend(f"{skipped_text} ✕" for skipped_text, _ in skipped)
    return changes


def check_settings(
    model: ModelInfo, region: Region, user_input: Mapping[str, Any], warned: str | None
) -> tuple[dict[str, str], dict[str, str]]:
    """Return a settings form's errors and their placeholders (empty when it can be saved).

    A number outside its range is an error. Hotwords that saving would change are shown first
    (`hotwords_adjusted`); the same text submitted again (`warned`) is saved as it is.
    """
    errors, placeholders = range_error(user_input, settings_ranges(model))
    if errors:
        return errors, placeholders
    text = str(user_input.get(CONF_HOTWORDS) or "")
    if text != warned and (changes := hotword_changes(model, region, text)):
        key = "context_adjusted" if model.context_tokens else "hotwords_adjusted"
        return {CONF_HOTWORDS: key}, {"changes": "; ".join(changes)}
    return {}, {}
