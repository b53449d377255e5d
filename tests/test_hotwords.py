"""Hotwords: the service's rules, and each recognizer's vocabulary kept in sync."""

from __future__ import annotations

import asyncio
from datetime import timedelta
import time
from typing import Any

from homeassistant.components import stt
from homeassistant.components.homeassistant.exposed_entities import async_expose_entity
from homeassistant.components.stt import SpeechResultState
from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import HomeAssistant
from homeassistant.helpers import area_registry as ar, entity_registry as er, issue_registry as ir
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.dashscope import hotwords
from custom_components.dashscope.client import Hotword, build_vocabulary, parse_phrases
from custom_components.dashscope.const import CONF_EXPOSED_NAMES, CONF_HOTWORDS, CONF_MODEL, DOMAIN
from custom_components.dashscope.recognizer import default_recognizer

from .audio import stream, tone
from .conftest import ENTITY_ID, RECOGNIZER_ID, RunningServer
from .test_stt import metadata

PHRASES = "客厅吊灯=5\n书房台灯\n\n  Living room lamp = 9 \n"


def test_parse_phrases() -> None:
    assert parse_phrases(PHRASES) == [
        Hotword("客厅吊灯", 5),
        Hotword("书房台灯", 4),
        Hotword("Living room lamp", 5),  # clamped to 1..5
    ]
    assert parse_phrases("x=0") == [Hotword("x", 1)]


def test_vocabulary_rules() -> None:
    vocabulary = build_vocabulary(
        [Hotword("客厅吊灯", 5), Hotword("客厅  吊灯"), Hotword("LAMP")],
        [
            Hotword("lamp"),  # duplicate of LAMP, ignoring case
            Hotword("这是一个非常非常非常长的中文设备名称"),  # 18 characters
            Hotword("one two three four five six seven eight"),
            Hotword("  "),
        ],
        [Hotword(f"设备{i}") for i in range(600)],
    )
    texts = [entry.text for entry in vocabulary.entries]
    assert texts[:3] == ["客厅吊灯", "客厅 吊灯", "LAMP"]
    assert len(texts) == 500
    reasons = dict(vocabulary.skipped)
    assert reasons["这是一个非常非常非常长的中文设备名称"] == "more than 15 characters"
    assert reasons["one two three four five six seven eight"] == "more than 7 words"
    assert reasons[""] == "empty"
    assert reasons["设备497"] == "more than 500 entries"
    assert [entry.to_json()["lang"] for entry in vocabulary.entries[:3]] == ["zh", "zh", "en"]


def hotword_data(model: str = "fun-asr-realtime", **extra: Any) -> dict[str, Any]:
    return default_recognizer(model) | {CONF_HOTWORDS: PHRASES} | extra


async def settle(hass: HomeAssistant) -> None:
    await hass.async_block_till_done(wait_background_tasks=True)


async def recognize(hass: HomeAssistant) -> stt.SpeechResult:
    engine = stt.async_get_speech_to_text_entity(hass, ENTITY_ID)
    assert engine is not None
    return await engine.async_process_audio_stream(metadata(), stream(tone(0.5)))


@pytest.mark.parametrize("recognizer_data", [hotword_data()])
async def test_vocabulary_is_created_and_used(
    hass: HomeAssistant, setup_integration: MockConfigEntry, dashscope_server: RunningServer
) -> None:
    await settle(hass)
    [vocabulary] = dashscope_server.customization.vocabularies.values()
    assert vocabulary.target_model == "fun-asr-realtime"
    assert len(vocabulary.prefix) == 10
    assert vocabulary.prefix.startswith("ha")
    assert [entry["text"] for entry in vocabulary.entries] == [
        "客厅吊灯",
        "书房台灯",
        "Living room lamp",
    ]
    assert (await recognize(hass)).result is SpeechResultState.SUCCESS
    assert dashscope_server.tasks[-1].parameters["vocabulary_id"] == vocabulary.vocabulary_id

    # A restart uses the stored id at once and uploads nothing.
    requests = len(dashscope_server.customization.requests)
    await hass.config_entries.async_reload(setup_integration.entry_id)
    await settle(hass)
    assert len(dashscope_server.customization.requests) == requests
    assert (await recognize(hass)).result is SpeechResultState.SUCCESS
    assert dashscope_server.tasks[-1].parameters["vocabulary_id"] == vocabulary.vocabulary_id


@pytest.mark.parametrize("recognizer_data", [hotword_data()])
async def test_changed_phrases_update_the_vocabulary(
    hass: HomeAssistant, setup_integration: MockConfigEntry, dashscope_server: RunningServer
) -> None:
    await settle(hass)
    [vocabulary_id] = dashscope_server.customization.vocabularies
    subentry = setup_integration.subentries[RECOGNIZER_ID]
    hass.config_entries.async_update_subentry(
        setup_integration, subentry, data={**subentry.data, CONF_HOTWORDS: "卧室空调"}
    )
    await settle(hass)
    vocabulary = dashscope_server.customization.vocabularies[vocabulary_id]
    assert [entry["text"] for entry in vocabulary.entries] == ["卧室空调"]
    assert dashscope_server.customization.requests[-1]["input"]["action"] == "update_vocabulary"


@pytest.mark.parametrize("recognizer_data", [hotword_data()])
async def test_changed_model_gets_a_new_vocabulary(
    hass: HomeAssistant, setup_integration: MockConfigEntry, dashscope_server: RunningServer
) -> None:
    await settle(hass)
    [old] = dashscope_server.customization.vocabularies
    subentry = setup_integration.subentries[RECOGNIZER_ID]
    hass.config_entries.async_update_subentry(
        setup_integration, subentry, data={**subentry.data, CONF_MODEL: "paraformer-realtime-v2"}
    )
    await settle(hass)
    [new] = dashscope_server.customization.vocabularies.values()
    assert new.vocabulary_id != old
    assert new.target_model == "paraformer-realtime-v2"


@pytest.mark.parametrize("recognizer_data", [hotword_data()])
async def test_removed_recognizer_and_entry_delete_their_vocabulary(
    hass: HomeAssistant, setup_integration: MockConfigEntry, dashscope_server: RunningServer
) -> None:
    await settle(hass)
    assert dashscope_server.customization.vocabularies
    hass.config_entries.async_remove_subentry(setup_integration, RECOGNIZER_ID)
    await settle(hass)
    assert dashscope_server.customization.vocabularies == {}

    hass.config_entries.async_add_subentry(
        setup_integration,
        ConfigSubentry(
            data=hotword_data(), subentry_type="recognizer", title="again", unique_id=None
        ),
    )
    await settle(hass)
    assert len(dashscope_server.customization.vocabularies) == 1
    await hass.config_entries.async_remove(setup_integration.entry_id)
    await settle(hass)
    assert dashscope_server.customization.vocabularies == {}


@pytest.mark.parametrize("recognizer_data", [hotword_data()])
async def test_list_limit_raises_a_repair_issue(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    dashscope_server: RunningServer,
    issue_registry: ir.IssueRegistry,
) -> None:
    for i in range(10):
        dashscope_server.customization._create(
            {"prefix": f"other{i}", "target_model": "fun-asr-realtime", "vocabulary": []}
        )
    await hass.config_entries.async_setup(config_entry.entry_id)
    await settle(hass)
    issue = issue_registry.async_get_issue(DOMAIN, f"vocabulary_limit_{config_entry.entry_id}")
    assert issue is not None
    assert issue.translation_placeholders == {"title": config_entry.title}
    assert (await recognize(hass)).result is SpeechResultState.SUCCESS
    assert "vocabulary_id" not in dashscope_server.tasks[-1].parameters

    del dashscope_server.customization.vocabularies["vocab-other0-00000001"]
    await hass.config_entries.async_reload(config_entry.entry_id)
    await settle(hass)
    assert not issue_registry.async_get_issue(DOMAIN, f"vocabulary_limit_{config_entry.entry_id}")


@pytest.mark.parametrize("recognizer_data", [hotword_data()])
async def test_vocabulary_deleted_behind_our_back_is_recreated(
    hass: HomeAssistant, setup_integration: MockConfigEntry, dashscope_server: RunningServer
) -> None:
    await settle(hass)
    dashscope_server.customization.vocabularies.clear()
    assert (await recognize(hass)).result is SpeechResultState.ERROR
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=11))
    await settle(hass)
    assert len(dashscope_server.customization.vocabularies) == 1
    assert (await recognize(hass)).result is SpeechResultState.SUCCESS


@pytest.mark.parametrize(
    "recognizer_data", [hotword_data(), hotword_data("paraformer-realtime-v1")], ids=["v2", "v1"]
)
async def test_models_without_vocabularies(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    dashscope_server: RunningServer,
    recognizer_data: dict[str, Any],
) -> None:
    await settle(hass)
    expected = 0 if recognizer_data[CONF_MODEL] == "paraformer-realtime-v1" else 1
    assert len(dashscope_server.customization.vocabularies) == expected


@pytest.mark.parametrize(
    "recognizer_data", [hotword_data(**{CONF_HOTWORDS: "", CONF_EXPOSED_NAMES: True})]
)
async def test_exposed_names_follow_the_home(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    dashscope_server: RunningServer,
    entity_registry: er.EntityRegistry,
    area_registry: ar.AreaRegistry,
) -> None:
    assert await async_setup_component(hass, "homeassistant", {})
    area_registry.async_create("客厅", aliases={"起居室"})
    lamp = entity_registry.async_get_or_create("light", "test", "lamp", original_name="吊灯")
    # From 2026.10 an entity's aliases may also hold the marker for its own name.
    own_name = getattr(er, "COMPUTED_NAME", None)
    aliases = [own_name, "大灯"] if own_name is not None else {"大灯"}
    entity_registry.async_update_entity(lamp.entity_id, aliases=aliases)
    hass.states.async_set(lamp.entity_id, "off", {"friendly_name": "客厅吊灯"})
    async_expose_entity(hass, "conversation", lamp.entity_id, True)
    hidden = entity_registry.async_get_or_create("switch", "test", "secret", original_name="秘密")
    hass.states.async_set(hidden.entity_id, "off", {"friendly_name": "秘密开关"})
    async_expose_entity(hass, "conversation", hidden.entity_id, False)

    await hass.config_entries.async_setup(config_entry.entry_id)
    await settle(hass)
    [vocabulary] = dashscope_server.customization.vocabularies.values()
    texts = [entry["text"] for entry in vocabulary.entries]
    assert texts == ["客厅吊灯", "大灯", "客厅", "起居室"]

    area_registry.async_create("书房")
    await settle(hass)
    assert len(vocabulary.entries) == 4, "debounced: nothing yet"
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=11))
    await settle(hass)
    assert [entry["text"] for entry in vocabulary.entries][-1] == "书房"


@pytest.mark.parametrize("recognizer_data", [hotword_data()])
async def test_upload_failures_leave_recognition_working(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    dashscope_server: RunningServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    dashscope_server.customization.models = {}  # every create is refused
    await hass.config_entries.async_setup(config_entry.entry_id)
    await settle(hass)
    assert "Cannot upload the hotwords" in caplog.text
    assert (await recognize(hass)).result is SpeechResultState.SUCCESS
    assert "vocabulary_id" not in dashscope_server.tasks[-1].parameters


@pytest.mark.parametrize(
    ("delete_seconds", "left"),
    [(0.15, 0), (1.0, 3)],
    ids=["slow-service-all-deleted", "unreachable-service-bounded"],
)
async def test_removing_an_account_deletes_its_vocabularies_within_one_bound(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    dashscope_server: RunningServer,
    hass_storage: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    delete_seconds: float,
    left: int,
) -> None:
    """Three deletions at 0.15 s fit a 0.4 s bound together (one after another they would
    not); a service that does not answer in time holds the removal for the bound once."""
    service = dashscope_server.customization
    stored = {}
    for index in range(3):
        created = service._create(
            {"prefix": "ha0", "target_model": "fun-asr-realtime", "vocabulary": []}
        )
        stored[f"recognizer{index}"] = {
            "vocabulary_id": created["vocabulary_id"],
            "model": "fun-asr-realtime",
            "digest": "",
        }
    hass_storage[f"{DOMAIN}.{config_entry.entry_id}.vocabularies"] = {
        "version": 1,
        "key": f"{DOMAIN}.{config_entry.entry_id}.vocabularies",
        "data": stored,
    }
    service.delay = delete_seconds
    monkeypatch.setattr(hotwords, "REMOVE_ALL_SECONDS", 0.4)
    started = time.monotonic()

    await hass.config_entries.async_remove(config_entry.entry_id)

    assert time.monotonic() - started < 0.9
    assert len(service.vocabularies) == left
    await asyncio.sleep(delete_seconds)  # the server's late answers, before it is stopped
