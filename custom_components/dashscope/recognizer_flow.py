"""The recognizer subentry: a model, its language hints and its recognition settings.

The model form and its checks live here; the settings form in `settings_form.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigEntryState,
    ConfigSubentryFlow,
    SubentryFlowResult,
)
from homeassistant.helpers.selector import (
    BooleanSelector,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
)

from .client import (
    DEFAULT_MODEL,
    DashScopeClient,
    DashScopeError,
    Endpoint,
    model_info,
    models_for,
)
from .const import CONF_AUTO_LANGUAGE, CONF_CUSTOM_MODEL, CONF_HOTWORDS, CONF_MODEL, LOGGER
from .failures import form_errors
from .recognizer import recognizer_subentries, recognizer_title
from .settings_form import check_settings, settings_schema, settings_step_id
from .validation import vol


def served_models(endpoint: Endpoint) -> list[str]:
    """Return the models an endpoint serves: its deployments', of the protocols it reaches."""
    return [
        model.name for model in models_for(endpoint.deployments) if endpoint.serves(model.protocol)
    ]


def model_fields(endpoint: Endpoint) -> dict[vol.Marker, Any]:
    """Return the model picker (labelled, the endpoint's models) and a box for another name.

    The picker takes no typed value: the frontend would complete a typed newer name to a
    listed one. A name typed in the box is used as it is (`validate_model_form`).
    """
    models = served_models(endpoint)
    default = DEFAULT_MODEL if DEFAULT_MODEL in models else models[0]
    return {
        vol.Required(CONF_MODEL, default=default): SelectSelector(
            SelectSelectorConfig(
                options=models,
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


def model_suggestion(model: str, endpoint: Endpoint) -> dict[str, str]:
    """Return a model form's suggested values for `model`: picked if listed, else typed."""
    models = served_models(endpoint)
    if model in models:
        return {CONF_MODEL: model}
    return {
        CONF_MODEL: DEFAULT_MODEL if DEFAULT_MODEL in models else models[0],
        CONF_CUSTOM_MODEL: model,
    }


def _recognizer_schema(endpoint: Endpoint) -> vol.Schema:
    return vol.Schema(
        {
            **model_fields(endpoint),
            vol.Optional(CONF_AUTO_LANGUAGE, default=False): BooleanSelector(),
        }
    )


def distinct_title(entry: ConfigEntry, data: Mapping[str, Any], own: str | None = None) -> str:
    """Return an engine's title, told apart from the account's other engines (`own`: itself).

    Engines with the same model and hints would share a name in the assistant's engine list:
    what differs is added ("(auto)" for one that detects the language), else a number.
    """
    title = recognizer_title(data)
    taken = {sub.title for sub in recognizer_subentries(entry) if sub.subentry_id != own}
    if title not in taken:
        return title
    if data.get(CONF_AUTO_LANGUAGE) and f"{title} (auto)" not in taken:
        return f"{title} (auto)"
    number = 2
    while f"{title} {number}" in taken:
        number += 1
    return f"{title} {number}"


async def validate_recognition(client: DashScopeClient, model: str) -> dict[str, str]:
    """Open a real recognition session with `model`; return form errors (empty when fine)."""
    info = model_info(model)
    if not info.deployments & client.endpoint.deployments:
        return {CONF_MODEL: "model_not_available"}
    if not client.endpoint.serves(info.protocol):
        # A custom URL naming the realtime API: an inference model would fail as `unknown`.
        return {CONF_MODEL: "model_other_protocol"}
    try:
        await client.validate(model, info.preferred_sample_rate)
    except DashScopeError as err:
        return form_errors(err, f"{model} at {client.endpoint.websocket_url}")
    except Exception:  # noqa: BLE001 - logged with its traceback below
        # A bug must not break the form: the person sees "unknown", the log has the cause.
        LOGGER.exception("Unexpected error checking %s at %s", model, client.endpoint.websocket_url)
        return {"base": "unknown"}
    return {}


class RecognizerSubentryFlow(ConfigSubentryFlow):
    """Add or change a recognizer: model and languages, then its settings."""

    _recognizer: dict[str, Any]
    _warned: str  # the hotwords last shown with what saving would change

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
            suggested = data | model_suggestion(str(data[CONF_MODEL]), client.endpoint)
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(
                _recognizer_schema(client.endpoint), suggested
            ),
            errors=errors,
        )

    async def async_step_settings(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Ask for the settings the chosen model supports; say what saving would change."""
        model = model_info(self._recognizer[CONF_MODEL])
        region = self._get_entry().runtime_data.client.endpoint.region
        schema = settings_schema(model, region)
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            errors, placeholders = check_settings(
                model, region, user_input, getattr(self, "_warned", None)
            )
            if CONF_HOTWORDS in errors:  # shown now: the same text again is saved as it is
                self._warned = str(user_input.get(CONF_HOTWORDS) or "")
        if (user_input is not None and not errors) or not schema.schema:
            data = {**self._recognizer, **(user_input or {})}
            own = None if self.source == "user" else self._get_reconfigure_subentry().subentry_id
            title = distinct_title(self._get_entry(), data, own)
            if self.source == "user":
                return self.async_create_entry(title=title, data=data)
            # Updated here and aborted with our own reason: from 2026.10 async_update_and_abort
            # answers with Home Assistant's generic text, and 2026.2's takes no reason.
            self.hass.config_entries.async_update_subentry(
                self._get_entry(), self._get_reconfigure_subentry(), title=title, data=data
            )
            return self.async_abort(reason="reconfigure_successful")
        suggested: Mapping[str, Any] | None = user_input
        if suggested is None and self.source == "reconfigure":
            suggested = self._get_reconfigure_subentry().data
        return self.async_show_form(
            step_id=settings_step_id(model),
            data_schema=self.add_suggested_values_to_schema(schema, suggested),
            errors=errors,
            description_placeholders={"model": model.name, **placeholders},
        )

    async def async_step_context_settings(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Ask for a Qwen3 engine's settings (context text instead of hotwords)."""
        return await self.async_step_settings(user_input)
