"""Diagnostics: the account and recognizers (redacted) and the last recognitions' numbers."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant

from .const import CONF_WORKSPACE_ID
from .runtime import DashScopeConfigEntry

# The unique id is a digest of the key: harmless, but nobody needs it in a bug report.
TO_REDACT = {CONF_API_KEY, CONF_WORKSPACE_ID, "unique_id"}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant,  # noqa: ARG001 - the platform signature
    entry: DashScopeConfigEntry,
) -> dict[str, Any]:
    """Return what helps a bug report, without the key and without any transcript text."""
    client = entry.runtime_data.client
    return {
        "entry": async_redact_data(entry.as_dict(), TO_REDACT),
        "endpoint": {
            "region": client.endpoint.region,
            "websocket_url": client.endpoint.websocket_url
            if client.endpoint.workspace_id is None
            else "**REDACTED**",
        },
        "connections": {
            "open": client.connections.open_connections,
            "handshakes": client.connections.handshakes,
        },
        "timeouts": asdict(client.timeouts),
        "retry": asdict(client.retry),
        "recent_recognitions": [asdict(stats) for stats in entry.runtime_data.recognitions],
        # Per engine this month: who answered (DashScope, or the fallback when it could not).
        "usage": {
            recognizer_id: {
                "fallback": entry.runtime_data.recognizers[recognizer_id].fallback,
                "audio_seconds": usage.audio_seconds,
                "recognitions": usage.recognitions,
                "failures": usage.failures,
                "fallback_answers": usage.fallbacks,
                "estimated_cost": usage.cost,
                "currency": usage.price.currency if usage.price else None,
                "outage_since": usage.outage_since.isoformat() if usage.outage_since else None,
            }
            for recognizer_id, usage in entry.runtime_data.usage.items()
        },
    }
