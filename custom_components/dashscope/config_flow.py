"""Config flow: one entry per DashScope account, recognizers as subentries."""

from __future__ import annotations

from collections.abc import Mapping
import hashlib
from typing import Any

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
    SubentryFlowResult,
)
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import voluptuous as vol

from . import endpoint_from_data
from .client import (
    DEFAULT_MODEL,
    DashScopeAuthError,
    DashScopeClient,
    DashScopeConnectionError,
    DashScopeError,
    DashScopeTaskError,
    DashScopeTimeoutError,
    Deployment,
    Endpoint,
    InvalidEndpointError,
    Region,
    model_info,
    models_for,
)
from .const import (
    CONF_LANGUAGE_HINTS,
    CONF_MODEL,
    CONF_REGION,
    CONF_URL,
    CONF_WORKSPACE_ID,
    DOMAIN,
    LOGGER,
    SUBENTRY_RECOGNIZER,
)

_ACCOUNT_KEYS = (CONF_API_KEY, CONF_REGION, CONF_WORKSPACE_ID, CONF_URL)
_REGION_TITLES = {
    Region.BEIJING: "China (Beijing)",
    Region.SINGAPORE: "Singapore",
    Region.BEIJING_WORKSPACE: "China (Beijing) workspace",
    Region.SINGAPORE_WORKSPACE: "Singapore workspace",
    Region.CUSTOM: "custom endpoint",
}


def account_unique_id(api_key: str) -> str:
    """Return a stable id for the account behind a key (a digest: the key itself stays out)."""
    return hashlib.sha256(api_key.encode()).hexdigest()[:20]


def _model_selector(deployments: frozenset[Deployment]) -> SelectSelector:
    return SelectSelector(
        SelectSelectorConfig(
            options=[model.name for model in models_for(deployments)],
            custom_value=True,
            mode=SelectSelectorMode.DROPDOWN,
        )
    )


def _hints_selector(deployments: frozenset[Deployment]) -> SelectSelector:
    codes: list[str] = []
    for model in models_for(deployments):
        codes.extend(code for code in model.languages if code not in codes)
    return SelectSelector(
        SelectSelectorConfig(
            options=[SelectOptionDict(value=code, label=code) for code in codes],
            multiple=True,
            mode=SelectSelectorMode.DROPDOWN,
            translation_key="language_hint",
        )
    )


def _account_schema(*, with_model: bool = True) -> vol.Schema:
    schema = vol.Schema(
        {
            vol.Required(CONF_API_KEY): TextSelector(
                TextSelectorConfig(type=TextSelectorType.PASSWORD)
            ),
            vol.Required(CONF_REGION, default=Region.BEIJING.value): SelectSelector(
                SelectSelectorConfig(
                    options=[region.value for region in Region],
                    translation_key="region",
                    mode=SelectSelectorMode.DROPDOWN,
                )
            ),
            vol.Optional(CONF_WORKSPACE_ID): TextSelector(),
            vol.Optional(CONF_URL): TextSelector(TextSelectorConfig(type=TextSelectorType.URL)),
        }
    )
    if with_model:
        schema = schema.extend(
            {
                vol.Required(CONF_MODEL, default=DEFAULT_MODEL): _model_selector(
                    frozenset(Deployment)
                )
            }
        )
    return schema


_REAUTH_SCHEMA = vol.Schema(
    {vol.Required(CONF_API_KEY): TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))}
)


def _recognizer_schema(deployments: frozenset[Deployment]) -> vol.Schema:
    return vol.Schema(
        {
            vol.Required(CONF_MODEL, default=DEFAULT_MODEL): _model_selector(deployments),
            vol.Optional(CONF_LANGUAGE_HINTS, default=[]): _hints_selector(deployments),
        }
    )


def recognizer_title(data: Mapping[str, Any]) -> str:
    """Return the title of a recognizer: its model and extra language hints."""
    hints = data.get(CONF_LANGUAGE_HINTS) or []
    return f"{data[CONF_MODEL]} ({', '.join(hints)})" if hints else str(data[CONF_MODEL])


async def validate_recognition(  # noqa: PLR0911 - one return per outcome reads best
    client: DashScopeClient, model: str
) -> dict[str, str]:
    """Open a real recognition session with `model`; return form errors (empty when fine)."""
    info = model_info(model)
    if not info.deployments & client.endpoint.deployments:
        return {CONF_MODEL: "model_not_available"}
    try:
        await client.validate(model, info.preferred_sample_rate)
    except DashScopeAuthError:
        return {"base": "invalid_auth"}
    except DashScopeTaskError as err:
        if err.model_not_found:
            return {CONF_MODEL: "model_not_available"}
        LOGGER.warning("Validation of %s failed: %s", model, err)
        return {"base": "unknown"}
    except (DashScopeConnectionError, DashScopeTimeoutError) as err:
        LOGGER.debug("Cannot reach %s: %s", client.endpoint.websocket_url, err)
        return {"base": "cannot_connect"}
    except DashScopeError as err:
        LOGGER.warning("Validation of %s failed: %s", model, err)
        return {"base": "unknown"}
    return {}


async def _validate_account(
    hass: HomeAssistant, data: Mapping[str, Any], model: str
) -> tuple[Endpoint | None, dict[str, str]]:
    try:
        endpoint = endpoint_from_data(data)
    except InvalidEndpointError as err:
        return None, {err.reason: f"invalid_{err.reason}"}
    client = DashScopeClient(async_get_clientsession(hass), data[CONF_API_KEY], endpoint)
    return endpoint, await validate_recognition(client, model)


def _account_data(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Keep the account's fields, dropping the ones left empty."""
    return {key: value for key in _ACCOUNT_KEYS if (value := user_input.get(key)) not in ("", None)}


def _account_title(endpoint: Endpoint) -> str:
    title = _REGION_TITLES[endpoint.region]
    if endpoint.workspace_id:
        title = f"{title} {endpoint.workspace_id}"
    return f"DashScope {title}"


def _recognizer_model(entry: ConfigEntry) -> str:
    """Return the model to validate an account change with: its first recognizer's."""
    for subentry in entry.subentries.values():
        if subentry.subentry_type == SUBENTRY_RECOGNIZER:
            return str(subentry.data[CONF_MODEL])
    return DEFAULT_MODEL


class DashScopeConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add a DashScope account."""

    VERSION = 1

    @classmethod
    @callback
    def async_get_supported_subentry_types(
        cls,
        config_entry: ConfigEntry,  # noqa: ARG003 - the same types for every account
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Return the subentry types: recognizers."""
        return {SUBENTRY_RECOGNIZER: RecognizerSubentryFlow}

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the key, the endpoint and the first recognizer's model."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data = _account_data(user_input)
            await self.async_set_unique_id(account_unique_id(data[CONF_API_KEY]))
            self._abort_if_unique_id_configured()
            endpoint, errors = await _validate_account(self.hass, data, user_input[CONF_MODEL])
            if not errors and endpoint is not None:
                recognizer = {CONF_MODEL: user_input[CONF_MODEL], CONF_LANGUAGE_HINTS: []}
                return self.async_create_entry(
                    title=_account_title(endpoint),
                    data=data,
                    subentries=[
                        {
                            "subentry_type": SUBENTRY_RECOGNIZER,
                            "data": recognizer,
                            "title": recognizer_title(recognizer),
                            "unique_id": None,
                        }
                    ],
                )
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(_account_schema(), user_input),
            errors=errors,
        )

    async def async_step_reauth(
        self,
        entry_data: Mapping[str, Any],  # noqa: ARG002 - the entry is read in the confirm step
    ) -> ConfigFlowResult:
        """Ask for a new key after the service refused the old one."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Validate a new key on the same endpoint and keep the account's recognizers."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {**entry.data, CONF_API_KEY: user_input[CONF_API_KEY]}
            _, errors = await _validate_account(self.hass, data, _recognizer_model(entry))
            errors = _account_errors(errors)
            if not errors:
                if (result := self._abort_if_other_account(entry, data)) is not None:
                    return result
                return self.async_update_reload_and_abort(
                    entry, unique_id=account_unique_id(data[CONF_API_KEY]), data=data
                )
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=_REAUTH_SCHEMA,
            errors=errors,
            description_placeholders={"title": entry.title},
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the key, region, workspace or URL; validated like the first set-up."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data = _account_data(user_input)
            endpoint, errors = await _validate_account(self.hass, data, _recognizer_model(entry))
            errors = _account_errors(errors)
            if not errors and endpoint is not None:
                if (result := self._abort_if_other_account(entry, data)) is not None:
                    return result
                return self.async_update_reload_and_abort(
                    entry,
                    unique_id=account_unique_id(data[CONF_API_KEY]),
                    title=_account_title(endpoint),
                    data=data,
                )
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                _account_schema(with_model=False), user_input or entry.data
            ),
            errors=errors,
        )

    def _abort_if_other_account(
        self, entry: ConfigEntry, data: Mapping[str, Any]
    ) -> ConfigFlowResult | None:
        """Refuse a key that another entry already uses."""
        unique_id = account_unique_id(data[CONF_API_KEY])
        for other in self._async_current_entries(include_ignore=False):
            if other.entry_id != entry.entry_id and other.unique_id == unique_id:
                return self.async_abort(reason="already_configured")
        return None


def _account_errors(errors: dict[str, str]) -> dict[str, str]:
    """Map a model error to the form without a model field: the recognizer's model is at fault."""
    if errors.get(CONF_MODEL) == "model_not_available":
        return {"base": "recognizer_model_not_available"}
    return errors


class RecognizerSubentryFlow(ConfigSubentryFlow):
    """Add or change a recognizer: a model and its language hints."""

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Add a recognizer."""
        return await self._async_step("user", user_input)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change a recognizer."""
        return await self._async_step("reconfigure", user_input)

    async def _async_step(
        self, step_id: str, user_input: dict[str, Any] | None
    ) -> SubentryFlowResult:
        entry = self._get_entry()
        if entry.state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="entry_not_loaded")
        client: DashScopeClient = entry.runtime_data.client
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = await validate_recognition(client, user_input[CONF_MODEL])
            if not errors:
                title = recognizer_title(user_input)
                if step_id == "user":
                    return self.async_create_entry(title=title, data=user_input)
                return self.async_update_and_abort(
                    entry, self._get_reconfigure_subentry(), title=title, data=user_input
                )
        suggested = user_input
        if suggested is None and step_id == "reconfigure":
            suggested = dict(self._get_reconfigure_subentry().data)
        schema = _recognizer_schema(client.endpoint.deployments)
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(schema, suggested),
            errors=errors,
        )
