"""The account forms and their checks: key and region, what the region needs, the title.

Used by the account's config flow (set-up, re-authentication, reconfiguration).
"""

from __future__ import annotations

from collections.abc import Mapping
import hashlib
from typing import Any
from urllib.parse import urlsplit

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.helpers.translation import async_get_translations

from .account import endpoint_from_data
from .client import (
    DEFAULT_MODEL,
    REGIONS,
    DashScopeClient,
    DashScopeError,
    Endpoint,
    InvalidEndpointError,
    Region,
)
from .const import CONF_MODEL, CONF_REGION, CONF_URL, CONF_WORKSPACE_ID, DOMAIN, LOGGER
from .failures import form_errors
from .recognizer import recognizer_subentries
from .recognizer_flow import validate_recognition
from .validation import vol

_ACCOUNT_KEYS = (CONF_API_KEY, CONF_REGION, CONF_WORKSPACE_ID, CONF_URL)


def account_unique_id(api_key: str) -> str:
    """Return a stable id for the account behind a key (a digest: the key itself stays out)."""
    return hashlib.sha256(api_key.encode()).hexdigest()[:20]


def account_schema() -> vol.Schema:
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


def endpoint_schema(region: str) -> vol.Schema | None:
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


def needs_endpoint_step(region: str) -> bool:
    """Return True when the region needs more than the key: a workspace ID or a URL."""
    return endpoint_schema(region) is not None


# Errors the endpoint form shows (its fields, or a host that cannot be reached).
ENDPOINT_ERRORS = frozenset({CONF_URL, CONF_WORKSPACE_ID})


REAUTH_SCHEMA = vol.Schema(
    {vol.Required(CONF_API_KEY): TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))}
)


async def validate_account(
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
        except Exception:  # noqa: BLE001 - logged with its traceback below
            # A bug must not break the form: the person sees "unknown", the log has the cause.
            LOGGER.exception("Unexpected error checking %s", endpoint.websocket_url)
            return endpoint, {"base": "unknown"}
    return endpoint, {}


def account_data(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Keep the account's fields the region uses (its forms' fields), dropping empty ones."""
    schema = endpoint_schema(str(user_input[CONF_REGION]))
    used = {CONF_API_KEY, CONF_REGION} | {str(key) for key in (schema.schema if schema else ())}
    return {
        key: user_input[key]
        for key in _ACCOUNT_KEYS
        if key in used and user_input.get(key) not in ("", None)
    }


async def region_name(hass: HomeAssistant, region: Region) -> str:
    """Return a region's name in the home's language, as account titles use it."""
    translations = await async_get_translations(hass, hass.config.language, "selector", {DOMAIN})
    key = f"component.{DOMAIN}.selector.account_title.options.{region.value}"
    return translations.get(key, region.value)


async def account_title(hass: HomeAssistant, endpoint: Endpoint) -> str:
    """Return the entry's title in the home's language, e.g. "DashScope 新加坡".

    What tells two accounts of a region apart is added: the workspace, and for a custom
    endpoint its host and port (e.g. "DashScope Custom endpoint 127.0.0.1:8765").
    """
    title = await region_name(hass, endpoint.region)
    if endpoint.region is Region.CUSTOM:
        title = f"{title} {urlsplit(endpoint.websocket_url).netloc}"
    if endpoint.workspace_id:
        title = f"{title} {endpoint.workspace_id}"
    return f"DashScope {title}"


def recognizer_model(entry: ConfigEntry) -> str:
    """Return the model to validate an account change with: its first recognizer's."""
    recognizers = recognizer_subentries(entry)
    return str(recognizers[0].data[CONF_MODEL]) if recognizers else DEFAULT_MODEL


def account_errors(errors: dict[str, str]) -> dict[str, str]:
    """Map a model error to the form without a model field: the recognizer's model is at fault."""
    if errors.get(CONF_MODEL) in ("model_not_available", "model_other_protocol"):
        return {"base": f"recognizer_{errors[CONF_MODEL]}"}
    return errors
