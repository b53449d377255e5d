"""Ending the utterance on the service's own end of speech."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import dataclasses
from typing import Any

from homeassistant.components import stt
from homeassistant.components.assist_pipeline import PipelineEventType
from homeassistant.components.stt import SpeechResultState
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.dashscope import stt as dashscope_stt
from custom_components.dashscope.client import Endpointing, Timeouts
from custom_components.dashscope.const import CONF_END_OF_SPEECH
from custom_components.dashscope.recognizer import default_recognizer

from .audio import CHUNK_BYTES, tone
from .conftest import ENTITY_ID, SERVICE_ENDS_SPEECH, RunningServer
from .dashscope_server import TaskScript
from .test_pipeline import run_pipeline
from .test_stt import metadata

ON = default_recognizer("fun-asr-realtime") | {CONF_END_OF_SPEECH: True}
OFF = default_recognizer("fun-asr-realtime") | {CONF_END_OF_SPEECH: False}
TEXT = "打开客厅的灯。"  # 7 characters: 350 ms of speech at 1600 bytes each


class CountingStream:
    """Pipeline-like audio that counts how much of it the entity consumed."""

    def __init__(self, seconds: float) -> None:
        self.audio = tone(seconds)
        self.consumed = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for start in range(0, len(self.audio), CHUNK_BYTES):
            await asyncio.sleep(0.002)  # paced like the pipeline, at 5x real time
            self.consumed += CHUNK_BYTES
            yield self.audio[start : start + CHUNK_BYTES]

    @property
    def total(self) -> int:
        return len(self.audio)


def engine(hass: HomeAssistant) -> dashscope_stt.DashScopeSpeechToText:
    found = stt.async_get_speech_to_text_entity(hass, ENTITY_ID)
    assert isinstance(found, dashscope_stt.DashScopeSpeechToText)
    return found


@pytest.mark.parametrize("recognizer_data", [ON])
async def test_ends_on_the_services_final_sentence(
    hass: HomeAssistant, setup_integration: MockConfigEntry, dashscope_server: RunningServer
) -> None:
    audio = CountingStream(5.0)  # 0.35 s of speech, then silence
    result = await engine(hass).async_process_audio_stream(metadata(), audio.__aiter__())

    assert result == stt.SpeechResult(TEXT, SpeechResultState.SUCCESS)
    # The service ended the sentence 500 ms (max_sentence_silence) after the speech:
    # about 0.85 s of 5 s was read, give or take the frames in flight.
    assert audio.consumed < audio.total / 3
    # The task finishes in the background (finish-task, task-finished), without the caller.
    [task] = dashscope_server.tasks
    for _ in range(100):
        if task.finished:
            break
        await asyncio.sleep(0.01)
    assert task.finish_received
    assert task.finished
    assert dashscope_server.violations == [], "no audio after finish-task"
    stats = setup_integration.runtime_data.recognitions[-1]
    assert stats.ended_by == "service"

    # The connection is reused by the next utterance.
    again = await engine(hass).async_process_audio_stream(
        metadata(), CountingStream(2.0).__aiter__()
    )
    assert again.text == TEXT
    assert [t.connection for t in dashscope_server.tasks] == [1, 1]


@pytest.mark.parametrize("recognizer_data", [OFF])
async def test_off_keeps_reading_until_the_pipeline_ends(
    hass: HomeAssistant, setup_integration: MockConfigEntry, dashscope_server: RunningServer
) -> None:
    audio = CountingStream(3.0)
    result = await engine(hass).async_process_audio_stream(metadata(), audio.__aiter__())
    assert result.text == TEXT
    assert audio.consumed == audio.total
    assert bytes(dashscope_server.tasks[0].audio) == audio.audio
    assert setup_integration.runtime_data.recognitions[-1].ended_by is None


@pytest.mark.parametrize("recognizer_data", [ON])
async def test_a_cough_does_not_end_the_command(
    hass: HomeAssistant, setup_integration: MockConfigEntry, dashscope_server: RunningServer
) -> None:
    """A one-character sentence (50 ms of speech) is final but too short to end it."""
    dashscope_server.queue(TaskScript(sentences=["咳", TEXT]))
    audio = CountingStream(5.0)
    result = await engine(hass).async_process_audio_stream(metadata(), audio.__aiter__())
    assert result.text == "咳" + TEXT
    assert audio.consumed < audio.total / 2


@pytest.mark.parametrize("recognizer_data", [ON])
async def test_silence_is_capped(
    hass: HomeAssistant, setup_integration: MockConfigEntry, dashscope_server: RunningServer
) -> None:
    """No speech at all: the length cap ends the utterance (15 s; 1 s here)."""
    entity = engine(hass)
    entity._recognizer = dataclasses.replace(
        entity._recognizer, endpointing=Endpointing(on_service_end=True, max_seconds=1.0)
    )
    dashscope_server.queue(TaskScript(sentences=[]))
    audio = CountingStream(5.0)
    result = await entity.async_process_audio_stream(metadata(), audio.__aiter__())
    assert result == stt.SpeechResult("", SpeechResultState.SUCCESS)
    assert audio.consumed == 32000
    assert len(dashscope_server.tasks[0].audio) == 32000
    assert setup_integration.runtime_data.recognitions[-1].ended_by == "length_cap"


@pytest.mark.parametrize(
    "recognizer_data", [ON | {"semantic_punctuation_enabled": True}], ids=["semantic"]
)
async def test_semantic_segmentation_ends_sooner(
    hass: HomeAssistant, setup_integration: MockConfigEntry, dashscope_server: RunningServer
) -> None:
    audio = CountingStream(5.0)
    result = await engine(hass).async_process_audio_stream(metadata(), audio.__aiter__())
    assert result.text == TEXT
    assert audio.consumed < 0.8 * 32000, "no silence needed once the sentence is complete"


@pytest.mark.skipif(
    not SERVICE_ENDS_SPEECH, reason="Home Assistant 2026.2 has no SpeechAudioProcessing"
)
@pytest.mark.parametrize(
    ("recognizer_data", "external"), [(ON, False), (OFF, True)], ids=["on", "off"]
)
async def test_declared_to_the_pipeline(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    recognizer_data: dict[str, Any],
    external: bool,
) -> None:
    """With end of speech on, the pipeline's own VAD (and its 15 s cap) stands aside."""
    assert engine(hass).audio_processing == stt.SpeechAudioProcessing(
        requires_external_vad=external,
        prefers_auto_gain_enabled=True,
        prefers_noise_reduction_enabled=True,
    )


@pytest.mark.skipif(
    SERVICE_ENDS_SPEECH, reason="only Home Assistant before 2026.5 lacks SpeechAudioProcessing"
)
@pytest.mark.parametrize("recognizer_data", [ON])
async def test_nothing_declared_where_home_assistant_cannot_take_it(
    hass: HomeAssistant, setup_integration: MockConfigEntry
) -> None:
    assert engine(hass).audio_processing is None


@pytest.mark.parametrize("recognizer_data", [ON])
async def test_pipeline_gets_stt_end_before_its_audio_ends(
    hass: HomeAssistant, setup_integration: MockConfigEntry, dashscope_server: RunningServer
) -> None:
    hass.config.language = "zh-Hans"
    hass.config.country = "CN"
    audio = CountingStream(10.0)
    events = await run_pipeline(hass, audio.__aiter__())
    [end] = [event for event in events if event.type is PipelineEventType.STT_END]
    assert end.data == {"stt_output": {"text": TEXT}}
    assert audio.consumed < audio.total / 5, "stt-end came while the audio was still flowing"


@pytest.mark.parametrize("recognizer_data", [ON])
async def test_a_stalled_background_finish_discards_the_connection(
    hass: HomeAssistant, setup_integration: MockConfigEntry, dashscope_server: RunningServer
) -> None:
    client = setup_integration.runtime_data.client
    client.timeouts = Timeouts(start=1.0, finish=0.2)
    dashscope_server.queue(TaskScript(stall_finish=True))
    result = await engine(hass).async_process_audio_stream(
        metadata(), CountingStream(3.0).__aiter__()
    )
    assert result.text == TEXT, "the answer does not wait for the stalled finish"
    await asyncio.sleep(0.4)
    assert client.connections.open_connections == 0
    next_audio = CountingStream(2.0).__aiter__()
    again = await engine(hass).async_process_audio_stream(metadata(), next_audio)
    assert again.text == TEXT
    assert [t.connection for t in dashscope_server.tasks] == [1, 2]


@pytest.mark.parametrize("recognizer_data", [ON])
async def test_unload_while_finishing_leaves_nothing_behind(
    hass: HomeAssistant, setup_integration: MockConfigEntry, dashscope_server: RunningServer
) -> None:
    client = setup_integration.runtime_data.client
    dashscope_server.queue(TaskScript(stall_finish=True))
    result = await engine(hass).async_process_audio_stream(
        metadata(), CountingStream(3.0).__aiter__()
    )
    assert result.text == TEXT
    assert await hass.config_entries.async_unload(setup_integration.entry_id)
    assert client.connections.open_connections == 0


@pytest.mark.parametrize("recognizer_data", [ON, OFF], ids=["on", "off"])
async def test_pipeline_end_first_gives_the_same_text(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    dashscope_server: RunningServer,
    recognizer_data: dict[str, Any],
) -> None:
    """The pipeline's VAD ends the stream before the service's silence: same text either way."""
    audio = CountingStream(0.45)  # 350 ms of speech, 100 ms of silence (less than 500 ms)
    result = await engine(hass).async_process_audio_stream(metadata(), audio.__aiter__())
    assert result.text == TEXT
    assert audio.consumed == audio.total
    assert setup_integration.runtime_data.recognitions[-1].ended_by is None


@pytest.mark.parametrize("recognizer_data", [ON])
async def test_every_sentence_counts_once_the_audio_is_over(
    hass: HomeAssistant, setup_integration: MockConfigEntry, dashscope_server: RunningServer
) -> None:
    """A busy service reports nothing before finish-task: its first final sentence is no end."""
    dashscope_server.queue(TaskScript(sentences=[TEXT, "谢谢。"], results_after_finish=True))
    audio = CountingStream(1.0)
    result = await engine(hass).async_process_audio_stream(metadata(), audio.__aiter__())
    assert result == stt.SpeechResult(TEXT + "谢谢。", SpeechResultState.SUCCESS)
    assert audio.consumed == audio.total
    assert setup_integration.runtime_data.recognitions[-1].ended_by is None


@pytest.mark.parametrize("recognizer_data", [ON])
async def test_a_short_pause_between_sentences_does_not_end_the_command(
    hass: HomeAssistant, setup_integration: MockConfigEntry, dashscope_server: RunningServer
) -> None:
    """VAD segmentation ends a sentence only after max_sentence_silence: both are heard."""
    dashscope_server.queue(TaskScript(sentences=[TEXT, "谢谢。"], pause_ms=200))
    audio = CountingStream(5.0)
    result = await engine(hass).async_process_audio_stream(metadata(), audio.__aiter__())
    assert result.text == TEXT + "谢谢。"
    assert audio.consumed < audio.total / 3, "the silence after the speech ended it"
    assert setup_integration.runtime_data.recognitions[-1].ended_by == "service"
