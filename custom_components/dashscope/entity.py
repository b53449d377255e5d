"""The base of every DashScope entity: one recognizer's device, names and unique ids.

And how the account's entities leave when it unloads (quietly: see `async_remove_entities`).
"""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntry, ConfigSubentry
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_platform
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity

from .const import CONF_MODEL, DOMAIN


def recognizer_device(subentry: ConfigSubentry) -> DeviceInfo:
    """Return the device of a recognizer, shared by its entities whichever is added first."""
    return DeviceInfo(
        identifiers={(DOMAIN, subentry.subentry_id)},
        name=subentry.title,
        manufacturer="Alibaba Cloud 阿里云",
        model=str(subentry.data[CONF_MODEL]),
        entry_type=DeviceEntryType.SERVICE,
    )


class DashScopeEntity(Entity):
    """An entity of one recognizer (engine): on its device, named after it.

    The unique id is the subentry id, followed by `-<key>` for every entity but the engine
    itself (the stt entity), so ids stay what they were before this class existed.
    """

    _attr_has_entity_name = True
    _attr_should_poll = False  # pushed: a recognition writes the state, nothing polls

    def __init__(self, subentry: ConfigSubentry, key: str | None = None) -> None:
        """Place the entity on the recognizer's device."""
        self._attr_unique_id = (
            subentry.subentry_id if key is None else f"{subentry.subentry_id}-{key}"
        )
        self._attr_device_info = recognizer_device(subentry)


async def async_remove_entities(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Take the account's entities away before an unload, instead of marking them unavailable.

    Home Assistant writes "unavailable" for every entity of an unloaded entry, and the set-up
    that follows a reload writes the restored state again: two rows in Activity (the logbook)
    per entity, "Transcript detected an event: Recognized" among them, though nobody spoke.
    A removed state and a newly added one are no history rows, so a reload stays quiet. The
    cost: if the set-up after a reload fails, the entities are absent until it succeeds
    rather than shown as unavailable (Assist reports the engine missing either way).
    """
    if hass.is_stopping:
        return
    for platform in entity_platform.async_get_platforms(hass, DOMAIN):
        if platform.config_entry is not entry:
            continue
        for entity in list(platform.entities.values()):
            await entity.async_remove(force_remove=True)
