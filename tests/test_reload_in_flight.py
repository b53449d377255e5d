"""Reloading an account mid-command: the utterance in flight finishes on the old client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from homeassistant.components import stt
from homeassistant.components.stt import SpeechResultState
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

import custom_components.dashscope as integration

from .audio import tone
from .conftest import ENTITY_ID, RunningServer
from .test_stt import metadata

AUDIO = tone(1.0)
CHUNK = 3200  # 100 ms


async def _paused(
    audio: bytes, halfway: asyncio.Event, resume: asyncio.Event
) -> AsyncIterator[bytes]:
    """Stream `audio` in chunks, stopping halfway until `resume` is set."""
    for offset in range(0, len(audio), CHUNK):
        if offset == len(audio) // 2:
            halfway.set()
            await resume.wait()
        yield audio[offset : offset + CHUNK]
        await asyncio.sleep(0)


async def test_a_command_in_flight_survives_a_reload(
    hass: HomeAssistant, setup_integration: MockConfigEntry, dashscope_server: RunningServer
) -> None:
    entity = stt.async_get_speech_to_text_entity(hass, ENTITY_ID)
    assert entity is not None
    halfway, resume = asyncio.Event(), asyncio.Event()
    command = hass.async_create_task(
        entity.async_process_audio_stream(metadata(), _paused(AUDIO, halfway, resume))
    )
    await halfway.wait()
    # An engine was changed while the person spoke: the entry reloads.
    reload = hass.async_create_task(hass.config_entries.async_reload(setup_integration.entry_id))
    await asyncio.sleep(0.2)
    assert not reload.done(), "the old client waits for the utterance"
    resume.set()
    result = await command
    assert result.result is SpeechResultState.SUCCESS, "not 'The client is closed'"
    assert result.text
    assert await reload
    await hass.async_block_till_done()
    assert setup_integration.state is ConfigEntryState.LOADED
    assert dashscope_server.violations == []
    # The new client takes the next command.
    again = stt.async_get_speech_to_text_entity(hass, ENTITY_ID)
    assert again is not None
    assert again is not entity

    async def whole() -> AsyncIterator[bytes]:
        yield AUDIO

    assert (await again.async_process_audio_stream(metadata(), whole())).result is (
        SpeechResultState.SUCCESS
    )


async def test_a_stuck_utterance_does_not_hold_the_unload_forever(
    hass: HomeAssistant, setup_integration: MockConfigEntry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the bound the old client is closed anyway; the command fails cleanly."""
    monkeypatch.setattr(integration, "UNLOAD_DRAIN_SECONDS", 0.3)
    entity = stt.async_get_speech_to_text_entity(hass, ENTITY_ID)
    assert entity is not None
    client = setup_integration.runtime_data.client
    halfway, resume = asyncio.Event(), asyncio.Event()
    command = hass.async_create_task(
        entity.async_process_audio_stream(metadata(), _paused(AUDIO, halfway, resume))
    )
    await halfway.wait()
    assert await hass.config_entries.async_unload(setup_integration.entry_id)
    assert client.connections.open_connections == 0, "closed after the bound"
    resume.set()
    result = await command
    assert result.result is SpeechResultState.ERROR, "an error result, never a hang"
