"""Reloading an account writes nothing to Activity (the logbook) when nobody spoke."""

from __future__ import annotations

from unittest.mock import patch

from homeassistant.components.recorder import Recorder
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from .conftest import ENTITY_ID, RunningServer
from .dashscope_server import TaskScript
from .test_resilience import recognize

EVENT_ENTITY = "event.fun_asr_realtime_transcript"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: Recorder, enable_custom_integrations: None
) -> None:
    """The recorder runs before Home Assistant starts (it must be set up before `hass`)."""


async def test_reload_is_quiet(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    dashscope_server: RunningServer,
    hass_client: ClientSessionGenerator,
) -> None:
    """Issue 24 item 7: Activity shows what was said, not that the entry reloaded."""
    hass.config.components.add("frontend")  # the logbook's panel; not installed for tests
    with patch("homeassistant.components.frontend.async_register_built_in_panel"):
        assert await async_setup_component(hass, "logbook", {})
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    dashscope_server.queue(TaskScript(sentences=["开灯"], bytes_per_char=1000))
    await recognize(hass)
    await hass.async_block_till_done()
    await async_wait_recording_done(hass)
    client = await hass_client()
    before = await (await client.get("/api/logbook")).json()

    assert await hass.config_entries.async_reload(config_entry.entry_id)
    await hass.async_block_till_done()
    await async_wait_recording_done(hass)

    after = await (await client.get("/api/logbook")).json()
    assert [row["entity_id"] for row in before] == [EVENT_ENTITY], "the logbook is read"
    assert after == before, "no Unavailable, no second 'Recognized'"
    # Both entities are back, the event entity with the utterance it had seen.
    assert hass.states.get(ENTITY_ID) is not None
    event = hass.states.get(EVENT_ENTITY)
    assert event is not None
    assert event.state == before[0]["state"]
