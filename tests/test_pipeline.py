"""The entity as Home Assistant uses it: the HTTP API and a real Assist pipeline run."""

from __future__ import annotations

from collections.abc import AsyncIterator
from http import HTTPStatus
from typing import Any

from homeassistant.components import stt
from homeassistant.components.assist_pipeline import (
    AudioSettings,
    PipelineEvent,
    PipelineEventType,
    PipelineStage,
    async_pipeline_from_audio_stream,
)
from homeassistant.components.assist_pipeline.const import DOMAIN as ASSIST_DOMAIN
from homeassistant.components.assist_pipeline.pipeline import KEY_ASSIST_PIPELINE
from homeassistant.core import Context, HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import language
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.dashscope.const import CONF_LANGUAGE_HINTS, CONF_MODEL

from .audio import stream, tone, wav_header
from .conftest import ENTITY_ID, RunningServer
from .dashscope_server import TaskScript


async def post_audio(
    client: Any,
    body: bytes,
    *,
    container: str = "wav",
    codec: str = "pcm",
    rate: int = 16000,
    channels: int = 1,
    language: str = "zh-CN",
) -> Any:
    """POST audio to the stt HTTP API with its X-Speech-Content header."""
    header = (
        f"format={container}; codec={codec}; sample_rate={rate}; bit_rate=16; "
        f"channel={channels}; language={language}"
    )
    return await client.post(
        f"/api/stt/{ENTITY_ID}", data=body, headers={"X-Speech-Content": header}
    )


async def test_http_api(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    dashscope_server: RunningServer,
    hass_client,
) -> None:
    client = await hass_client()
    # No newline byte in the body: the 2026.2 view splits the upload at newlines.
    audio = bytes(12000)  # 375 ms: enough audio for the 7 scripted characters
    response = await post_audio(client, wav_header(len(audio)) + audio)
    assert response.status == HTTPStatus.OK
    assert await response.json() == {"text": "打开客厅的灯。", "result": "success"}
    assert bytes(dashscope_server.tasks[0].audio) == audio


async def test_http_api_rejects_unsupported_metadata(
    hass: HomeAssistant, setup_integration: MockConfigEntry, hass_client
) -> None:
    client = await hass_client()
    response = await post_audio(client, bytes(1000), language="sw-KE")
    assert response.status == HTTPStatus.UNSUPPORTED_MEDIA_TYPE
    info = await client.get(f"/api/stt/{ENTITY_ID}")
    body = await info.json()
    assert "zh-CN" in body["languages"]
    assert body["sample_rates"] == [16000, 18900, 22000, 32000, 37800, 44100, 48000]
    assert body["channels"] == [1, 2]
    assert body["formats"] == ["wav", "ogg"]
    assert body["codecs"] == ["pcm", "opus"]


async def run_pipeline(
    hass: HomeAssistant, audio: bytes | AsyncIterator[bytes], entity_id: str = ENTITY_ID
) -> list[PipelineEvent]:
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, ASSIST_DOMAIN, {})
    engine = stt.async_get_speech_to_text_entity(hass, entity_id)
    assert engine is not None
    # What the pipeline editor picks for the home's language and country.
    stt_language = language.matches(
        hass.config.language, engine.supported_languages, country=hass.config.country
    )[0]
    pipeline = await hass.data[KEY_ASSIST_PIPELINE].pipeline_store.async_create_item(
        {
            "conversation_engine": "conversation.home_assistant",
            "conversation_language": hass.config.language,
            "language": hass.config.language,
            "name": "DashScope",
            "stt_engine": entity_id,
            "stt_language": stt_language,
            "tts_engine": None,
            "tts_language": None,
            "tts_voice": None,
            "wake_word_entity": None,
            "wake_word_id": None,
        }
    )
    events: list[PipelineEvent] = []
    await async_pipeline_from_audio_stream(
        hass,
        context=Context(),
        event_callback=events.append,
        stt_metadata=stt.SpeechMetadata(
            language="",
            format=stt.AudioFormats.WAV,
            codec=stt.AudioCodecs.PCM,
            bit_rate=stt.AudioBitRates.BITRATE_16,
            sample_rate=stt.AudioSampleRates.SAMPLERATE_16000,
            channel=stt.AudioChannels.CHANNEL_MONO,
        ),
        stt_stream=stream(audio) if isinstance(audio, bytes) else audio,
        pipeline_id=pipeline.id,
        start_stage=PipelineStage.STT,
        end_stage=PipelineStage.STT,
        audio_settings=AudioSettings(is_vad_enabled=False),
    )
    return events


async def test_assist_pipeline_run(
    hass: HomeAssistant, setup_integration: MockConfigEntry, dashscope_server: RunningServer
) -> None:
    hass.config.language = "zh-Hans"
    hass.config.country = "CN"
    audio = tone(1.0)
    events = await run_pipeline(hass, audio)

    types = [event.type for event in events]
    assert PipelineEventType.STT_START in types
    [end] = [event for event in events if event.type is PipelineEventType.STT_END]
    assert end.data == {"stt_output": {"text": "打开客厅的灯。"}}
    [task] = dashscope_server.tasks
    assert task.parameters["language_hints"] == ["zh"]
    assert bytes(task.audio) == audio


async def test_assist_pipeline_reports_a_failure(
    hass: HomeAssistant, setup_integration: MockConfigEntry, dashscope_server: RunningServer
) -> None:
    dashscope_server.queue(
        TaskScript(fail_code="ModelNotFound", fail_message="Model can not be found.")
    )
    events = await run_pipeline(hass, tone(0.5))
    [error] = [event for event in events if event.type is PipelineEventType.ERROR]
    assert error.data is not None
    assert error.data["code"] == "stt-stream-failed"


@pytest.mark.parametrize(
    "recognizer_data", [{CONF_MODEL: "fun-asr-flash-8k-realtime", CONF_LANGUAGE_HINTS: []}]
)
async def test_8k_model_in_a_16k_pipeline(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    dashscope_server: RunningServer,
    recognizer_data: dict[str, Any],
) -> None:
    """The pipeline's 16 kHz audio reaches an 8 kHz model resampled, at half the bytes."""
    hass.config.language = "zh-Hans"
    hass.config.country = "CN"
    dashscope_server.default_script.bytes_per_char = 800  # 50 ms of 8 kHz audio
    audio = tone(1.0)
    events = await run_pipeline(hass, audio, "stt.fun_asr_flash_8k_realtime")
    [end] = [event for event in events if event.type is PipelineEventType.STT_END]
    assert end.data == {"stt_output": {"text": "打开客厅的灯。"}}
    [task] = dashscope_server.tasks
    assert task.parameters["sample_rate"] == 8000
    assert task.parameters["format"] == "pcm"
    assert len(task.audio) == len(audio) // 2
    assert set(task.frame_sizes[:-1]) == {1600}


async def test_http_api_stereo_44k_wav(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    dashscope_server: RunningServer,
    hass_client,
) -> None:
    client = await hass_client()
    stereo = bytes(17640)  # 100 ms of 44.1 kHz stereo; no newline byte in the body
    response = await post_audio(
        client, wav_header(len(stereo), rate=44100, channels=2) + stereo, rate=44100, channels=2
    )
    assert response.status == HTTPStatus.OK
    [task] = dashscope_server.tasks
    assert task.parameters["sample_rate"] == 16000
    assert len(task.audio) == 3200  # 100 ms of 16 kHz mono


async def test_http_api_ogg_opus_is_passed_through(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    dashscope_server: RunningServer,
    hass_client,
) -> None:
    client = await hass_client()
    ogg = b"OggS" + bytes(3000)
    response = await post_audio(client, ogg, container="ogg", codec="opus")
    assert response.status == HTTPStatus.OK
    [task] = dashscope_server.tasks
    assert task.parameters["format"] == "opus"
    assert bytes(task.audio) == ogg
