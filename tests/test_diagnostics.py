"""Diagnostics: redacted, with the last recognitions' numbers and no transcript text."""

from __future__ import annotations

import json

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.filters import props

from custom_components.dashscope.diagnostics import async_get_config_entry_diagnostics

from .conftest import API_KEY, RunningServer
from .dashscope_server import TaskScript
from .test_resilience import TEXT, recognize


async def test_diagnostics(
    hass: HomeAssistant, setup_integration: MockConfigEntry, dashscope_server: RunningServer
) -> None:
    assert (await recognize(hass)).text == TEXT
    dashscope_server.queue(TaskScript(fail_code="RequestTimeOut", fail_on="audio"))
    await recognize(hass)

    diagnostics = await async_get_config_entry_diagnostics(hass, setup_integration)
    dumped = json.dumps(diagnostics, ensure_ascii=False)

    assert API_KEY not in dumped
    assert TEXT not in dumped
    assert "打开" not in dumped
    assert diagnostics["entry"]["data"]["api_key"] == "**REDACTED**"
    assert diagnostics["entry"]["subentries"][0]["data"]["model"] == "fun-asr-realtime"
    assert diagnostics["endpoint"] == {"region": "custom", "websocket_url": dashscope_server.url}
    # One handshake at setup served both; the failed task's connection was closed.
    assert diagnostics["connections"] == {"open": 0, "handshakes": 1}
    ok, failed = diagnostics["recent_recognitions"]
    assert ok["model"] == "fun-asr-realtime"
    assert ok["audio_seconds"] == 1.0
    assert ok["error_code"] is None
    assert ok["reused_connection"] is False
    assert ok["task_id"] == dashscope_server.tasks[0].task_id
    assert 0 <= ok["first_result_seconds"] < 5
    assert 0 <= ok["finalize_seconds"] < 5
    assert failed["error_code"] == "RequestTimeOut"
    assert failed["reused_connection"] is True


async def test_diagnostics_snapshot(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    dashscope_server: RunningServer,
    snapshot,
) -> None:
    """The whole shape of what a person attaches to an issue (changing values left out)."""
    assert (await recognize(hass)).text == TEXT
    diagnostics = await async_get_config_entry_diagnostics(hass, setup_integration)
    volatile = props(
        "entry_id",
        "created_at",
        "modified_at",
        "subentry_id",
        "task_id",
        "first_result_seconds",
        "finalize_seconds",
        "websocket_url",
        "url",
        "discovery_keys",
    )
    assert diagnostics == snapshot.use_extension(HomeAssistantSnapshotExtension)(exclude=volatile)
