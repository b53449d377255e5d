"""Every model of the table reaches the entity and the service the way the service expects."""

from __future__ import annotations

from pathlib import Path
import re
from typing import Any

from homeassistant.components import stt
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension

from custom_components.dashscope.client import MODELS, HintRule, Protocol, catalog
from custom_components.dashscope.client.catalog import LANGUAGE_CODES
from custom_components.dashscope.client.parameters import Parameter
from custom_components.dashscope.const import CONF_AUTO_LANGUAGE, CONF_LANGUAGE_HINTS
from custom_components.dashscope.recognizer import default_recognizer

from .audio import stream, tone
from .conftest import RunningServer
from .test_stt import metadata


def entity_id(model: str) -> str:
    return f"stt.{model.replace('-', '_').replace('.', '_')}"


@pytest.mark.parametrize(
    "recognizer_data",
    [default_recognizer(name) | {CONF_LANGUAGE_HINTS: ["en"]} for name in MODELS],
    ids=list(MODELS),
)
async def test_every_model_end_to_end(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    dashscope_server: RunningServer,
    recognizer_data: dict[str, Any],
) -> None:
    model = MODELS[recognizer_data["model"]]
    engine = stt.async_get_speech_to_text_entity(hass, entity_id(model.name))
    assert engine is not None
    assert engine.supported_languages == model.language_tags
    assert "zh-CN" in engine.supported_languages
    assert stt.AudioSampleRates.SAMPLERATE_16000 in engine.supported_sample_rates

    rate = model.preferred_sample_rate
    dashscope_server.default_script.bytes_per_char = rate // 10  # 50 ms per character
    result = await engine.async_process_audio_stream(metadata("zh-CN"), stream(tone(1.0)))

    assert result.text == "打开客厅的灯。"
    assert dashscope_server.violations == [], "only parameters the model takes"
    if model.protocol is Protocol.REALTIME:
        [session] = dashscope_server.qwen_sessions
        assert session.model == model.name
        assert session.session_update is not None
        assert session.session_update["sample_rate"] == rate
        assert session.session_update["input_audio_transcription"] == {"language": "zh"}
        return
    [task] = dashscope_server.tasks
    parameters = task.parameters
    assert parameters["sample_rate"] == rate
    expected_hints = {HintRule.ALL: ["zh", "en"], HintRule.FIRST: ["zh"], HintRule.NONE: None}
    assert parameters.get("language_hints") == expected_hints[model.hint_rule]
    takes_silence = Parameter.MAX_SENTENCE_SILENCE in model.parameters
    assert parameters.get("max_sentence_silence") == (500 if takes_silence else None)
    if Parameter.INTERMEDIATE_RESULTS in model.parameters:
        assert parameters["intermediate_result_enabled"] is True, "the pipeline needs partials"


@pytest.mark.parametrize(
    "recognizer_data",
    [default_recognizer("paraformer-realtime-v2") | {CONF_AUTO_LANGUAGE: True}],
)
async def test_automatic_language_sends_no_hint(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    dashscope_server: RunningServer,
    recognizer_data: dict[str, Any],
) -> None:
    engine = stt.async_get_speech_to_text_entity(hass, "stt.paraformer_realtime_v2")
    assert engine is not None
    await engine.async_process_audio_stream(metadata("en-US"), stream(tone(0.5)))
    assert "language_hints" not in dashscope_server.tasks[0].parameters


@pytest.mark.parametrize(
    "recognizer_data",
    [
        default_recognizer("fun-asr-realtime")
        | {
            "semantic_punctuation_enabled": True,
            "speech_noise_threshold": 0.4,
            "disfluency_removal_enabled": True,
        }
    ],
)
async def test_settings_reach_the_task(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    dashscope_server: RunningServer,
    recognizer_data: dict[str, Any],
) -> None:
    engine = stt.async_get_speech_to_text_entity(hass, "stt.fun_asr_realtime")
    assert engine is not None
    await engine.async_process_audio_stream(metadata(), stream(tone(0.5)))
    parameters = dashscope_server.tasks[0].parameters
    assert parameters["semantic_punctuation_enabled"] is True
    assert parameters["speech_noise_threshold"] == 0.4
    assert "max_sentence_silence" not in parameters, "only applies to VAD segmentation"
    assert "disfluency_removal_enabled" not in parameters, "Fun-ASR does not take it"
    assert dashscope_server.violations == []


def test_language_table_is_consistent() -> None:
    for model in MODELS.values():
        assert model.sample_rates
        assert model.deployments
        for tag in model.language_tags:
            code = model.language_code(tag)
            assert code in model.languages
            assert tag in LANGUAGE_CODES
        assert "zh" in model.languages


FAMILIES = [
    "fun-asr-realtime",
    "paraformer-realtime-v2",
    "paraformer-realtime-v1",
    "qwen-audio-3.1-asr-flash-message",
    "qwen-audio-3.1-asr-flash-streaming",
]


@pytest.mark.parametrize(
    "recognizer_data", [default_recognizer(name) for name in FAMILIES], ids=FAMILIES
)
async def test_run_task_of_each_family(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    dashscope_server: RunningServer,
    recognizer_data: dict[str, Any],
    snapshot,
) -> None:
    """The exact run-task frame a new engine of each model family sends (default settings)."""
    engine = stt.async_get_speech_to_text_entity(hass, entity_id(recognizer_data["model"]))
    assert engine is not None
    await engine.async_process_audio_stream(metadata("zh-CN"), stream(tone(0.5)))
    [task] = dashscope_server.tasks
    run_task = dict(task.run_task)
    run_task["header"] = {**run_task["header"], "task_id": "<task id>"}
    assert run_task == snapshot.use_extension(HomeAssistantSnapshotExtension)


def test_every_catalog_row_cites_its_doc_page() -> None:
    """Each row of MODELS is preceded by a comment naming the page its facts come from."""
    lines = Path(catalog.__file__).read_text("utf-8").splitlines()
    table = lines.index("MODELS: dict[str, ModelInfo] = {")
    for name in MODELS:
        at = next(i for i, line in enumerate(lines) if f'"{name}"' in line and i > table)
        start = next(
            i
            for i in range(at, table, -1)
            if lines[i].strip().startswith(("ModelInfo(", "_fun_asr("))
        )
        above = lines[start - 1].strip()
        if above == "*(":  # a row per name of one generator
            above = lines[start - 2].strip()
        assert above.startswith("#"), f"{name}: no comment citing its page"
        assert re.search(r"[a-z]+(-[a-z0-9]+)+", above), f"{name}: {above}"
