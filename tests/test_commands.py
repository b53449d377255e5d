"""Complete commands end the utterance early: Home Assistant's real intents, never run.

The home has a light in the living room (客厅的吊灯) and one in the kitchen, both exposed to
Assist, and an automation with a conversation trigger. The engine's audio is scripted word by
word on the local server, so the test knows where every word ends.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from homeassistant.components import conversation, stt
from homeassistant.components.homeassistant.exposed_entities import async_expose_entity
from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    area_registry as ar,
    device_registry as dr,
    entity_registry as er,
)
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.dashscope.client import CommandKind, CommandMatch
from custom_components.dashscope.commands import HomeCommands, is_beginning
from custom_components.dashscope.const import (
    CONF_COMMAND_END,
    CONF_END_OF_SPEECH,
    SIGNAL_ANY_TRANSCRIPT,
)
from custom_components.dashscope.diagnostics import async_get_config_entry_diagnostics
from custom_components.dashscope.recognizer import default_recognizer
from custom_components.dashscope.transcript import TranscriptRecord

from .conftest import RunningServer
from .dashscope_server import TaskScript
from .test_end_of_speech import CountingStream, engine
from .test_stt import metadata
from .test_usage import AUDIO_SENSOR, number

ON = default_recognizer("fun-asr-realtime") | {CONF_END_OF_SPEECH: True, CONF_COMMAND_END: True}
SERVICE_ONLY = ON | {CONF_COMMAND_END: False}
LIVING_ROOM_LIGHT = "light.demo_living_room"

# "打开客厅的吊灯": its words and where they lie in the audio (ms); silence follows.
FLUENT = (("打开", 0, 400), ("客厅", 400, 800), ("的", 800, 1000), ("吊灯", 1000, 1400))
# The same command with a 900 ms pause to think before the last word.
PAUSED = (("打开", 0, 400), ("客厅", 400, 800), ("的", 800, 1000), ("吊灯", 1900, 2300))
QUESTION = (("讲", 0, 200), ("个", 200, 400), ("笑话", 400, 900))
MS = 32  # bytes of 16 kHz 16-bit audio per ms


@pytest.fixture
async def home(hass: HomeAssistant) -> None:
    """Set up Assist's local intents, two exposed lights in two areas and a trigger."""
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "conversation", {})
    assert await async_setup_component(hass, "intent", {})
    assert await async_setup_component(hass, "light", {})
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "triggers": {"trigger": "conversation", "command": ["晚安", "good night"]},
                "actions": {"event": "good_night_ran"},
            }
        },
    )
    areas = ar.async_get(hass)
    entities = er.async_get(hass)
    for unique_id, name, area in (("living_room", "吊灯", "客厅"), ("kitchen", "lamp", "Kitchen")):
        entry = entities.async_get_or_create(
            "light", "demo", unique_id, original_name=name, suggested_object_id=f"demo_{unique_id}"
        )
        entities.async_update_entity(entry.entity_id, area_id=areas.async_create(area).id)
        hass.states.async_set(entry.entity_id, "off", {"friendly_name": name})
        async_expose_entity(hass, conversation.DOMAIN, entry.entity_id, True)
    await hass.async_block_till_done()


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("zh-CN", "打开客厅的吊灯", CommandMatch(CommandKind.COMPLETE, "HassTurnOn")),
        ("zh-CN", "打开客厅的吊灯。", CommandMatch(CommandKind.COMPLETE, "HassTurnOn")),
        ("zh-CN", "关闭吊灯", CommandMatch(CommandKind.COMPLETE, "HassTurnOff")),
        ("zh-CN", "打开客厅的", CommandMatch(CommandKind.PREFIX)),
        ("zh-CN", "讲个笑话", CommandMatch(CommandKind.NEITHER)),
        ("zh-CN", "晚安", CommandMatch(CommandKind.COMPLETE, "trigger")),
        ("en-US", "turn on the kitchen lamp", CommandMatch(CommandKind.COMPLETE, "HassTurnOn")),
        ("en-US", "turn on the", CommandMatch(CommandKind.PREFIX)),
        ("en-US", "turn on the light", CommandMatch(CommandKind.PREFIX)),
        ("en-US", "what is the capital of France", CommandMatch(CommandKind.NEITHER)),
        ("en-US", "good night", CommandMatch(CommandKind.COMPLETE, "trigger")),
    ],
)
async def test_commands_are_recognized_and_never_run(
    hass: HomeAssistant, home: None, language: str, text: str, expected: CommandMatch
) -> None:
    states = {state.entity_id: state.state for state in hass.states.async_all("light")}
    calls = async_capture_events(hass, "call_service")
    ran = async_capture_events(hass, "good_night_ran")
    commands = HomeCommands(hass)
    await commands.async_prepare(language)
    assert await commands.matcher(language)(text) == expected
    await hass.async_block_till_done()
    assert {s.entity_id: s.state for s in hass.states.async_all("light")} == states
    assert calls == []
    assert ran == []


async def test_a_command_complete_in_a_satellites_area(hass: HomeAssistant, home: None) -> None:
    """Speech to text is not told the satellite: its area may complete "turn on the light"."""
    commands = HomeCommands(hass)
    turn_on_the_light = commands.matcher("en-US")
    assert (await turn_on_the_light("turn on the light")).kind is CommandKind.PREFIX
    entities, devices = er.async_get(hass), dr.async_get(hass)
    kitchen = ar.async_get(hass).async_get_area_by_name("Kitchen")
    assert kitchen is not None
    entry = MockConfigEntry(domain="demo")
    entry.add_to_hass(hass)
    device = devices.async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={("demo", "s")}
    )
    devices.async_update_device(device.id, area_id=kitchen.id)
    entities.async_get_or_create("assist_satellite", "demo", "s", device_id=device.id)
    entities.async_get_or_create("assist_satellite", "demo", "no_area")  # no context
    assert await turn_on_the_light("turn on the light") == CommandMatch(
        CommandKind.COMPLETE, "HassTurnOn"
    )
    assert hass.states.get("light.demo_kitchen").state == "off"


async def test_no_conversation_component_means_no_command(hass: HomeAssistant) -> None:
    commands = HomeCommands(hass)
    await commands.async_prepare("en-US")  # nothing to prepare
    assert not commands.available
    assert (await commands.async_match("turn on the", "en-US")).kind is CommandKind.NEITHER


@pytest.mark.parametrize(
    ("text", "language", "beginning"),
    [
        ("打开客厅的", "zh-CN", True),
        ("客厅的", "zh-Hans", True),
        ("打开灯", "zh-CN", True),
        ("打开客厅", "zh-CN", True),
        ("打开灯在客厅", "zh-CN", False),
        ("打开客厅的空调", "zh-CN", False),
        ("讲个笑话", "zh-CN", False),
        ("turn", "en-GB", True),
        ("turn on the light", "en_US", True),
        ("turn on the light in the garden", "en", False),
        ("what is the weather in", "en", True),
        ("what is the weather", "en", False),
        ("", "en", False),
        ("", "zh", False),
        ("allume la", "fr-FR", False),  # no list for this language: only whole commands
    ],
)
def test_beginnings(text: str, language: str, beginning: bool) -> None:
    assert is_beginning(text, language) is beginning


async def recognize(
    hass: HomeAssistant, server: RunningServer, words: tuple[tuple[str, int, int], ...]
) -> tuple[stt.SpeechResult, CountingStream, list[TranscriptRecord]]:
    """Say `words` (then silence) to the engine; return its answer and what it consumed."""
    published: list[TranscriptRecord] = []
    unsubscribe = async_dispatcher_connect(hass, SIGNAL_ANY_TRANSCRIPT, published.append)
    server.queue(TaskScript(words=words))
    audio = CountingStream(6.0)
    result = await engine(hass).async_process_audio_stream(metadata(), audio.__aiter__())
    for _ in range(200):  # the task finishes in the background, then the event is sent
        if published:
            break
        await asyncio.sleep(0.01)
    unsubscribe()
    return result, audio, published


def stats(entry: MockConfigEntry) -> Any:
    return entry.runtime_data.recognitions[-1]


@pytest.mark.parametrize("recognizer_data", [ON])
async def test_a_complete_command_ends_early_and_nothing_runs(
    hass: HomeAssistant,
    home: None,
    setup_integration: MockConfigEntry,
    dashscope_server: RunningServer,
) -> None:
    calls = async_capture_events(hass, "call_service")
    result, audio, published = await recognize(hass, dashscope_server, FLUENT)

    # The answer is the text that matched, without waiting for the final's punctuation.
    assert result == stt.SpeechResult("打开客厅的吊灯", stt.SpeechResultState.SUCCESS)
    # The last word ended at 1400 ms: the service's end (500 ms of silence) would take to
    # 1900 ms; a complete command ends after 200 ms of silence, on the next 100 ms frame.
    assert audio.consumed <= 1700 * MS
    recognition = stats(setup_integration)
    assert recognition.ended_by == "complete_command"
    assert recognition.command == "HassTurnOn"  # the intent's name, never the text
    diagnostics = json.dumps(
        await async_get_config_entry_diagnostics(hass, setup_integration), ensure_ascii=False
    )
    assert '"ended_by": "complete_command", "command": "HassTurnOn"' in diagnostics
    assert "吊灯" not in diagnostics
    await hass.async_block_till_done()
    assert hass.states.get(LIVING_ROOM_LIGHT).state == "off"
    assert calls == []
    # The task finished in the background: automations get the final text.
    assert [record.text for record in published] == ["打开客厅的吊灯。"]
    [task] = dashscope_server.tasks
    assert task.finished
    # The connection stays warm: the next utterance reuses it.
    again, _, _ = await recognize(hass, dashscope_server, FLUENT)
    assert again.text == "打开客厅的吊灯"
    assert [t.connection for t in dashscope_server.tasks] == [1, 1]


@pytest.mark.parametrize(
    ("recognizer_data", "expected", "ended_by"),
    [
        (ON, "打开客厅的吊灯", "complete_command"),
        (SERVICE_ONLY, "打开客厅的。", "service"),
    ],
    ids=["complete_command", "service_only"],
)
async def test_a_beginning_waits_and_a_paused_command_is_not_cut(
    hass: HomeAssistant,
    home: None,
    setup_integration: MockConfigEntry,
    dashscope_server: RunningServer,
    expected: str,
    ended_by: str,
) -> None:
    """A 900 ms pause after "打开客厅的": the service ends its sentence; a beginning waits."""
    result, _, _ = await recognize(hass, dashscope_server, PAUSED)
    assert result.text == expected
    assert stats(setup_integration).ended_by == ended_by


@pytest.mark.parametrize("recognizer_data", [ON])
async def test_an_open_question_ends_as_the_service_says(
    hass: HomeAssistant,
    home: None,
    setup_integration: MockConfigEntry,
    dashscope_server: RunningServer,
) -> None:
    result, audio, published = await recognize(hass, dashscope_server, QUESTION)
    assert result.text == "讲个笑话。"
    assert audio.consumed >= (900 + 500) * MS
    assert stats(setup_integration).ended_by == "service"
    assert stats(setup_integration).command is None
    assert [record.text for record in published] == ["讲个笑话。"]


@pytest.mark.parametrize("recognizer_data", [ON])
async def test_complete_commands_count_what_the_server_billed(
    hass: HomeAssistant,
    home: None,
    setup_integration: MockConfigEntry,
    dashscope_server: RunningServer,
) -> None:
    """The final sentence's usage arrives after the answer: it is counted all the same, once."""
    for _ in range(3):
        result, _, published = await recognize(hass, dashscope_server, FLUENT)
        assert result.text == "打开客厅的吊灯"
        assert published  # the background finish has ended: the usage is counted
        assert stats(setup_integration).ended_by == "complete_command"
        # The wait felt runs from the last word's end: at least the 200 ms of silence.
        assert stats(setup_integration).finalize_seconds >= 0.15
    await hass.async_block_till_done()

    billed = sum(task.billed_seconds for task in dashscope_server.tasks)
    assert len(dashscope_server.tasks) == 3
    assert billed > 0
    assert number(hass, AUDIO_SENSOR) == billed
    [usage] = setup_integration.runtime_data.usage.values()
    assert usage.recognitions == 3  # each once
    recognitions = setup_integration.runtime_data.recognitions
    assert sum(recognition.billed_seconds for recognition in recognitions) == billed
