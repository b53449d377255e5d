"""Test-only component for the live test: receives an stt entity's partial results.

Home Assistant 2026.11's Assist pipeline keeps only the final result, so no pipeline event
carries partials. This action streams a WAV file to an stt entity in real time through the
public `internal_async_process_audio_stream_with_progress` and returns every partial and the
final text.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
import wave

from homeassistant.components import stt
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.helpers.typing import ConfigType

DOMAIN = "dashscope_probe"
CHUNK_BYTES = 320  # 10 ms, as the pipeline sends


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register `dashscope_probe.recognize`."""

    async def recognize(call: ServiceCall) -> ServiceResponse:
        entity = stt.async_get_speech_to_text_entity(hass, call.data["entity_id"])
        assert entity is not None
        audio = await hass.async_add_executor_job(_read_pcm, Path(call.data["file"]))

        async def paced() -> AsyncIterator[bytes]:
            for start in range(0, len(audio), CHUNK_BYTES):
                await asyncio.sleep(0.01)
                yield audio[start : start + CHUNK_BYTES]

        metadata = stt.SpeechMetadata(
            language=call.data.get("language", "zh-CN"),
            format=stt.AudioFormats.WAV,
            codec=stt.AudioCodecs.PCM,
            bit_rate=stt.AudioBitRates.BITRATE_16,
            sample_rate=stt.AudioSampleRates.SAMPLERATE_16000,
            channel=stt.AudioChannels.CHANNEL_MONO,
        )
        partials: list[str] = []
        final: dict[str, str | None] = {}
        async for result in entity.internal_async_process_audio_stream_with_progress(
            metadata, paced()
        ):
            if isinstance(result, stt.PartialSpeechResult):
                partials.append(result.text)
            else:
                final = {"text": result.text, "result": str(result.result)}
        return {"partials": partials, **final}

    hass.services.async_register(
        DOMAIN, "recognize", recognize, supports_response=SupportsResponse.ONLY
    )
    return True


def _read_pcm(path: Path) -> bytes:
    with wave.open(str(path)) as wav:
        return wav.readframes(wav.getnframes())
