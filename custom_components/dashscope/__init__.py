"""The DashScope speech-to-text integration."""

from __future__ import annotations

import asyncio

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_API_KEY, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.typing import ConfigType

from .account import endpoint_from_data, timeouts_from_options
from .client import DashScopeClient, DashScopeError
from .client.prices import billing_deployment, model_price
from .const import DOMAIN
from .entity import async_remove_entities
from .failures import setup_error
from .hotwords import HotwordManager
from .recognizer import Recognizer, recognizer_subentries
from .repairs import async_clear_stale_model_issues
from .runtime import DashScopeConfigEntry, DashScopeRuntimeData
from .services import async_setup_services
from .usage import EngineUsage, async_track_months

PLATFORMS: list[Platform] = [Platform.EVENT, Platform.SENSOR, Platform.STT]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


__all__ = ["DashScopeConfigEntry", "DashScopeRuntimeData"]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:  # noqa: ARG001
    """Register the actions, which work for every account."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: DashScopeConfigEntry) -> bool:
    """Set up one DashScope account; the first connection is opened now and kept warm."""
    client = _client(hass, entry)
    try:
        await client.connect()
    except DashScopeError as err:
        raise setup_error(err) from err
    recognizers = {
        subentry.subentry_id: Recognizer.from_subentry(entry, subentry, client)
        for subentry in recognizer_subentries(entry)
    }
    hotwords = HotwordManager(hass, entry, client.vocabularies, recognizers)
    await hotwords.async_load()
    deployment = billing_deployment(client.endpoint.deployments)
    usage = {
        recognizer_id: EngineUsage(model_price(recognizer.model.name, deployment))
        for recognizer_id, recognizer in recognizers.items()
    }
    entry.runtime_data = DashScopeRuntimeData(client, hotwords, recognizers, usage=usage)
    async_clear_stale_model_issues(hass, entry)  # the engine changed since: nothing to fix
    entry.async_on_unload(async_track_months(hass, usage.values()))
    entry.async_on_unload(lambda: _async_close_when_idle(client))
    entry.async_on_unload(hotwords.async_listen())
    # Stored vocabulary ids are used at once; uploading changes must not delay start-up.
    entry.async_create_background_task(hass, hotwords.async_sync(), f"{DOMAIN} hotwords")
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    entry.async_on_unload(entry.add_update_listener(_async_reload))
    return True


def _client(hass: HomeAssistant, entry: ConfigEntry) -> DashScopeClient:
    """Return the account's client: recognition, vocabularies and transcriptions."""
    return DashScopeClient(
        async_get_clientsession(hass),
        entry.data[CONF_API_KEY],
        endpoint_from_data(entry.data),
        timeouts=timeouts_from_options(entry.options),
    )


# How long an unload (a reload after a change) waits for an utterance in flight. Home Assistant
# waits at most 10 s for an entry's unload tasks (then logs that one did not complete), so the
# wait stays under that: a command is rarely longer; one that is ends with the closed client.
UNLOAD_DRAIN_SECONDS = 9.0


async def _async_close_when_idle(client: DashScopeClient) -> None:
    """Close the account's client once no utterance uses a connection (bounded wait).

    An entry reloaded mid-command (an engine or the account changed) lets the command finish
    on the old client, replay included, instead of failing it with "The client is closed";
    the reloaded entry's engines are set up once it has (or the bound has passed).
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + UNLOAD_DRAIN_SECONDS
    while True:
        await client.connections.close_idle()  # an utterance that ended left its socket idle
        if client.connections.open_connections == 0 or loop.time() >= deadline:
            break
        await asyncio.sleep(0.05)
    await client.close()


async def async_remove_entry(hass: HomeAssistant, entry: DashScopeConfigEntry) -> None:
    """Delete the account's vocabularies from the service when the entry is removed."""
    client = _client(hass, entry)
    await HotwordManager(hass, entry, client.vocabularies, {}).async_remove_all()


async def _async_reload(hass: HomeAssistant, entry: DashScopeConfigEntry) -> None:
    """Reload when the entry or its recognizers change."""
    await hass.config_entries.async_reload(entry.entry_id)


async def async_unload_entry(hass: HomeAssistant, entry: DashScopeConfigEntry) -> bool:
    """Unload an account; its connections are closed by the unload callbacks."""
    await async_remove_entities(hass, entry)  # a reload leaves no rows in Activity
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
