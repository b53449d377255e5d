"""Config flow: one entry per DashScope account, recognizers as subentries.

The account's forms and checks are in `account_form.py`, the engines' flow in
`recognizer_flow.py` (settings in `settings_form.py`), the options in `options_flow.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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
from homeassistant.core import callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import BooleanSelector
from homeassistant.helpers.typing import UNDEFINED

from .account_form import (
    ENDPOINT_ERRORS,
    REAUTH_SCHEMA,
    account_data,
    account_errors,
    account_schema,
    account_title,
    account_unique_id,
    endpoint_schema,
    needs_endpoint_step,
    recognizer_model,
    region_name,
    validate_account,
)
from .client import DashScopeClient, Endpoint, Region, model_info
from .const import (
    CONF_AUTO_LANGUAGE,
    CONF_HOTWORDS,
    CONF_REGION,
    CONF_URL,
    CONF_WORKSPACE_ID,
    DOMAIN,
    SUBENTRY_RECOGNIZER,
)
from .options_flow import DashScopeOptionsFlow
from .recognizer import default_recognizer, recognizer_title
from .recognizer_flow import (
    RecognizerSubentryFlow,
    model_fields,
    validate_model_form,
)
from .settings_form import check_settings, settings_schema, settings_step_id
from .validation import vol


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
        if needs_endpoint_step(user_input[CONF_REGION]):
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
        data = account_data(self._account)
        reconfiguring = self.source == SOURCE_RECONFIGURE
        model = recognizer_model(self._get_reconfigure_entry()) if reconfiguring else None
        endpoint, errors = await validate_account(self.hass, data, model)
        errors = account_errors(errors)
        if errors or endpoint is None:
            if needs_endpoint_step(data[CONF_REGION]) and (
                errors.keys() & ENDPOINT_ERRORS or errors.get("base") == "cannot_connect"
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
                title=await account_title(self.hass, endpoint),
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
            data_schema=self.add_suggested_values_to_schema(account_schema(), suggested),
            errors=errors,
        )

    async def _endpoint_form(self, errors: dict[str, str]) -> ConfigFlowResult:
        """Show the workspace form (workspace domains) or the custom endpoint's form."""
        region = Region(self._account[CONF_REGION])
        schema = endpoint_schema(region)
        assert schema is not None  # only regions that need it come here
        return self.async_show_form(
            step_id="endpoint" if region is Region.CUSTOM else "workspace",
            data_schema=self.add_suggested_values_to_schema(schema, self._account),
            errors=errors,
            description_placeholders={"region": await region_name(self.hass, region)},
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
            title=await account_title(self.hass, self._endpoint),
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
            _, errors = await validate_account(self.hass, data, recognizer_model(entry))
            errors = account_errors(errors)
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
            data_schema=self.add_suggested_values_to_schema(REAUTH_SCHEMA, user_input),
            errors=errors,
            description_placeholders={
                "title": entry.title,
                "region": await region_name(self.hass, Region(entry.data[CONF_REGION])),
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
        if needs_endpoint_step(user_input[CONF_REGION]):
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
