"""The Qwen-Audio models and run-task's context, as Model Studio's pages describe them.

docs/models/qwen-audio-asr.md holds what the pages say; these tests hold the integration to it:
a Qwen-Audio-3.1-ASR-Flash-Message engine set up in the UI and heard through Assist, its
revised sentences replaced, its usage in tokens, and the home's names sent as context to the
models that take it, within the documented limits.
"""

from __future__ import annotations

from typing import Any

from homeassistant.components import stt
from homeassistant.components.assist_pipeline import PipelineEventType
from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import area_registry as ar
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension

from custom_components.dashscope import stt as dashscope_stt
from custom_components.dashscope.client import (
    MODELS,
    Bias,
    Hotword,
    RecognitionParameters,
    Sentence,
    Transcript,
    build_context_messages,
)
from custom_components.dashscope.client.messages import ResultGenerated, parse_event
from custom_components.dashscope.client.parameters import task_options
from custom_components.dashscope.const import (
    CONF_END_OF_SPEECH,
    CONF_EXPOSED_NAMES,
    CONF_HOTWORDS,
    CONF_MODEL,
    DOMAIN,
)
from custom_components.dashscope.recognizer import default_recognizer

from .audio import stream, tone
from .conftest import SERVICE_ENDS_SPEECH, RunningServer, fill_account
from .dashscope_server import TaskScript
from .dashscope_server.qwen_audio import context_problems, input_problems
from .test_client_inference import make_client, recognize
from .test_config_flow import account_input
from .test_end_of_speech import CountingStream
from .test_pipeline import run_pipeline
from .test_stt import FakePartial, metadata

MESSAGE = "qwen-audio-3.1-asr-flash-message"
ENGINE = "stt.dashscope_qwen_audio_3_1_asr_flash_message"


async def test_message_model_set_up_in_the_ui_and_heard_through_assist(
    hass: HomeAssistant, dashscope_server: RunningServer
) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await fill_account(hass, result, account_input(dashscope_server))
    options = result["data_schema"].schema[CONF_MODEL].config["options"]
    assert options[0] == MESSAGE, "Alibaba's pick for voice input comes first"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_MODEL: MESSAGE}
    )
    assert result["step_id"] == "settings"
    fields = {str(key) for key in result["data_schema"].schema}
    assert {"keep_dialect", "disfluency_removal_enabled", CONF_HOTWORDS} <= fields
    assert "intermediate_result_enabled" not in fields, "always on: the pipeline needs it"
    assert "punctuation_prediction_enabled" not in fields, "only what the model takes"
    assert "max_sentence_silence" not in fields
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_END_OF_SPEECH: SERVICE_ENDS_SPEECH, CONF_HOTWORDS: "吊灯"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    await hass.async_block_till_done()

    hass.config.language = "zh-Hans"
    hass.config.country = "CN"
    # A revised intermediate sentence, then silence for the service to end the sentence in.
    dashscope_server.queue(TaskScript(sentences=["打开客厅的吊灯。"], revision="打开可"))
    audio = CountingStream(4.0)  # paced like the pipeline
    events = await run_pipeline(hass, audio.__aiter__(), ENGINE)
    [end] = [event for event in events if event.type is PipelineEventType.STT_END]
    assert end.data == {"stt_output": {"text": "打开客厅的吊灯。"}}
    task = dashscope_server.tasks[-1]
    assert task.parameters["intermediate_result_enabled"] is True
    assert task.run_task["payload"]["input"] == {
        "context": [{"role": "user", "content": [{"type": "input_text", "text": "吊灯"}]}]
    }
    # The service's end finishes the task in the background; its usage is complete after it.
    await hass.async_block_till_done(wait_background_tasks=True)
    stats = entry.runtime_data.recognitions[-1]
    assert stats.tokens is not None
    assert stats.tokens > 0, "usage counted in tokens"
    assert stats.ended_by == ("service" if SERVICE_ENDS_SPEECH else None)
    assert (audio.consumed < audio.total) == SERVICE_ENDS_SPEECH, "the service's end of speech"
    assert dashscope_server.violations == []


@pytest.mark.parametrize("recognizer_data", [default_recognizer(MESSAGE)])
async def test_revised_partials_replace_the_sentence(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    dashscope_server: RunningServer,
    monkeypatch: pytest.MonkeyPatch,
    recognizer_data: dict[str, Any],
) -> None:
    monkeypatch.setattr(dashscope_stt, "PartialSpeechResult", FakePartial)
    dashscope_server.queue(TaskScript(revision="大开"))
    engine = stt.async_get_speech_to_text_entity(hass, "stt.qwen_audio_3_1_asr_flash_message")
    assert engine is not None
    method = engine.async_process_audio_stream_with_progress  # type: ignore[attr-defined]
    updates = [update async for update in method(metadata(), stream(tone(1.0)))]
    partials = [update.text for update in updates if isinstance(update, FakePartial)]
    assert partials[0] == "大开", "the first intermediate text"
    assert all("大开" not in text for text in partials[1:]), "revised: replaced, not appended"
    assert partials[-1] == "打开客厅的灯。"
    assert updates[-1] == stt.SpeechResult("打开客厅的灯。", stt.SpeechResultState.SUCCESS)


async def test_message_model_reports_only_ended_sentences_unless_asked(
    http: Any, dashscope_server: RunningServer
) -> None:
    client = make_client(http, dashscope_server)
    for options in ((), task_options(MODELS[MESSAGE].parameters, {})):
        parameters = RecognitionParameters(MESSAGE, 16000, options=options)
        transcript, texts = await recognize(client, tone(1.0), parameters)
        assert texts[-1] == transcript.text == "打开客厅的灯。"
        assert (len(texts) > 1) == bool(options), "intermediate results only when asked"
        assert transcript.tokens is not None
    assert dashscope_server.violations == []


def test_a_sentence_reported_again_under_its_id_replaces_it() -> None:
    transcript = Transcript()
    assert not transcript.add(Sentence("", sentence_id=1, sentence_begin=True))
    assert transcript.add(Sentence("打开客厅", sentence_id=1))
    assert transcript.add(Sentence("打开客厅的等。", is_final=True, sentence_id=1))
    assert transcript.add(Sentence("打开客厅的灯", sentence_id=1)), "the ended sentence grows again"
    assert transcript.partial is not None
    assert transcript.sentences == []
    assert transcript.add(Sentence("打开客厅的灯。", is_final=True, sentence_id=1))
    assert transcript.add(Sentence("关掉电视。", is_final=True, sentence_id=2))
    assert transcript.add(Sentence("打开客厅的灯吧。", is_final=True, sentence_id=1))
    assert transcript.text == "打开客厅的灯吧。关掉电视。"
    assert not transcript.add(Sentence("", sentence_id=3, sentence_begin=True))
    assert transcript.partial is None, "an empty sentence start shows nothing"


def test_usage_in_tokens_is_the_tasks_total() -> None:
    event = parse_event(
        '{"header": {"task_id": "t", "event": "result-generated"}, "payload": {"output":'
        ' {"sentence": {"text": "开", "sentence_id": 2, "sentence_begin": true}},'
        ' "usage": {"duration": 3, "input_tokens": 37, "output_tokens": 5}}}'
    )
    assert isinstance(event, ResultGenerated)
    assert (event.sentence.sentence_id, event.sentence.sentence_begin) == (2, True)
    assert (event.tokens, event.billed_seconds) == (42, 3)
    transcript = Transcript()
    transcript.add(Sentence("开"), 3, 42)
    transcript.add(Sentence("开灯", is_final=True), 4, 50)
    assert (transcript.tokens, transcript.billed_seconds) == (50, 4), "cumulative, not summed"
    transcript.add(Sentence("开灯吧"), None, 55)
    assert (transcript.tokens, transcript.billed_seconds) == (55, 4)
    transcript.add(Sentence("关灯", is_final=True), 2)
    assert transcript.billed_seconds == 6, "seconds per sentence (Fun-ASR) still add up"
    only_seconds = parse_event(
        '{"header": {"task_id": "t", "event": "result-generated"}, "payload": {"output":'
        ' {"sentence": {"text": "开"}}, "usage": {"duration": 1}}}'
    )
    assert isinstance(only_seconds, ResultGenerated)
    assert only_seconds.tokens is None


@pytest.mark.parametrize(
    ("model", "biasing"),
    [
        ("qwen-audio-3.1-asr-flash-message", Bias.CONTEXT),
        ("qwen-audio-3.1-asr-flash-streaming", Bias.CONTEXT),
        ("qwen-audio-3.0-asr-flash-streaming", Bias.BOTH),
        ("fun-asr-realtime", Bias.BOTH),
        ("fun-asr-realtime-2025-11-07", Bias.BOTH),
        ("fun-asr-realtime-2026-02-28", Bias.VOCABULARY),
        ("qwen3-asr-flash-realtime", Bias.CONTEXT),
        ("paraformer-realtime-v2", Bias.VOCABULARY),
        ("paraformer-realtime-v1", Bias.NONE),
    ],
)
def test_one_catalog_answer_decides_the_biasing(model: str, biasing: Bias) -> None:
    assert MODELS[model].biasing is biasing
    assert biasing.vocabulary == (biasing in (Bias.VOCABULARY, Bias.BOTH))
    assert biasing.context == (biasing in (Bias.CONTEXT, Bias.BOTH))


def test_context_word_lists_stay_within_the_limits() -> None:
    phrases = [Hotword("吊灯"), Hotword("吊灯"), Hotword("x" * 401)]
    names = [Hotword(f"房间{index:03d}") for index in range(400)]
    built = build_context_messages(5, 400, phrases, names)
    assert len(built.texts) == 5
    assert all(len(text) <= 400 for text in built.texts)
    assert built.texts[0].startswith("吊灯, 房间000"), "the engine's phrases first, once"
    reasons = {reason for _, reason in built.skipped}
    assert reasons == {"more than 400 characters", "more than 5 context messages"}
    assert build_context_messages(5, 400).texts == ()


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": [{"type": "input_text", "text": text}]}


def assistant(text: str) -> dict[str, Any]:
    return {"role": "assistant", "content": [{"type": "text", "text": text}]}


@pytest.mark.parametrize(
    ("model", "value", "problem"),
    [
        ("fun-asr-realtime", {"context": [user("客厅"), assistant("好的")]}, None),
        ("fun-asr-realtime", [], "payload.input must be an object"),
        ("fun-asr-realtime", {"other": 1}, "payload.input.other is not taken"),
        ("paraformer-realtime-v2", {"context": []}, "input.context is not taken"),
        ("fun-asr-realtime", {"context": "客厅"}, "input.context must be a list"),
        ("fun-asr-realtime", {"context": [assistant("好的")]}, "without the user message"),
        ("fun-asr-realtime", {"context": [{"role": "x"}]}, "context message"),
        ("fun-asr-realtime", {"context": [{"role": "user", "content": [1]}]}, "context content"),
        (
            MESSAGE,
            {"context": [{"role": "user", "content": [{"type": "text", "text": ""}]}]},
            "type",
        ),
        (MESSAGE, {"context": [user("x" * 300), assistant("y" * 101)]}, "401 characters"),
        (MESSAGE, {"context": [user("客厅")] * 6}, "only the latest 5 are kept"),
    ],
)
def test_the_server_checks_the_context_as_documented(
    model: str, value: Any, problem: str | None
) -> None:
    problems = input_problems(model, value)
    if problem is None:
        assert problems == []
    else:
        assert any(problem in text for text in problems), problems
    assert context_problems([user("客厅")]) == []


@pytest.mark.parametrize(
    "recognizer_data",
    [
        default_recognizer("fun-asr-realtime")
        | {CONF_HOTWORDS: "吊灯=5\n台灯\n" + "长" * 401, CONF_EXPOSED_NAMES: True}
    ],
)
async def test_fun_asr_sends_the_homes_names_as_context(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    dashscope_server: RunningServer,
    area_registry: ar.AreaRegistry,
    recognizer_data: dict[str, Any],
    snapshot,
) -> None:
    """The run-task frame of a Fun-ASR engine: its phrases, then the home's names.

    A phrase longer than a turn's 400 characters is left out (the vocabulary leaves it out too).
    """
    assert await async_setup_component(hass, "homeassistant", {})
    for name in ("客厅", "书房", "Guest room"):
        area_registry.async_create(name)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)  # the vocabulary is made
    engine = stt.async_get_speech_to_text_entity(hass, "stt.fun_asr_realtime")
    assert engine is not None
    await engine.async_process_audio_stream(metadata("zh-CN"), stream(tone(0.5)))
    task = dashscope_server.tasks[-1]
    run_task = dict(task.run_task)
    run_task["header"] = {**run_task["header"], "task_id": "<task id>"}
    parameters = dict(run_task["payload"]["parameters"])
    assert parameters["vocabulary_id"].startswith("vocab-"), "both: a vocabulary and the context"
    parameters["vocabulary_id"] = "<vocabulary id>"
    run_task["payload"] = {**run_task["payload"], "parameters": parameters}
    assert run_task == snapshot.use_extension(HomeAssistantSnapshotExtension)
    assert dashscope_server.violations == []
