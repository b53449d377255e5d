"""A Qwen3 engine as a person meets it: set up in the UI, heard by Assist, told to automations."""

from __future__ import annotations

from datetime import timedelta
import json
from pathlib import Path
from typing import Any

from homeassistant.components import stt
from homeassistant.components.assist_pipeline import PipelineEventType
from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import area_registry as ar
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.dashscope.client import Hotword, build_context
from custom_components.dashscope.client.hotwords import estimate_tokens
from custom_components.dashscope.const import (
    CONF_END_OF_SPEECH,
    CONF_EXPOSED_NAMES,
    CONF_HOTWORDS,
    CONF_MODEL,
    DOMAIN,
)
from custom_components.dashscope.diagnostics import async_get_config_entry_diagnostics
from custom_components.dashscope.recognizer import default_recognizer

from .audio import stream, tone, wav_header
from .conftest import SERVICE_ENDS_SPEECH, RunningServer, fill_account
from .dashscope_server import TaskScript
from .test_config_flow import account_input
from .test_pipeline import run_pipeline
from .test_stt import metadata

MODEL = "qwen3-asr-flash-realtime"
ENGINE = "stt.qwen3_asr_flash_realtime"


async def test_set_up_in_the_ui_and_heard_through_assist(
    hass: HomeAssistant, dashscope_server: RunningServer
) -> None:
    area = ar.async_get(hass).async_create("客厅")
    ar.async_get(hass).async_update(area.id, aliases={"起居室"})
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await fill_account(hass, result, account_input(dashscope_server))
    assert MODEL in result["data_schema"].schema[CONF_MODEL].config["options"]
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_MODEL: MODEL})
    assert result["step_id"] == "context_settings", "context text, not weighted hotwords"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    [session] = dashscope_server.qwen_sessions
    assert session.finished, "the model was validated with a real session"
    entry = result["result"]
    [subentry] = entry.subentries.values()
    assert subentry.data["vad_silence_ms"] == 500
    assert "max_sentence_silence" not in subentry.data, "only what Qwen3 takes"

    # The engine's settings: phrases and the home's names become the session's context.
    flow = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "recognizer"),
        context={"source": "reconfigure", "subentry_id": subentry.subentry_id},
    )
    flow = await hass.config_entries.subentries.async_configure(
        flow["flow_id"], {CONF_MODEL: MODEL}
    )
    assert flow["step_id"] == "context_settings"
    fields = {str(key) for key in flow["data_schema"].schema}
    assert {"vad_threshold", "vad_silence_ms", CONF_HOTWORDS, CONF_EXPOSED_NAMES} <= fields
    assert "punctuation_prediction_enabled" not in fields
    flow = await hass.config_entries.subentries.async_configure(
        flow["flow_id"],
        {
            CONF_END_OF_SPEECH: SERVICE_ENDS_SPEECH,
            CONF_HOTWORDS: "吊灯=5\n台灯",
            CONF_EXPOSED_NAMES: True,
            "vad_silence_ms": 400,
            "vad_threshold": 0.1,
        },
    )
    assert flow["type"] is FlowResultType.ABORT
    await hass.async_block_till_done()

    hass.config.language = "zh-Hans"
    hass.config.country = "CN"
    dashscope_server.queue(TaskScript(sentences=["打开客厅的吊灯"], emotion=("happy", 1.0)))
    events = await run_pipeline(hass, tone(1.0), "stt.dashscope_qwen3_asr_flash_realtime")
    [end] = [event for event in events if event.type is PipelineEventType.STT_END]
    assert end.data == {"stt_output": {"text": "打开客厅的吊灯"}}
    session = dashscope_server.qwen_sessions[-1]
    assert session.session_update is not None
    transcription = session.session_update["input_audio_transcription"]
    assert transcription["language"] == "zh"
    assert transcription["corpus"]["text"].split(", ")[:2] == ["吊灯", "台灯"]
    assert {"客厅", "起居室"} <= set(transcription["corpus"]["text"].split(", "))
    expected_turns = (
        {"type": "server_vad", "threshold": 0.1, "silence_duration_ms": 400}
        if SERVICE_ENDS_SPEECH
        else None
    )
    assert session.session_update["turn_detection"] == expected_turns
    assert dashscope_server.violations == []


@pytest.mark.parametrize("recognizer_data", [default_recognizer(MODEL)])
async def test_emotion_and_language_reach_automations(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    dashscope_server: RunningServer,
    recognizer_data: dict[str, Any],
) -> None:
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "triggers": [{"trigger": "dashscope", "phrases": ["打开客厅的灯"]}],
                "actions": [{"event": "heard", "event_data": {"emotion": "{{ trigger.emotion }}"}}],
            }
        },
    )
    heard = async_capture_events(hass, "heard")
    dashscope_server.queue(TaskScript(sentences=["打开客厅的灯"], emotion=("surprised", 1.0)))
    engine = stt.async_get_speech_to_text_entity(hass, ENGINE)
    assert engine is not None
    result = await engine.async_process_audio_stream(metadata("zh-CN"), stream(tone(1.0)))
    assert result.text == "打开客厅的灯"
    await hass.async_block_till_done()
    state = hass.states.get("event.qwen3_asr_flash_realtime_transcript")
    assert state is not None
    assert state.attributes["emotion"] == "surprised"
    assert state.attributes["sentences"][0]["language"] == "zh"
    assert [event.data["emotion"] for event in heard] == ["surprised"]


def test_context_keeps_the_phrases_first_within_the_token_limit() -> None:
    phrases = [Hotword("吊灯"), Hotword("Living room lamp")]
    names = [Hotword(f"房间{i}") for i in range(10)] + [Hotword("吊灯")]
    context = build_context(30, phrases, names)
    texts = context.text.split(", ")
    assert texts[:2] == ["吊灯", "Living room lamp"]
    assert estimate_tokens(context.text) <= 30
    assert texts.count("吊灯") == 1, "no duplicates"
    left_out = [text for text, _ in context.skipped]
    assert left_out, "what does not fit is left out"
    assert left_out[-1] == "房间9"
    assert estimate_tokens("客厅") == 2
    assert estimate_tokens("lamp") == 2


@pytest.mark.parametrize(
    "recognizer_data", [default_recognizer(MODEL) | {CONF_EXPOSED_NAMES: True}]
)
async def test_context_follows_the_home_and_files_use_the_service_vad(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    dashscope_server: RunningServer,
    area_registry: ar.AreaRegistry,
    tmp_path: Path,
    recognizer_data: dict[str, Any],
) -> None:
    assert await async_setup_component(hass, "homeassistant", {})
    area_registry.async_create("客厅")
    await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()

    async def corpus() -> str:
        engine = stt.async_get_speech_to_text_entity(hass, ENGINE)
        assert engine is not None
        await engine.async_process_audio_stream(metadata("zh-CN"), stream(tone(1.0)))
        update = dashscope_server.qwen_sessions[-1].session_update
        assert update is not None
        return str(update["input_audio_transcription"]["corpus"]["text"])

    assert await corpus() == "客厅"
    area_registry.async_create("书房")
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=11))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert await corpus() == "客厅, 书房"

    # A whole file: the service's VAD splits it, whatever the engine's end-of-speech setting.
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    audio = tone(1.0)
    (tmp_path / "memo.wav").write_bytes(wav_header(len(audio)) + audio)
    response = await hass.services.async_call(
        DOMAIN,
        "transcribe_file",
        {"entity_id": ENGINE, "file": str(tmp_path / "memo.wav"), "speed": 10},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    assert response["text"] == "打开客厅的灯。"
    session = dashscope_server.qwen_sessions[-1]
    assert session.session_update is not None
    assert session.session_update["turn_detection"]["type"] == "server_vad"
    assert response["task_id"] != "", "the session's id"
    assert dashscope_server.violations == []


# The pipeline ends the audio (manual turn): whether the service's end of speech would come
# first depends on the machine's speed, and a service-ended utterance has no finalize time.
@pytest.mark.parametrize(
    "recognizer_data", [default_recognizer(MODEL) | {CONF_END_OF_SPEECH: False}]
)
async def test_diagnostics_of_a_qwen3_engine(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    dashscope_server: RunningServer,
    recognizer_data: dict[str, Any],
) -> None:
    engine = stt.async_get_speech_to_text_entity(hass, ENGINE)
    assert engine is not None
    await engine.async_process_audio_stream(metadata("zh-CN"), stream(tone(1.0)))
    dashscope_server.queue(TaskScript(fail_transcription=True))
    await engine.async_process_audio_stream(metadata("zh-CN"), stream(tone(1.0)))
    diagnostics = await async_get_config_entry_diagnostics(hass, setup_integration)
    assert "打开" not in json.dumps(diagnostics, ensure_ascii=False)
    ok, failed = diagnostics["recent_recognitions"]
    assert ok["model"] == MODEL
    assert ok["error_code"] is None
    assert ok["task_id"].startswith("sess_"), "the service's session id"
    assert ok["reused_connection"] is False, "a Qwen3 socket holds one session"
    assert 0 <= ok["finalize_seconds"] < 5
    assert failed["error_code"] not in (None, "")
