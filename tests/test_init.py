"""Setting up and unloading an account."""

from __future__ import annotations

from homeassistant.components import stt
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.dashscope.event import TranscriptEventEntity
from custom_components.dashscope.stt import DashScopeSpeechToText

from .conftest import ENTITY_ID, RECOGNIZER_ID, recognizer_device


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
    hass: HomeAssistant, setup_integration: MockConfigEntry
) -> None:
    """Whichever platform sets up first creates the device: both must name it.

    A live Home Assistant set up the event platform first, and an identifiers-only device
    info gave a nameless device and the entity id `event.transcript`.
    """
    subentry = setup_integration.subentries[RECOGNIZER_ID]
    runtime = setup_integration.runtime_data
    for entity in (
        TranscriptEventEntity(subentry),
        DashScopeSpeechToText(setup_integration, subentry, runtime.recognizers[RECOGNIZER_ID]),
    ):
        info = entity.device_info
        assert info is not None
        assert info.get("name") == "fun-asr-realtime"
        assert info.get("model") == "fun-asr-realtime"
    assert runtime.client is not None


async def test_each_engine_is_read_once_into_a_recognizer(
    hass: HomeAssistant, setup_integration: MockConfigEntry
) -> None:
    """The entities and the file action ask the same Recognizer, built from the subentry."""
    [recognizer] = setup_integration.runtime_data.recognizers.values()
    assert recognizer.recognizer_id == RECOGNIZER_ID
    assert recognizer.model.name == "fun-asr-realtime"
    assert recognizer.client is setup_integration.runtime_data.client
    entity = stt.async_get_speech_to_text_entity(hass, ENTITY_ID)
    assert isinstance(entity, DashScopeSpeechToText)
    assert entity._recognizer is recognizer
