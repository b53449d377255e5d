"""The DashScope speech-to-text integration."""

from __future__ import annotations

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
    entry.async_on_unload(async_track_months(hass, usage.values()))
    entry.async_on_unload(client.close)
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
