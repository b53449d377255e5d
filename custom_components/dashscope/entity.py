"""The base of every DashScope entity: one recognizer's device, names and unique ids."""

from __future__ import annotations

from homeassistant.config_entries import ConfigSubentry
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity

from .const import CONF_MODEL, DOMAIN


def recognizer_device(subentry: ConfigSubentry) -> DeviceInfo:
    """Return the device of a recognizer, shared by its entities whichever is added first."""
    return DeviceInfo(
        identifiers={(DOMAIN, subentry.subentry_id)},
        name=subentry.title,
        manufacturer="Alibaba Cloud Model Studio",
        model=str(subentry.data[CONF_MODEL]),
        entry_type=DeviceEntryType.SERVICE,
    )


class DashScopeEntity(Entity):
    """An entity of one recognizer (engine): on its device, named after it.

    The unique id is the subentry id, followed by `-<key>` for every entity but the engine
    itself (the stt entity), so ids stay what they were before this class existed.
    """

    _attr_has_entity_name = True

    def __init__(self, subentry: ConfigSubentry, key: str | None = None) -> None:
        """Place the entity on the recognizer's device."""
        self._attr_unique_id = (
            subentry.subentry_id if key is None else f"{subentry.subentry_id}-{key}"
        )
        self._attr_device_info = recognizer_device(subentry)
