"""What was said stays out of the database and the logs unless a history is kept."""

from __future__ import annotations

import logging

from homeassistant.components.recorder import Recorder
from homeassistant.components.recorder.db_schema import EventData, StateAttributes, States
from homeassistant.components.recorder.util import session_scope
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.dashscope.const import CONF_KEEP_TRANSCRIPTS

from .conftest import RunningServer
from .dashscope_server import TaskScript
from .test_resilience import recognize

SAID = "把卧室的窗帘拉上"  # said once, in this test only
EVENT_ENTITY = "event.fun_asr_realtime_transcript"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: Recorder, enable_custom_integrations: None
) -> None:
    """The recorder runs before Home Assistant starts (it must be set up before `hass`)."""


def _database(hass: HomeAssistant) -> str:
    """Return every state, attribute set and event payload the recorder wrote, as text."""
    with session_scope(hass=hass, read_only=True) as session:
        rows = [str(row.state) for row in session.query(States)]
        rows += [str(row.shared_attrs) for row in session.query(StateAttributes)]
        rows += [str(row.shared_data) for row in session.query(EventData)]
    return "\n".join(rows)


@pytest.mark.parametrize("keep", [False, True], ids=["default", "history-kept"])
async def test_the_recorder_keeps_no_transcript_by_default(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    dashscope_server: RunningServer,
    caplog: pytest.LogCaptureFixture,
    keep: bool,
) -> None:
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    result = await hass.config_entries.options.async_init(config_entry.entry_id)
    assert result["data_schema"]({})[CONF_KEEP_TRANSCRIPTS] is False, "off unless chosen"
    if keep:  # chosen in the account's options: the entry reloads with it
        await hass.config_entries.options.async_configure(
            result["flow_id"], {CONF_KEEP_TRANSCRIPTS: True}
        )
        await hass.async_block_till_done()
    caplog.set_level(logging.DEBUG)
    dashscope_server.queue(TaskScript(sentences=[SAID], bytes_per_char=1000))

    assert (await recognize(hass)).text == SAID
    await hass.async_block_till_done()
    await async_wait_recording_done(hass)

    state = hass.states.get(EVENT_ENTITY)
    assert state is not None
    assert state.attributes["text"] == SAID, "automations still receive the text"
    database = await recorder_mock.async_add_executor_job(_database, hass)
    assert state.state in database, "the event itself (its time) is recorded"
    assert (SAID in database) is keep
    # The integration's own logs (Home Assistant's bus logs every state at debug level).
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("custom_components")]
    assert ours, "the integration logged at debug level"
    assert not [message for message in ours if SAID in message]
