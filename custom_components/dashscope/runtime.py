"""What a loaded account holds while Home Assistant runs, and the entry type that carries it.

Platforms, actions and diagnostics import the entry type from here (as core's `peblar` does
from its coordinator module), so no module reaches back into the package's `__init__`.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from homeassistant.config_entries import ConfigEntry

from .client import DashScopeClient, RecognitionStats
from .const import RECENT_RECOGNITIONS
from .hotwords import HotwordManager
from .recognizer import Recognizer
from .usage import EngineUsage


@dataclass(slots=True)
class DashScopeRuntimeData:
    """The account's client, its hotword sync, its recognizers, their recent numbers and usage."""

    client: DashScopeClient
    hotwords: HotwordManager
    recognizers: dict[str, Recognizer]  # by subentry id
    recognitions: deque[RecognitionStats] = field(
        default_factory=lambda: deque(maxlen=RECENT_RECOGNITIONS)
    )
    usage: dict[str, EngineUsage] = field(default_factory=dict)  # by subentry id


type DashScopeConfigEntry = ConfigEntry[DashScopeRuntimeData]
