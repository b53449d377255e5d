"""Usage sensors: what each engine used this month, and what that costs at list price.

Per engine: the recognized audio (seconds, as the service billed it), the estimated cost (from
the price table, `client/prices.py`), recognitions, failures and fallback answers (counts),
all for the current month (state class `total` with the month's start as `last_reset`, so
statistics start again each month), restored after a restart; and the last end-of-speech-to-
transcript time. The numbers live in the engine's `EngineUsage` (`usage.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.components.sensor import (
    RestoreSensor,
    SensorDeviceClass,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import EntityCategory, UnitOfTime
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .entity import DashScopeEntity
from .recognizer import recognizer_subentries
from .runtime import DashScopeConfigEntry
from .usage import EngineUsage

PARALLEL_UPDATES = 0  # pushed by recognitions, never polled


def _set_seconds(usage: EngineUsage, value: float) -> None:
    usage.audio_seconds = value


def _set_recognitions(usage: EngineUsage, value: float) -> None:
    usage.recognitions = int(value)


def _set_failures(usage: EngineUsage, value: float) -> None:
    usage.failures = int(value)


def _set_fallbacks(usage: EngineUsage, value: float) -> None:
    usage.fallbacks = int(value)


@dataclass(frozen=True, kw_only=True)
class UsageSensorDescription(SensorEntityDescription):
    """A usage sensor: its value, and how a restored value is put back (None: not restored)."""

    value_fn: Callable[[EngineUsage], float | None]
    restore_fn: Callable[[EngineUsage, float], None] | None = None
    monthly: bool = True


AUDIO_SECONDS = UsageSensorDescription(
    key="audio_seconds",
    translation_key="audio_seconds",
    device_class=SensorDeviceClass.DURATION,
    native_unit_of_measurement=UnitOfTime.SECONDS,
    state_class=SensorStateClass.TOTAL,
    suggested_display_precision=0,
    value_fn=lambda usage: round(usage.audio_seconds, 3),
    restore_fn=_set_seconds,
)
COST = UsageSensorDescription(
    key="estimated_cost",
    translation_key="estimated_cost",
    device_class=SensorDeviceClass.MONETARY,
    state_class=SensorStateClass.TOTAL,
    suggested_display_precision=2,
    value_fn=lambda usage: None if usage.cost is None else round(usage.cost, 6),
    # Computed from the restored seconds, never restored itself: a new price applies at once.
)
COUNTS = (
    UsageSensorDescription(
        key="recognitions",
        translation_key="recognitions",
        state_class=SensorStateClass.TOTAL,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,  # every command adds one: noise for most
        value_fn=lambda usage: usage.recognitions,
        restore_fn=_set_recognitions,
    ),
    UsageSensorDescription(
        key="failures",
        translation_key="failures",
        state_class=SensorStateClass.TOTAL,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda usage: usage.failures,
        restore_fn=_set_failures,
    ),
    UsageSensorDescription(
        key="fallbacks",
        translation_key="fallbacks",
        state_class=SensorStateClass.TOTAL,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda usage: usage.fallbacks,
        restore_fn=_set_fallbacks,
    ),
    UsageSensorDescription(
        key="latency",
        translation_key="latency",
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.MILLISECONDS,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,  # one value per command: noise in the history
        value_fn=lambda usage: usage.last_latency_ms,
        monthly=False,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001 - the platform signature
    entry: DashScopeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the usage sensors of every engine (the cost only where a price is known)."""
    for subentry in recognizer_subentries(entry):
        usage = entry.runtime_data.usage[subentry.subentry_id]
        descriptions = [AUDIO_SECONDS, *COUNTS]
        if usage.price is not None:
            descriptions.insert(1, COST)
        async_add_entities(
            [UsageSensor(subentry, usage, description) for description in descriptions],
            config_subentry_id=subentry.subentry_id,
        )


class UsageSensor(DashScopeEntity, RestoreSensor):
    """One number of an engine's usage."""

    entity_description: UsageSensorDescription

    def __init__(
        self, subentry: ConfigSubentry, usage: EngineUsage, description: UsageSensorDescription
    ) -> None:
        """Show `description`'s number of `usage` on the engine's device."""
        super().__init__(subentry, description.key)
        self.entity_description = description
        self._usage = usage
        if description.key == COST.key and usage.price is not None:
            self._attr_native_unit_of_measurement = usage.price.currency

    @property
    def native_value(self) -> float | None:
        """Return the number."""
        return self.entity_description.value_fn(self._usage)

    @property
    def last_reset(self) -> datetime | None:
        """Return the start of the month the number counts."""
        return self._usage.month if self.entity_description.monthly else None

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Name the price an estimate uses, and where it was read."""
        price = self._usage.price
        if self.entity_description.key != COST.key or price is None:
            return None
        return {"price": price.amount, "price_unit": price.unit, "price_read_on": price.read_on}

    async def async_added_to_hass(self) -> None:
        """Take back this month's number from before a restart, then follow the engine."""
        await super().async_added_to_hass()
        restore = self.entity_description.restore_fn
        if restore is not None:
            state = await self.async_get_last_state()
            data = await self.async_get_last_sensor_data()
            if (
                state is not None
                and data is not None
                and isinstance(data.native_value, int | float)
                and state.attributes.get("last_reset") == self._usage.month.isoformat()
            ):
                restore(self._usage, float(data.native_value))
        self.async_on_remove(self._usage.listen(self._changed))

    @callback
    def _changed(self) -> None:
        self.async_write_ha_state()
