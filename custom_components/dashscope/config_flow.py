"""Config flow: one entry per DashScope account, recognizers as subentries."""

from __future__ import annotations

from collections.abc import Mapping
import hashlib
from typing import Any
from urllib.parse import urlsplit

from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
    OptionsFlow,
)
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    BooleanSelector,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.helpers.translation import async_get_translations
from homeassistant.helpers.typing import UNDEFINED

from .account import endpoint_from_data
from .client import (
    DEFAULT_MODEL,
    REGIONS,
    DashScopeClient,
    DashScopeError,
    Endpoint,
    InvalidEndpointError,
    Region,
    model_info,
)
from .const import (
    CONF_AUTO_LANGUAGE,
    CONF_HOTWORDS,
    CONF_MODEL,
    CONF_REGION,
    CONF_URL,
    CONF_WORKSPACE_ID,
    DOMAIN,
    SUBENTRY_RECOGNIZER,
)
from .failures import form_errors
from .options_flow import DashScopeOptionsFlow
from .recognizer import default_recognizer, recognizer_subentries, recognizer_title
from .recognizer_flow import (
    RecognizerSubentryFlow,
    model_fields,
    validate_model_form,
    validate_recognition,
)
from .settings_form import check_settings, settings_schema, settings_step_id
from .validation import vol

_ACCOUNT_KEYS = (CONF_API_KEY, CONF_REGION, CONF_WORKSPACE_ID, CONF_URL)


def account_unique_id(api_key: str) -> str:
    """Return a stable id for the account behind a key (a digest: the key itself stays out)."""
    return hashlib.sha256(api_key.encode()).hexdigest()[:20]


def _account_schema() -> vol.Schema:
    """Return the account form: the key and the region (what the region needs comes next)."""
    return vol.Schema(
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
        }
    )


def _endpoint_schema(region: str) -> vol.Schema | None:
    """Return the second account form: the fields the region needs (None: it needs none)."""
    info = REGIONS[Region(region)]
    if info.host is None:
        return vol.Schema(
            {
                vol.Required(CONF_URL): TextSelector(TextSelectorConfig(type=TextSelectorType.URL)),
                vol.Optional(CONF_WORKSPACE_ID): TextSelector(),
            }
        )
    if info.needs_workspace:
        return vol.Schema({vol.Required(CONF_WORKSPACE_ID): TextSelector()})
    return None


def _needs_endpoint_step(region: str) -> bool:
    """Return True when the region needs more than the key: a workspace ID or a URL."""
    return _endpoint_schema(region) is not None


# Errors the endpoint form shows (its fields, or a host that cannot be reached).
_ENDPOINT_ERRORS = frozenset({CONF_URL, CONF_WORKSPACE_ID})


_REAUTH_SCHEMA = vol.Schema(
    {vol.Required(CONF_API_KEY): TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))}
)


async def _validate_account(
    hass: HomeAssistant, data: Mapping[str, Any], model: str | None = None
) -> tuple[Endpoint | None, dict[str, str]]:
    """Check the endpoint settings, then the key live: by a handshake, or by a task with `model`."""
    try:
        endpoint = endpoint_from_data(data)
    except InvalidEndpointError as err:
        return None, {err.reason: f"invalid_{err.reason}"}
    async with DashScopeClient(
        async_get_clientsession(hass), data[CONF_API_KEY], endpoint
    ) as client:
        if model is not None:
            return endpoint, await validate_recognition(client, model)
        try:
            await client.connect()
        except DashScopeError as err:
            return endpoint, form_errors(err, endpoint.websocket_url)
    return endpoint, {}


def _account_data(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Keep the account's fields the region uses (its forms' fields), dropping empty ones."""
    schema = _endpoint_schema(str(user_input[CONF_REGION]))
    used = {CONF_API_KEY, CONF_REGION} | {str(key) for key in (schema.schema if schema else ())}
    return {
        key: user_input[key]
        for key in _ACCOUNT_KEYS
        if key in used and user_input.get(key) not in ("", None)
    }


async def _region_name(hass: HomeAssistant, region: Region) -> str:
    """Return a region's name in the home's language, as account titles use it."""
    translations = await async_get_translations(hass, hass.config.language, "selector", {DOMAIN})
    key = f"component.{DOMAIN}.selector.account_title.options.{region.value}"
    return translations.get(key, region.value)


async def _account_title(hass: HomeAssistant, endpoint: Endpoint) -> str:
    """Return the entry's title in the home's language, e.g. "DashScope 新加坡".

    What tells two accounts of a region apart is added: the workspace, and for a custom
    endpoint its host and port (e.g. "DashScope Custom endpoint 127.0.0.1:8765").
    """
    title = await _region_name(hass, endpoint.region)
    if endpoint.region is Region.CUSTOM:
        title = f"{title} {urlsplit(endpoint.websocket_url).netloc}"
    if endpoint.workspace_id:
        title = f"{title} {endpoint.workspace_id}"
    return f"DashScope {title}"


def _recognizer_model(entry: ConfigEntry) -> str:
    """Return the model to validate an account change with: its first recognizer's."""
    recognizers = recognizer_subentries(entry)
    return str(recognizers[0].data[CONF_MODEL]) if recognizers else DEFAULT_MODEL


class DashScopeConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add a DashScope account."""

    VERSION = 1

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> OptionsFlow:  # noqa: ARG004
        """Return the account's options: how long to wait for the service."""
        return DashScopeOptionsFlow()

    @classmethod
    @callback
    def async_get_supported_subentry_types(
        cls,
        config_entry: ConfigEntry,  # noqa: ARG003 - the same types for every account
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Return the subentry types: recognizers."""
        return {SUBENTRY_RECOGNIZER: RecognizerSubentryFlow}

    _account: dict[str, Any]
    _endpoint: Endpoint
    _model: str
    _auto_language: bool
    _warned: str  # the hotwords last shown with what saving would change

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the key and the region; then what the region needs; prove them."""
        if user_input is None:
            return self._account_form("user", None, {})
        # After a refused key the account form comes back: the URL or workspace ID typed on
        # the next form is kept for it (offered again there), not lost with the new key.
        self._account = {**getattr(self, "_account", {}), **user_input}
        await self.async_set_unique_id(account_unique_id(user_input[CONF_API_KEY]))
        self._abort_if_unique_id_configured()
        if _needs_endpoint_step(user_input[CONF_REGION]):
            return await self.async_step_endpoint()
        return await self._async_check_account()

    async def async_step_endpoint(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the workspace ID or the custom URL, as the chosen region needs."""
        if user_input is None:
            return await self._endpoint_form({})
        # A field left empty is absent from the input: it must not keep an earlier value.
        self._account = {
            key: value
            for key, value in self._account.items()
            if key not in (CONF_URL, CONF_WORKSPACE_ID)
        } | user_input
        return await self._async_check_account()

    async def async_step_workspace(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the workspace ID of a workspace-domain region."""
        return await self.async_step_endpoint(user_input)

    async def _async_check_account(self) -> ConfigFlowResult:
        """Prove the account; show the errors on the form whose fields are at fault."""
        data = _account_data(self._account)
        reconfiguring = self.source == SOURCE_RECONFIGURE
        model = _recognizer_model(self._get_reconfigure_entry()) if reconfiguring else None
        endpoint, errors = await _validate_account(self.hass, data, model)
        errors = _account_errors(errors)
        if errors or endpoint is None:
            if _needs_endpoint_step(data[CONF_REGION]) and (
                errors.keys() & _ENDPOINT_ERRORS or errors.get("base") == "cannot_connect"
            ):
                return await self._endpoint_form(errors)
            step_id = "reconfigure" if reconfiguring else "user"
            return self._account_form(step_id, self._account, errors)
        if reconfiguring:
            entry = self._get_reconfigure_entry()
            if (result := self._abort_if_other_account(entry, data)) is not None:
                return result
            return self._async_update_and_abort(
                entry,
                unique_id=account_unique_id(data[CONF_API_KEY]),
                title=await _account_title(self.hass, endpoint),
                data=data,
            )
        self._account = data
        self._endpoint = endpoint
        return await self.async_step_model()

    def _account_form(
        self, step_id: str, suggested: Mapping[str, Any] | None, errors: dict[str, str]
    ) -> ConfigFlowResult:
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(_account_schema(), suggested),
            errors=errors,
        )

    async def _endpoint_form(self, errors: dict[str, str]) -> ConfigFlowResult:
        """Show the workspace form (workspace domains) or the custom endpoint's form."""
        region = Region(self._account[CONF_REGION])
        schema = _endpoint_schema(region)
        assert schema is not None  # only regions that need it come here
        return self.async_show_form(
            step_id="endpoint" if region is Region.CUSTOM else "workspace",
            data_schema=self.add_suggested_values_to_schema(schema, self._account),
            errors=errors,
            description_placeholders={"region": await _region_name(self.hass, region)},
        )

    async def async_step_model(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Pick the first recognizer's model among the region's; prove it with a real task."""
        errors: dict[str, str] = {}
        if user_input is not None:
            async with DashScopeClient(
                async_get_clientsession(self.hass), self._account[CONF_API_KEY], self._endpoint
            ) as client:
                model, errors = await validate_model_form(client, user_input)
            if not errors:
                self._model = model
                self._auto_language = bool(user_input.get(CONF_AUTO_LANGUAGE, False))
                return await self.async_step_settings()
        schema = vol.Schema(
            {
                **model_fields(self._endpoint),
                vol.Optional(CONF_AUTO_LANGUAGE, default=False): BooleanSelector(),
            }
        )
        return self.async_show_form(
            step_id="model",
            data_schema=self.add_suggested_values_to_schema(schema, user_input),
            errors=errors,
        )

    async def async_step_settings(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the first engine's settings (languages, end of speech, hotwords), then save."""
        model = model_info(self._model)
        schema = settings_schema(model, self._endpoint.region)
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            errors, placeholders = check_settings(
                model, self._endpoint.region, user_input, getattr(self, "_warned", None)
            )
            if CONF_HOTWORDS in errors:  # shown now: the same text again is saved as it is
                self._warned = str(user_input.get(CONF_HOTWORDS) or "")
        if (user_input is None or errors) and schema.schema:
            return self.async_show_form(
                step_id=settings_step_id(model),
                data_schema=self.add_suggested_values_to_schema(schema, user_input),
                errors=errors,
                description_placeholders={"model": model.name, **placeholders},
            )
        recognizer = (
            default_recognizer(self._model)
            | {CONF_AUTO_LANGUAGE: self._auto_language}
            | (user_input or {})
        )
        return self.async_create_entry(
            title=await _account_title(self.hass, self._endpoint),
            data=self._account,
            subentries=[
                {
                    "subentry_type": SUBENTRY_RECOGNIZER,
                    "data": recognizer,
                    "title": recognizer_title(recognizer),
                    "unique_id": None,
                }
            ],
        )

    async def async_step_context_settings(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show a Qwen3 first engine's settings (context text instead of hotwords)."""
        return await self.async_step_settings(user_input)

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
            if errors.get("base") == "invalid_auth":
                # The form has no region to check: the entry's is named instead.
                errors = {"base": "reauth_invalid_auth"}
            if not errors:
                if (result := self._abort_if_other_account(entry, data)) is not None:
                    return result
                return self._async_update_and_abort(
                    entry, unique_id=account_unique_id(data[CONF_API_KEY]), data=data
                )
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=self.add_suggested_values_to_schema(_REAUTH_SCHEMA, user_input),
            errors=errors,
            description_placeholders={
                "title": entry.title,
                "region": await _region_name(self.hass, Region(entry.data[CONF_REGION])),
            },
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the key or region, then what the region needs; validated like the set-up."""
        entry = self._get_reconfigure_entry()
        if user_input is None:
            return self._account_form("reconfigure", entry.data, {})
        # The workspace ID and URL already saved are offered again on the endpoint form.
        self._account = {**entry.data, **user_input}
        if _needs_endpoint_step(user_input[CONF_REGION]):
            return await self.async_step_endpoint()
        return await self._async_check_account()

    def _async_update_and_abort(
        self,
        entry: ConfigEntry,
        *,
        unique_id: str,
        data: Mapping[str, Any],
        title: str | None = None,
    ) -> ConfigFlowResult:
        """Save the account and have it reloaded exactly once.

        A loaded entry has an update listener (it reloads the entry when recognizers are added,
        changed or removed), so a change is left to it: Home Assistant warns when a flow reloads
        an entry that has one. An entry that is not loaded (its key was refused at start-up) has
        no listener, and a proven key saved unchanged is no change to the listener: those
        reloads are asked for here.
        """
        unchanged = (
            entry.data == data
            and entry.unique_id == unique_id
            and (title is None or entry.title == title)
        )
        reload = unchanged or entry.state is not ConfigEntryState.LOADED
        # The reason is named so the integration's own text is shown: left out, Home Assistant
        # answers with its generic (untranslated here) "Re-authentication was successful".
        reason = (
            "reconfigure_successful" if self.source == SOURCE_RECONFIGURE else "reauth_successful"
        )
        result = self.async_update_and_abort(
            entry,
            unique_id=unique_id,
            title=UNDEFINED if title is None else title,
            data=data,
            reason=reason,
        )
        if reload:  # after the update: the reload may start at once, reading the new data
            self.hass.config_entries.async_schedule_reload(entry.entry_id)
        return result

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
    if errors.get(CONF_MODEL) in ("model_not_available", "model_other_protocol"):
        return {"base": f"recognizer_{errors[CONF_MODEL]}"}
    return errors
