"""Setting up and unloading an account."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from homeassistant.components import stt
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.dashscope.const import CONF_LANGUAGE_HINTS, CONF_MODEL, DOMAIN

from .audio import stream, tone, wav_header
from .conftest import ENTITY_ID, RECOGNIZER_ID, RunningServer, recognizer_device
from .test_stt import metadata


async def test_setup_and_unload(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
) -> None:
    entry = setup_integration
    assert entry.state is ConfigEntryState.LOADED
    registered = entity_registry.async_get(ENTITY_ID)
    assert registered is not None
    assert registered.unique_id == RECOGNIZER_ID
    assert registered.config_subentry_id == RECOGNIZER_ID
    device = recognizer_device(device_registry, entry.entry_id)
    assert device.entry_type is dr.DeviceEntryType.SERVICE
    assert device.name == "fun-asr-realtime"

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.NOT_LOADED
    # Taken away rather than marked unavailable (a reload leaves no Activity rows); the
    # registry keeps them for the next set-up.
    assert hass.states.get(ENTITY_ID) is None
    assert entity_registry.async_get(ENTITY_ID) is not None


async def test_removing_a_recognizer_removes_its_entity(
    hass: HomeAssistant, setup_integration: MockConfigEntry, entity_registry: er.EntityRegistry
) -> None:
    assert hass.config_entries.async_remove_subentry(setup_integration, RECOGNIZER_ID)
    await hass.async_block_till_done()
    assert entity_registry.async_get(ENTITY_ID) is None
    assert hass.states.get(ENTITY_ID) is None


async def test_both_entities_describe_the_whole_device(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """Whichever platform sets up first creates the device: both name it (entity.py).

    A live Home Assistant set up the event platform first, and an identifiers-only device
    info gave a nameless device and the entity id `event.transcript`.
    """
    device = recognizer_device(device_registry, setup_integration.entry_id)
    assert device.name == "fun-asr-realtime"
    assert device.model == "fun-asr-realtime"
    assert device.manufacturer == "Alibaba Cloud 阿里云"
    for entity_id in (ENTITY_ID, "event.fun_asr_realtime_transcript"):
        registered = entity_registry.async_get(entity_id)
        assert registered is not None
        assert registered.device_id == device.id
        assert registered.has_entity_name


@pytest.mark.parametrize(
    "recognizer_data",
    [
        {
            CONF_MODEL: "paraformer-realtime-v2",
            CONF_LANGUAGE_HINTS: ["en"],
            "disfluency_removal_enabled": True,
        }
    ],
)
async def test_assist_and_the_file_action_run_the_same_engine(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    dashscope_server: RunningServer,
    recognizer_data: dict[str, Any],
    tmp_path: Path,
) -> None:
    """The entity and the action ask the same engine: the same model, hints and options."""
    engine = stt.async_get_speech_to_text_entity(hass, "stt.paraformer_realtime_v2")
    assert engine is not None
    await engine.async_process_audio_stream(metadata(), stream(tone(1.0)))
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    (tmp_path / "note.wav").write_bytes(wav_header(32000) + tone(1.0))
    await hass.services.async_call(
        DOMAIN,
        "transcribe_file",
        {
            "entity_id": engine.entity_id,
            "file": str(tmp_path / "note.wav"),
            "language": "zh-CN",  # as the pipeline's metadata says
            "speed": 10,
        },
        blocking=True,
        return_response=True,
    )

    assist, action = (task.parameters for task in dashscope_server.tasks)
    assert assist == action
    assert assist["language_hints"] == ["zh", "en"]
    assert assist["disfluency_removal_enabled"] is True
