"""The speech-to-text entity: streaming, languages, formats and every failure as a result."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
import itertools
from typing import Any

from homeassistant.components import stt
from homeassistant.components.stt import (
    AudioBitRates,
    AudioChannels,
    AudioCodecs,
    AudioFormats,
    AudioSampleRates,
    SpeechMetadata,
    SpeechResultState,
)
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.dashscope import stt as dashscope_stt
from custom_components.dashscope.const import CONF_LANGUAGE_HINTS, CONF_MODEL

from .audio import stream, tone, wav_header
from .conftest import ENTITY_ID, RunningServer
from .dashscope_server import TaskScript


def metadata(language: str = "zh-CN", rate: int = 16000) -> SpeechMetadata:
    return SpeechMetadata(
        language=language,
        format=AudioFormats.WAV,
        codec=AudioCodecs.PCM,
        bit_rate=AudioBitRates.BITRATE_16,
        sample_rate=AudioSampleRates(rate),
        channel=AudioChannels.CHANNEL_MONO,
    )


def entity(hass: HomeAssistant) -> dashscope_stt.DashScopeSpeechToText:
    found = stt.async_get_speech_to_text_entity(hass, ENTITY_ID)
    assert isinstance(found, dashscope_stt.DashScopeSpeechToText)
    return found


async def test_entity_declares_what_the_model_accepts(
    hass: HomeAssistant, setup_integration: MockConfigEntry
) -> None:
    engine = entity(hass)
    assert engine.supported_languages[:5] == ["zh-CN", "zh-TW", "zh-HK", "yue", "en-US"]
    assert "de-DE" in engine.supported_languages
    assert engine.supported_formats == [AudioFormats.WAV, AudioFormats.OGG]
    assert engine.supported_codecs == [AudioCodecs.PCM, AudioCodecs.OPUS]
    assert engine.supported_bit_rates == [AudioBitRates.BITRATE_16]
    # 16 kHz model: 16 kHz as is, higher rates resampled down, never up.
    assert AudioSampleRates.SAMPLERATE_8000 not in engine.supported_sample_rates
    assert AudioSampleRates.SAMPLERATE_16000 in engine.supported_sample_rates
    assert AudioSampleRates.SAMPLERATE_48000 in engine.supported_sample_rates
    assert engine.supported_channels == [AudioChannels.CHANNEL_MONO, AudioChannels.CHANNEL_STEREO]
    assert hass.states.get(ENTITY_ID) is not None


async def test_recognizes_while_audio_streams(
    hass: HomeAssistant, setup_integration: MockConfigEntry, dashscope_server: RunningServer
) -> None:
    """Audio reaches the service and results come back before the stream has ended."""
    audio = tone(2.0)
    seen_before_end: list[int] = []

    async def slow_speaker(index: int) -> None:
        if index == 150:  # 1.5 s in: the service must have heard most of it already
            for _ in range(200):
                if dashscope_server.tasks and len(dashscope_server.tasks[0].audio) >= 44800:
                    break
                await asyncio.sleep(0.01)
            seen_before_end.append(len(dashscope_server.tasks[0].audio))

    result = await entity(hass).async_process_audio_stream(
        metadata(), stream(audio, before_chunk=slow_speaker)
    )

    assert result.result is SpeechResultState.SUCCESS
    assert result.text == "打开客厅的灯。"
    assert seen_before_end[0] >= 44800, "audio was held back instead of streamed"
    [task] = dashscope_server.tasks
    assert bytes(task.audio) == audio
    assert task.parameters["language_hints"] == ["zh"]
    assert dashscope_server.violations == []


@pytest.mark.parametrize(
    ("recognizer_data", "language", "hints"),
    [
        ({CONF_MODEL: "fun-asr-realtime", CONF_LANGUAGE_HINTS: ["en"]}, "zh-CN", ["zh"]),
        ({CONF_MODEL: "fun-asr-realtime", CONF_LANGUAGE_HINTS: []}, "en-US", ["en"]),
        (
            {CONF_MODEL: "paraformer-realtime-v2", CONF_LANGUAGE_HINTS: ["en"]},
            "zh-CN",
            ["zh", "en"],
        ),
        (
            {CONF_MODEL: "paraformer-realtime-v2", CONF_LANGUAGE_HINTS: ["en"]},
            "zh-HK",
            ["yue", "en"],
        ),
        ({CONF_MODEL: "paraformer-realtime-v2", CONF_LANGUAGE_HINTS: []}, "de-DE", ["de"]),
    ],
    ids=["fun-asr-first-only", "fun-asr-english", "v2-extra", "v2-cantonese", "v2-german"],
)
async def test_pipeline_language_comes_first(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    dashscope_server: RunningServer,
    recognizer_data: dict[str, Any],
    language: str,
    hints: list[str],
) -> None:
    engine = stt.async_get_speech_to_text_entity(
        hass, f"stt.{recognizer_data[CONF_MODEL].replace('-', '_')}"
    )
    assert engine is not None
    result = await engine.async_process_audio_stream(metadata(language), stream(tone(0.5)))
    assert result.result is SpeechResultState.SUCCESS
    assert dashscope_server.tasks[0].parameters["language_hints"] == hints
    assert dashscope_server.tasks[0].run_task["payload"]["model"] == recognizer_data[CONF_MODEL]


async def test_wav_header_is_not_sent_as_audio(
    hass: HomeAssistant, setup_integration: MockConfigEntry, dashscope_server: RunningServer
) -> None:
    audio = tone(0.5)
    result = await entity(hass).async_process_audio_stream(
        metadata(), stream(wav_header(len(audio)) + audio, size=1000)
    )
    assert result.result is SpeechResultState.SUCCESS
    assert bytes(dashscope_server.tasks[0].audio) == audio


async def test_silence_gives_empty_text(
    hass: HomeAssistant, setup_integration: MockConfigEntry, dashscope_server: RunningServer
) -> None:
    dashscope_server.queue(TaskScript(sentences=[]))
    result = await entity(hass).async_process_audio_stream(metadata(), stream(tone(0.3)))
    assert result.result is SpeechResultState.SUCCESS
    assert result.text == ""


async def test_empty_stream(
    hass: HomeAssistant, setup_integration: MockConfigEntry, dashscope_server: RunningServer
) -> None:
    result = await entity(hass).async_process_audio_stream(metadata(), stream(b""))
    assert result.result is SpeechResultState.SUCCESS
    assert dashscope_server.tasks[0].finish_received
    assert dashscope_server.violations == []


async def test_failing_audio_stream_is_an_error_result(
    hass: HomeAssistant, setup_integration: MockConfigEntry, dashscope_server: RunningServer, caplog
) -> None:
    async def broken() -> AsyncIterator[bytes]:
        yield bytes(3200)
        raise OSError("microphone unplugged")

    result = await entity(hass).async_process_audio_stream(metadata(), broken())
    assert result.result is SpeechResultState.ERROR
    assert "microphone unplugged" in caplog.text


async def test_unsupported_wav_is_an_error_result(
    hass: HomeAssistant, setup_integration: MockConfigEntry, dashscope_server: RunningServer, caplog
) -> None:
    result = await entity(hass).async_process_audio_stream(
        metadata(), stream(wav_header(3200, bits=8) + bytes(3200))
    )
    assert result.result is SpeechResultState.ERROR
    assert "16-bit PCM" in caplog.text


async def test_service_failure_stops_a_stream_that_is_still_going(
    hass: HomeAssistant, setup_integration: MockConfigEntry, dashscope_server: RunningServer
) -> None:
    """A task-failed mid-utterance returns at once, without waiting for the speaker."""
    dashscope_server.queue(
        TaskScript(fail_code="RequestTimeOut", fail_on="audio", fail_after_bytes=3200)
    )

    async def endless() -> AsyncIterator[bytes]:
        while True:
            yield bytes(320)
            await asyncio.sleep(0.001)

    result = await asyncio.wait_for(
        entity(hass).async_process_audio_stream(metadata(), endless()), 5
    )
    assert result.result is SpeechResultState.ERROR


async def test_cancellation_is_not_swallowed(
    hass: HomeAssistant, setup_integration: MockConfigEntry, dashscope_server: RunningServer
) -> None:
    gate = asyncio.Event()

    async def waiting() -> AsyncIterator[bytes]:
        yield bytes(3200)
        await gate.wait()
        yield bytes(320)

    task = asyncio.create_task(entity(hass).async_process_audio_stream(metadata(), waiting()))
    for _ in range(100):
        if dashscope_server.tasks and dashscope_server.tasks[0].audio:
            break
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(0.05)
    assert dashscope_server.tasks[0].failed == "ClientDisconnect"


@dataclass
class FakePartial:
    """Stands in for 2026.11's PartialSpeechResult on older Home Assistant."""

    text: str
    speaker_id: str | None = None


async def progress(hass: HomeAssistant) -> list[object]:
    """Run one utterance through the 2026.11 progress method; return what it yielded."""
    method = entity(hass).async_process_audio_stream_with_progress
    return [update async for update in method(metadata(), stream(tone(1.0)))]


async def test_partial_results_on_newer_home_assistant(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    dashscope_server: RunningServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(dashscope_stt, "PartialSpeechResult", FakePartial)
    updates = await progress(hass)
    assert all(isinstance(update, FakePartial) for update in updates[:-1])
    partials = [update.text for update in updates[:-1] if isinstance(update, FakePartial)]
    assert len(partials) >= 3
    assert "打开客厅的灯。".startswith(partials[0])
    assert partials[-1] == "打开客厅的灯。"
    assert all(len(a) < len(b) for a, b in itertools.pairwise(partials))
    assert updates[-1] == stt.SpeechResult("打开客厅的灯。", SpeechResultState.SUCCESS)


async def test_partial_results_end_with_an_error_result(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    dashscope_server: RunningServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(dashscope_stt, "PartialSpeechResult", FakePartial)
    dashscope_server.queue(TaskScript(close_after_bytes=9600), TaskScript(close_after_bytes=9600))
    updates = await progress(hass)
    assert isinstance(updates[0], FakePartial)
    assert updates[-1] == stt.SpeechResult(None, SpeechResultState.ERROR)
