"""The fallback's edges: a missing or failing fallback, no loops, the kept audio's cap."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.stt import SpeechResultState
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.dashscope import fallback, stt as dashscope_stt
from custom_components.dashscope.client.prices import Price
from custom_components.dashscope.const import CONF_FALLBACK, CONF_LANGUAGE_HINTS, CONF_MODEL
from custom_components.dashscope.fallback import (
    LocalEndOfSpeech,
    UtteranceAudio,
    bytes_per_second,
    pcm_end_of_speech,
)
from custom_components.dashscope.usage import EngineUsage

from .audio import stream, tone
from .conftest import ENTITY_ID, RunningServer
from .local_engine import LOCAL_ENTITY_ID, LOCAL_TEXT, LocalEngine, local_engine_set_up
from .test_resilience import recognize
from .test_stt import metadata


@pytest.fixture
async def local_engine(hass: HomeAssistant) -> AsyncIterator[LocalEngine]:
    """The second engine, set up beside DashScope."""
    async with local_engine_set_up(hass) as engine:
        yield engine


def with_fallback(entity_id: str) -> dict[str, Any]:
    return {CONF_MODEL: "fun-asr-realtime", CONF_LANGUAGE_HINTS: [], CONF_FALLBACK: entity_id}


async def stop(entry: MockConfigEntry, server: RunningServer) -> None:
    await entry.runtime_data.client.connections.close_idle()
    await server.stop()


@pytest.mark.parametrize("recognizer_data", [with_fallback("stt.not_there")])
async def test_a_missing_fallback_is_an_error(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    dashscope_server: RunningServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await stop(setup_integration, dashscope_server)
    result = await recognize(hass)
    assert result.result is SpeechResultState.ERROR
    assert "The fallback speech-to-text engine stt.not_there does not exist" in caplog.text


@pytest.mark.parametrize("recognizer_data", [with_fallback(LOCAL_ENTITY_ID)])
@pytest.mark.parametrize("how", ["error result", "exception"])
async def test_a_failing_fallback_is_an_error(
    hass: HomeAssistant,
    local_engine: LocalEngine,
    setup_integration: MockConfigEntry,
    dashscope_server: RunningServer,
    monkeypatch: pytest.MonkeyPatch,
    how: str,
) -> None:
    if how == "exception":

        async def broken(*_args: Any, **_kwargs: Any) -> None:
            raise RuntimeError("the local engine crashed")

        monkeypatch.setattr(local_engine, "async_process_audio_stream", broken)
    else:
        local_engine.fail = True
    await stop(setup_integration, dashscope_server)
    result = await recognize(hass)
    assert result.result is SpeechResultState.ERROR
    assert hass.states.get("sensor.fun_asr_realtime_fallback_answers_this_month").state == "0"


@pytest.mark.parametrize("recognizer_data", [with_fallback(ENTITY_ID)])
async def test_an_engine_is_not_its_own_fallback(
    hass: HomeAssistant, setup_integration: MockConfigEntry, dashscope_server: RunningServer
) -> None:
    await stop(setup_integration, dashscope_server)
    assert (await recognize(hass)).result is SpeechResultState.ERROR


@pytest.mark.parametrize("recognizer_data", [with_fallback(LOCAL_ENTITY_ID)])
async def test_a_failed_audio_source_is_not_sent_to_the_fallback(
    hass: HomeAssistant,
    local_engine: LocalEngine,
    setup_integration: MockConfigEntry,
    dashscope_server: RunningServer,
) -> None:
    from .test_stt import entity  # noqa: PLC0415 - shared helper

    async def broken() -> AsyncIterator[bytes]:
        yield bytes(3200)
        raise OSError("the satellite went away")

    result = await entity(hass).async_process_audio_stream(metadata(), broken())
    assert result.result is SpeechResultState.ERROR
    assert local_engine.heard == []


async def test_the_kept_audio_has_the_replays_cap() -> None:
    """60 s are kept: a reader that starts late gets the last 60 s, then the rest."""
    chunk = bytes(320)
    audio = UtteranceAudio(stream(chunk * 100), bytes_per_second=320, end_of_speech=None)
    audio.start()
    await asyncio.sleep(0.01)
    late = [piece async for piece in audio.chunks(local_end=True)]
    assert len(late) == 60
    await audio.close()


async def test_the_kept_audio_is_dropped_when_closed() -> None:
    async def endless() -> AsyncIterator[bytes]:
        while True:
            yield bytes(320)
            await asyncio.sleep(0)

    audio = UtteranceAudio(endless(), bytes_per_second=32000, end_of_speech=None)
    audio.start()
    await asyncio.sleep(0.01)
    await audio.close()
    assert [piece async for piece in audio.chunks(local_end=True)] == []


def test_local_end_of_speech_needs_speech_first() -> None:
    detector = LocalEndOfSpeech(16000, 1, 500)
    assert not detector.push(bytes(32000))  # a second of silence: nobody spoke yet
    assert not detector.push(tone(0.2))  # too short to be a command
    assert not detector.push(bytes(3))  # an odd byte waits for its pair
    assert not detector.push(tone(0.2)[:-1])  # 0.4 s of speech: a command
    assert not detector.push(bytes(15000))  # not yet the engine's 500 ms of silence
    assert not detector.push(bytes(1))  # a lone byte is no sample
    assert detector.push(bytes(1100))  # 0.5 s of silence


def test_compressed_audio_has_no_local_end_of_speech() -> None:
    opus = metadata()
    opus.codec = "opus"  # type: ignore[assignment]
    assert pcm_end_of_speech(opus, 500) is None
    assert bytes_per_second(opus) == fallback.COMPRESSED_BYTES_PER_SECOND
    assert bytes_per_second(metadata()) == 32000


def test_usage_starts_again_each_month(freezer: FrozenDateTimeFactory) -> None:
    usage = EngineUsage(Price(1.0, "CNY", "second", "2026-12-07", "https://example.invalid"))
    usage.audio_seconds, usage.recognitions, usage.failures, usage.fallbacks = 9.0, 3, 2, 1
    usage.roll_over()
    assert usage.cost == 9.0
    freezer.tick(timedelta(days=32))
    usage.roll_over()
    assert (usage.audio_seconds, usage.recognitions, usage.failures, usage.fallbacks) == (
        0.0,
        0,
        0,
        0,
    )


@pytest.mark.parametrize("recognizer_data", [with_fallback(LOCAL_ENTITY_ID)])
async def test_an_engine_answering_as_a_fallback_falls_back_no_further(
    hass: HomeAssistant,
    local_engine: LocalEngine,
    setup_integration: MockConfigEntry,
    dashscope_server: RunningServer,
) -> None:
    """Two DashScope engines that are each other's fallback cannot ask each other for ever."""
    await stop(setup_integration, dashscope_server)
    token = dashscope_stt._AS_FALLBACK.set(True)  # this engine is answering for another
    try:
        assert (await recognize(hass)).result is SpeechResultState.ERROR
    finally:
        dashscope_stt._AS_FALLBACK.reset(token)
    assert local_engine.heard == []
    assert (await recognize(hass)).text == LOCAL_TEXT  # asked for itself, it falls back


async def test_the_fallbacks_copy_is_capped_without_a_local_end_of_speech() -> None:
    """Compressed audio has no local end of speech: the entity's 15 s cap still ends it."""

    async def endless() -> AsyncIterator[bytes]:
        while True:
            yield bytes(1000)
            await asyncio.sleep(0)

    audio = UtteranceAudio(endless(), bytes_per_second=1000, end_of_speech=None, max_seconds=15)
    audio.start()
    heard = [piece async for piece in audio.chunks(local_end=True)]
    assert len(heard) == 15
    assert audio.speech_ended.is_set()
    await audio.close()
