"""The stand-in engine: reads the whole utterance, answers with a fixed text."""

from __future__ import annotations

from collections.abc import AsyncIterable
from typing import Any

from homeassistant.components import stt
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

TEXT = "打开客厅的灯"


async def async_setup_entry(
    hass: HomeAssistant, entry: ConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """Add the one engine."""
    async_add_entities([LocalEngine()])


class LocalEngine(stt.SpeechToTextEntity):
    """Answers `TEXT`; its attributes say what it was given last."""

    _attr_name = "Local engine"
    _attr_unique_id = "local-engine"

    def __init__(self) -> None:
        """Nothing heard yet."""
        self._heard: dict[str, Any] = {}

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Return how much audio the last utterance had, and in which language."""
        return self._heard

    supported_languages = property(lambda _: ["zh", "en"])
    supported_formats = property(lambda _: [stt.AudioFormats.WAV])
    supported_codecs = property(lambda _: [stt.AudioCodecs.PCM])
    supported_bit_rates = property(lambda _: [stt.AudioBitRates.BITRATE_16])
    supported_sample_rates = property(lambda _: [stt.AudioSampleRates.SAMPLERATE_16000])
    supported_channels = property(lambda _: [stt.AudioChannels.CHANNEL_MONO])

    async def async_process_audio_stream(
        self, metadata: stt.SpeechMetadata, stream: AsyncIterable[bytes]
    ) -> stt.SpeechResult:
        """Read the utterance, then answer."""
        heard = 0
        async for chunk in stream:
            heard += len(chunk)
        self._heard = {"heard_bytes": heard, "language": metadata.language}
        self.async_write_ha_state()
        return stt.SpeechResult(TEXT, stt.SpeechResultState.SUCCESS)
