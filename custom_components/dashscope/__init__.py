"""The DashScope speech-to-text integration."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_API_KEY, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryNotReady
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .client import (
    DashScopeAuthError,
    DashScopeClient,
    DashScopeError,
    Endpoint,
    RecognitionStats,
)
from .const import CONF_REGION, CONF_URL, CONF_WORKSPACE_ID, DOMAIN, RECENT_RECOGNITIONS

PLATFORMS: list[Platform] = [Platform.STT]


@dataclass(slots=True)
class DashScopeRuntimeData:
    """What a loaded account holds while Home Assistant runs."""

    client: DashScopeClient
    recognitions: deque[RecognitionStats] = field(
        default_factory=lambda: deque(maxlen=RECENT_RECOGNITIONS)
    )


type DashScopeConfigEntry = ConfigEntry[DashScopeRuntimeData]


def endpoint_from_data(data: Mapping[str, Any]) -> Endpoint:
    """Return the endpoint described by an entry's (or a form's) data."""
    return Endpoint.resolve(
        data[CONF_REGION],
        workspace_id=data.get(CONF_WORKSPACE_ID),
        url=data.get(CONF_URL),
    )


async def async_setup_entry(hass: HomeAssistant, entry: DashScopeConfigEntry) -> bool:
    """Set up one DashScope account; the first connection is opened now and kept warm."""
    client = DashScopeClient(
        async_get_clientsession(hass), entry.data[CONF_API_KEY], endpoint_from_data(entry.data)
    )
    try:
        await client.connect()
    except DashScopeAuthError as err:
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN, translation_key="invalid_auth"
        ) from err
    except DashScopeError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="cannot_connect",
            translation_placeholders={"error": str(err)},
        ) from err
    entry.runtime_data = DashScopeRuntimeData(client)
    entry.async_on_unload(client.close)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    entry.async_on_unload(entry.add_update_listener(_async_reload))
    return True


async def _async_reload(hass: HomeAssistant, entry: DashScopeConfigEntry) -> None:
    """Reload when the entry or its recognizers change."""
    await hass.config_entries.async_reload(entry.entry_id)


async def async_unload_entry(hass: HomeAssistant, entry: DashScopeConfigEntry) -> bool:
    """Unload an account; its connections are closed by the unload callbacks."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
