"""Test-only stand-in for a local engine (a Wyoming Whisper) in the live test.

One stt entity, added through its own config flow like any engine, that answers every
utterance with a fixed text once its stream has ended; a DashScope engine names it as its
fallback.
"""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant

PLATFORMS = [Platform.STT]


async def async_setup_entry(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    """Add the engine."""
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    """Remove the engine."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
