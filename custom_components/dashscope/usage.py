"""What an engine used this month, and whether DashScope is answering it now.

One `EngineUsage` per recognizer, in the runtime data: `outcome.py` records every
recognition in it, the usage sensors show it (and restore it after a restart: `sensor.py`),
the budget check adds up the account's estimated cost.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_track_time_change
from homeassistant.util import dt as dt_util

from .client.prices import Price


def month_start(now: datetime | None = None) -> datetime:
    """Return the start of the current month in Home Assistant's time zone."""
    now = dt_util.now() if now is None else dt_util.as_local(now)
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


@dataclass(slots=True)
class EngineUsage:
    """One engine's numbers this month, and its current outage (if DashScope cannot answer)."""

    price: Price | None  # None: no list price known for the model, no cost estimate
    month: datetime = field(default_factory=month_start)
    audio_seconds: float = 0.0  # billed by the service (`usage.duration`), else sent
    recognitions: int = 0  # answered by DashScope (an empty answer too)
    failures: int = 0  # DashScope could not answer
    fallbacks: int = 0  # answered by the fallback engine instead
    last_latency_ms: float | None = None  # end of speech to transcript, the last answer
    outage_since: datetime | None = None  # the first failure of the current outage
    outage_commands: int = 0
    outage_repaired: bool = False  # the long-outage repair was raised
    _listeners: list[Callable[[], None]] = field(default_factory=list)

    @property
    def cost(self) -> float | None:
        """Return the estimated cost of this month's audio at list price."""
        return None if self.price is None else self.price.cost(self.audio_seconds)

    def roll_over(self) -> None:
        """Start a new month's numbers when the month changed."""
        start = month_start()
        if start != self.month:
            self.month = start
            self.audio_seconds = 0.0
            self.recognitions = self.failures = self.fallbacks = 0

    def listen(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call `listener` after every change; return what stops it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def changed(self) -> None:
        """Tell the sensors."""
        for listener in list(self._listeners):
            listener()


@callback
def async_track_months(hass: HomeAssistant, usages: Iterable[EngineUsage]) -> CALLBACK_TYPE:
    """Start each engine's new month at midnight on the 1st, recognitions or not."""
    kept = list(usages)

    @callback
    def midnight(_now: datetime) -> None:
        for usage in kept:
            if usage.month != month_start():
                usage.roll_over()
                usage.changed()

    return async_track_time_change(hass, midnight, hour=0, minute=0, second=0)
