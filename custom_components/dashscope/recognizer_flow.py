"""The recognizer subentry: a model, its language hints and its recognition settings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import ConfigEntryState, ConfigSubentryFlow, SubentryFlowResult
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

from .client import (
    DEFAULT_MODEL,
    DashScopeClient,
    DashScopeError,
    Deployment,
    ModelInfo,
    Region,
    model_info,
    models_for,
)
from .client.catalog import HintRule, hint_order
from .client.parameters import PARAMETERS, ParameterSpec
from .const import (
    CONF_AUTO_LANGUAGE,
    CONF_CUSTOM_MODEL,
    CONF_END_OF_SPEECH,
    CONF_EXPOSED_NAMES,
    CONF_FALLBACK,
    CONF_HOTWORDS,
    CONF_LANGUAGE_HINTS,
    CONF_MODEL,
)
from .failures import form_errors
from .hotwords import takes_phrases
from .recognizer import END_OF_SPEECH_DEFAULT, recognizer_title
from .validation import vol


def _setting_selector(spec: ParameterSpec) -> BooleanSelector | NumberSelector:
    """Return the form field of a recognition option, from the parameter table."""
    if spec.kind == "bool":
        return BooleanSelector()
    # A box, not a slider: an option left empty shows as empty (the service's default).
    config = NumberSelectorConfig(
        step=spec.step if spec.step is not None else "any", mode=NumberSelectorMode.BOX
    )
    if spec.unit is not None:
        config["unit_of_measurement"] = spec.unit
    if spec.default is None:
        # No min/max on the field: with both, a frontend may draw a slider whose knob sits at
        # the minimum, a value that looks set. The range is checked by the schema instead.
        return NumberSelector(config)
    if spec.minimum is not None:
        config["min"] = spec.minimum
    if spec.maximum is not None:
        config["max"] = spec.maximum
    return NumberSelector(config)


def _setting_field(spec: ParameterSpec) -> Any:
    """Return the validator of a recognition option: its selector, and its range if unset."""
    selector = _setting_selector(spec)
    if spec.default is None and (spec.minimum is not None or spec.maximum is not None):
        return vol.All(selector, vol.Range(min=spec.minimum, max=spec.maximum))
    return selector


def model_fields(deployments: frozenset[Deployment]) -> dict[vol.Marker, Any]:
    """Return the model picker (labelled, the deployments' models) and a box for another name.

    The picker takes no typed value: the frontend would complete a typed newer name to a
    listed one. A name typed in the box is used as it is (`validate_model_form`).
    """
    return {
        vol.Required(CONF_MODEL, default=DEFAULT_MODEL): SelectSelector(
            SelectSelectorConfig(
                options=[model.name for model in models_for(deployments)],
                translation_key="model",
                mode=SelectSelectorMode.DROPDOWN,
            )
        ),
        vol.Optional(CONF_CUSTOM_MODEL): TextSelector(),
    }


async def validate_model_form(
    client: DashScopeClient, user_input: Mapping[str, Any]
) -> tuple[str, dict[str, str]]:
    """Return the model a model form asks for (the typed name, else the picked one), proven.

    A model error shows beside the typed name when one was typed.
    """
    typed = str(user_input.get(CONF_CUSTOM_MODEL) or "").strip()
    model = typed or str(user_input[CONF_MODEL])
    errors = await validate_recognition(client, model)
    if typed and CONF_MODEL in errors:
        errors = {(CONF_CUSTOM_MODEL if key == CONF_MODEL else key): e for key, e in errors.items()}
    return model, errors


def model_suggestion(model: str, deployments: frozenset[Deployment]) -> dict[str, str]:
    """Return a model form's suggested values for `model`: picked if listed, else typed."""
    if model in {info.name for info in models_for(deployments)}:
        return {CONF_MODEL: model}
    return {CONF_MODEL: DEFAULT_MODEL, CONF_CUSTOM_MODEL: model}


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


def _recognizer_schema(deployments: frozenset[Deployment]) -> vol.Schema:
    return vol.Schema(
        {
            **model_fields(deployments),
            vol.Optional(CONF_AUTO_LANGUAGE, default=False): BooleanSelector(),
        }
    )


def settings_schema(model: ModelInfo, region: Region) -> vol.Schema:
    """Return the settings form: only what this model accepts."""
    fields: dict[vol.Marker, Any] = {}
    if model.hint_rule is HintRule.ALL:
        # Only these models use more than the pipeline's language: elsewhere the field does nothing.
        fields[vol.Optional(CONF_LANGUAGE_HINTS, default=[])] = _hints_selector(model)
    fields[vol.Optional(CONF_END_OF_SPEECH, default=END_OF_SPEECH_DEFAULT)] = BooleanSelector()
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
        fields[key] = _setting_field(spec)
    # Any other speech-to-text engine answers when DashScope cannot (fallback.py).
    fields[vol.Optional(CONF_FALLBACK)] = EntitySelector(EntitySelectorConfig(domain="stt"))
    return vol.Schema(fields)


async def validate_recognition(client: DashScopeClient, model: str) -> dict[str, str]:
    """Open a real recognition session with `model`; return form errors (empty when fine)."""
    info = model_info(model)
    if not info.deployments & client.endpoint.deployments:
        return {CONF_MODEL: "model_not_available"}
    try:
        await client.validate(model, info.preferred_sample_rate)
    except DashScopeError as err:
        return form_errors(err, f"{model} at {client.endpoint.websocket_url}")
    return {}


class RecognizerSubentryFlow(ConfigSubentryFlow):
    """Add or change a recognizer: model and languages, then its settings."""

    _recognizer: dict[str, Any]

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Add a recognizer."""
        return await self._async_step_model("user", user_input)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change a recognizer."""
        return await self._async_step_model("reconfigure", user_input)

    async def _async_step_model(
        self, step_id: str, user_input: dict[str, Any] | None
    ) -> SubentryFlowResult:
        entry = self._get_entry()
        if entry.state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="entry_not_loaded")
        client: DashScopeClient = entry.runtime_data.client
        errors: dict[str, str] = {}
        deployments = client.endpoint.deployments
        if user_input is not None:
            model, errors = await validate_model_form(client, user_input)
            if not errors:
                self._recognizer = {
                    CONF_MODEL: model,
                    CONF_AUTO_LANGUAGE: bool(user_input.get(CONF_AUTO_LANGUAGE, False)),
                }
                return await self.async_step_settings()
        suggested = user_input
        if suggested is None and self.source == "reconfigure":
            data = dict(self._get_reconfigure_subentry().data)
            suggested = data | model_suggestion(str(data[CONF_MODEL]), deployments)
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(
                _recognizer_schema(deployments), suggested
            ),
            errors=errors,
        )

    async def async_step_settings(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Ask for the settings the chosen model supports."""
        model = model_info(self._recognizer[CONF_MODEL])
        region = self._get_entry().runtime_data.client.endpoint.region
        schema = settings_schema(model, region)
        if user_input is not None or not schema.schema:
            data = {**self._recognizer, **(user_input or {})}
            title = recognizer_title(data)
            if self.source == "user":
                return self.async_create_entry(title=title, data=data)
            # Updated here and aborted with our own reason: from 2026.10 async_update_and_abort
            # answers with Home Assistant's generic text, and 2026.2's takes no reason.
            self.hass.config_entries.async_update_subentry(
                self._get_entry(), self._get_reconfigure_subentry(), title=title, data=data
            )
            return self.async_abort(reason="reconfigure_successful")
        suggested: Mapping[str, Any] | None = None
        if self.source == "reconfigure":
            suggested = self._get_reconfigure_subentry().data
        return self.async_show_form(
            step_id="settings",
            data_schema=self.add_suggested_values_to_schema(schema, suggested),
            description_placeholders={"model": model.name},
        )
