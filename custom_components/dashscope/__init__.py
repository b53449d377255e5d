"""The DashScope speech-to-text integration."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_API_KEY, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .client import DashScopeClient, Endpoint
from .const import CONF_REGION, CONF_URL, CONF_WORKSPACE_ID

PLATFORMS: list[Platform] = [Platform.STT]


@dataclass(slots=True)
class DashScopeRuntimeData:
    """What a loaded account holds while Home Assistant runs."""

    client: DashScopeClient


type DashScopeConfigEntry = ConfigEntry[DashScopeRuntimeData]


def endpoint_from_data(data: Mapping[str, Any]) -> Endpoint:
    """Return the endpoint described by an entry's (or a form's) data."""
    return Endpoint.resolve(
        data[CONF_REGION],
        workspace_id=data.get(CONF_WORKSPACE_ID),
        url=data.get(CONF_URL),
    )


async def async_setup_entry(hass: HomeAssistant, entry: DashScopeConfigEntry) -> bool:
    """Set up one DashScope account."""
    client = DashScopeClient(
        async_get_clientsession(hass), entry.data[CONF_API_KEY], endpoint_from_data(entry.data)
    )
    entry.runtime_data = DashScopeRuntimeData(client)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    entry.async_on_unload(entry.add_update_listener(_async_reload))
    return True


async def _async_reload(hass: HomeAssistant, entry: DashScopeConfigEntry) -> None:
    """Reload when the entry or its recognizers change."""
    await hass.config_entries.async_reload(entry.entry_id)


async def async_unload_entry(hass: HomeAssistant, entry: DashScopeConfigEntry) -> bool:
    """Unload an account."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
