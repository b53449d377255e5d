"""Transcripts automations can trigger on: the event entity and the phrase trigger."""

from __future__ import annotations

from typing import Any

from homeassistant.components import stt
from homeassistant.components.stt import SpeechResultState
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.dashscope.recognizer import default_recognizer
from custom_components.dashscope.transcript import TranscriptRecord, async_publish
from custom_components.dashscope.trigger import OPTIONS_SCHEMA, normalize
from custom_components.dashscope.validation import vol

from .audio import stream, tone
from .conftest import ENTITY_ID, RunningServer
from .dashscope_server import TaskScript
from .test_pipeline import run_pipeline
from .test_resilience import recognize
from .test_stt import metadata

EVENT_ENTITY = "event.fun_asr_realtime_transcript"


async def test_event_entity_after_a_pipeline_run(
    hass: HomeAssistant, setup_integration: MockConfigEntry, dashscope_server: RunningServer
) -> None:
    hass.config.language = "zh-Hans"
    hass.config.country = "CN"
    bus_events = async_capture_events(hass, "dashscope_transcript")
    before = hass.states.get(EVENT_ENTITY)
    assert before is not None
    assert before.state == "unknown"
    assert before.name == "fun-asr-realtime Transcript"

    dashscope_server.queue(TaskScript(sentences=["打开客厅的灯。", "谢谢。"], bytes_per_char=1000))
    await run_pipeline(hass, tone(1.0))
    await hass.async_block_till_done()

    state = hass.states.get(EVENT_ENTITY)
    assert state is not None
    assert state.state != "unknown"
    attributes = dict(state.attributes)
    assert attributes["event_type"] == "recognized"
    assert attributes["text"] == "打开客厅的灯。谢谢。"
    assert attributes["language"] == "zh-CN"
    assert attributes["model"] == "fun-asr-realtime"
    assert attributes["audio_seconds"] == 1.0
    assert [s["text"] for s in attributes["sentences"]] == ["打开客厅的灯。", "谢谢。"]
    assert attributes["sentences"][0]["begin_ms"] == 0
    assert attributes["sentences"][1]["begin_ms"] == attributes["sentences"][0]["end_ms"]
    assert attributes["emotion"] is None
    assert bus_events == [], "nothing on the bus: the recorder would keep the text"


@pytest.mark.parametrize("recognizer_data", [default_recognizer("paraformer-realtime-8k-v2")])
async def test_emotion_reaches_the_event(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    dashscope_server: RunningServer,
    recognizer_data: dict[str, Any],
) -> None:
    script = TaskScript(sentences=["你们怎么回事！"], bytes_per_char=800)
    script.emotion = ("negative", 0.91)
    dashscope_server.queue(script)
    engine = stt.async_get_speech_to_text_entity(hass, "stt.paraformer_realtime_8k_v2")
    assert engine is not None
    await engine.async_process_audio_stream(metadata(), stream(tone(1.0)))
    await hass.async_block_till_done()
    state = hass.states.get("event.paraformer_realtime_8k_v2_transcript")
    assert state is not None
    assert state.attributes["emotion"] == "negative"
    assert state.attributes["emotion_confidence"] == 0.91
    assert state.attributes["sentences"][0]["emotion"] == "negative"


async def test_failures_and_silence_fire_nothing(
    hass: HomeAssistant, setup_integration: MockConfigEntry, dashscope_server: RunningServer
) -> None:
    heard = await setup_automation(hass, {"phrases": ".*", "match": "regex"})
    dashscope_server.queue(TaskScript(fail_code="RequestTimeOut"), TaskScript(sentences=[]))
    assert (await recognize(hass)).result is SpeechResultState.ERROR
    assert (await recognize(hass)).text == ""
    await hass.async_block_till_done()
    assert heard == []
    state = hass.states.get(EVENT_ENTITY)
    assert state is not None
    assert state.state == "unknown"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Turn ON the Light!", "turn on the light"),
        ("打开客厅的灯。", "打开客厅的灯"),
        ("ＴＶ　关掉，谢谢", "tv 关掉 谢谢"),  # full-width letters, space and comma
        ("  hello,   world ", "hello world"),
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


async def setup_automation(hass: HomeAssistant, trigger: dict[str, Any]) -> list[Any]:
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "triggers": [{"trigger": "dashscope", **trigger}],
                "actions": [
                    {
                        "event": "heard",
                        "event_data": {
                            "text": "{{ trigger.text }}",
                            "matched": "{{ trigger.matched }}",
                            "entity_id": "{{ trigger.entity_id }}",
                            "emotion": "{{ trigger.emotion }}",
                        },
                    }
                ],
            }
        },
    )
    return async_capture_events(hass, "heard")


def fire(hass: HomeAssistant, text: str, entity_id: str = ENTITY_ID, **extra: Any) -> None:
    """Publish a transcript as a recognition does."""
    async_publish(hass, record(text, entity_id, **extra))


def record(text: str, entity_id: str = ENTITY_ID, **extra: Any) -> TranscriptRecord:
    """Return a transcript of `text` by the engine `entity_id`."""
    fields: dict[str, Any] = {
        "recognizer_id": "other",
        "language": "zh-CN",
        "model": "fun-asr-realtime",
        "audio_seconds": 1.0,
        "sentences": (),
    }
    return TranscriptRecord(entity_id=entity_id, text=text, **(fields | extra))


@pytest.mark.parametrize(
    ("trigger", "text", "matched"),
    [
        ({"phrases": "开灯"}, "开灯。", "开灯"),
        ({"phrases": ["关灯", "开灯"]}, "开灯", "开灯"),
        ({"phrases": "turn on the light"}, "Turn on the light.", "turn on the light"),
        ({"phrases": "ＴＶ"}, "tv", "ＴＶ"),
        ({"phrases": "开灯", "match": "exact"}, "请开灯", None),
        ({"phrases": "开灯", "match": "contains"}, "请帮我开灯，谢谢！", "开灯"),
        ({"phrases": "Kitchen", "match": "contains"}, "KITCHEN lights on", "Kitchen"),
        ({"phrases": r"开.*灯", "match": "regex"}, "打开客厅的灯", r"开.*灯"),
        ({"phrases": r"^turn (on|off)", "match": "regex"}, "Turn off, please", r"^turn (on|off)"),
        ({"phrases": r"^turn on$", "match": "regex"}, "turn on the tv", None),
        ({"phrases": ".*", "match": "regex"}, "随便说点什么。", ".*"),
        ({"phrases": "开灯", "entity_id": ENTITY_ID}, "开灯", "开灯"),
        ({"phrases": "开灯", "entity_id": "stt.other"}, "开灯", None),
    ],
    ids=[
        "exact-punctuation",
        "list",
        "exact-case",
        "full-width",
        "exact-no",
        "contains",
        "contains-case",
        "regex",
        "regex-group",
        "regex-no",
        "regex-any",
        "entity",
        "other-entity",
    ],
)
async def test_trigger_matching(
    hass: HomeAssistant, trigger: dict[str, Any], text: str, matched: str | None
) -> None:
    heard = await setup_automation(hass, trigger)
    fire(hass, text, emotion="neutral")
    await hass.async_block_till_done()
    if matched is None:
        assert heard == []
        return
    [event] = heard
    assert event.data == {
        "text": text,
        "matched": matched,
        "entity_id": ENTITY_ID,
        "emotion": "neutral",
    }


@pytest.mark.parametrize(
    "config",
    [
        {"phrases": "(unclosed", "match": "regex"},
        {"phrases": []},
        {"phrases": "。！"},
        {"phrases": "x", "match": "fuzzy"},
        {"phrases": "x", "entity_id": "not an entity"},
    ],
    ids=["bad-regex", "no-phrases", "only-punctuation", "bad-mode", "bad-entity"],
)
def test_bad_trigger_configs_are_refused(config: dict[str, Any]) -> None:
    with pytest.raises(vol.Invalid):
        OPTIONS_SCHEMA(config)


def test_bad_regex_error_says_what_is_wrong() -> None:
    with pytest.raises(vol.Invalid, match="invalid regular expression '\\(unclosed'"):
        OPTIONS_SCHEMA({"phrases": "(unclosed", "match": "regex"})


async def test_yaml_automation_end_to_end(
    hass: HomeAssistant, setup_integration: MockConfigEntry, dashscope_server: RunningServer
) -> None:
    """Speech through a real pipeline triggers an automation defined in YAML."""
    hass.config.language = "zh-Hans"
    hass.config.country = "CN"
    heard = await setup_automation(hass, {"phrases": ["客厅的灯"], "match": "contains"})
    await run_pipeline(hass, tone(1.0))
    await hass.async_block_till_done()
    [event] = heard
    assert event.data["text"] == "打开客厅的灯。"
    assert event.data["matched"] == "客厅的灯"
    assert event.data["entity_id"] == ENTITY_ID
