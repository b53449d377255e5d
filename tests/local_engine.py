"""A second speech-to-text engine for the tests: a small integration with one stt entity.

It stands for a local engine (Whisper, SenseVoice through Wyoming) as Home Assistant sees any
engine: registered by its own config entry and platform, asked through the public stt API.
It keeps what it was given and answers with a fixed text.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from contextlib import asynccontextmanager

from homeassistant.components import stt
from homeassistant.config_entries import ConfigEntry, ConfigFlow
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockModule,
    MockPlatform,
    mock_config_flow,
    mock_integration,
    mock_platform,
)

LOCAL_DOMAIN = "local_stt"
LOCAL_ENTITY_ID = "stt.local_engine"
LOCAL_TEXT = "打开客厅的灯"  # what the local engine hears (no punctuation, unlike DashScope)


class LocalEngine(stt.SpeechToTextEntity):
    """Answers every utterance with `LOCAL_TEXT` once its stream has ended."""

    _attr_name = "Local engine"
    _attr_unique_id = "local-engine"

    def __init__(self) -> None:
        """Nothing heard yet."""
        self.heard: list[bytes] = []
        self.metadata: list[stt.SpeechMetadata] = []
        self.fail = False

    @property
    def supported_languages(self) -> list[str]:
        """Return the languages (Whisper's bare tags, unlike DashScope's regional ones)."""
        return ["zh", "en"]

    @property
    def supported_formats(self) -> list[stt.AudioFormats]:
        """Return WAV."""
        return [stt.AudioFormats.WAV]

    @property
    def supported_codecs(self) -> list[stt.AudioCodecs]:
        """Return PCM."""
        return [stt.AudioCodecs.PCM]

    @property
    def supported_bit_rates(self) -> list[stt.AudioBitRates]:
        """Return 16 bit."""
        return [stt.AudioBitRates.BITRATE_16]

    @property
    def supported_sample_rates(self) -> list[stt.AudioSampleRates]:
        """Return 16 kHz."""
        return [stt.AudioSampleRates.SAMPLERATE_16000]

    @property
    def supported_channels(self) -> list[stt.AudioChannels]:
        """Return mono."""
        return [stt.AudioChannels.CHANNEL_MONO]

    async def async_process_audio_stream(
        self, metadata: stt.SpeechMetadata, stream: AsyncIterable[bytes]
    ) -> stt.SpeechResult:
        """Read the whole utterance, then answer."""
        audio = bytearray()
        async for chunk in stream:
            audio += chunk
        self.heard.append(bytes(audio))
        self.metadata.append(metadata)
        if self.fail:
            return stt.SpeechResult(None, stt.SpeechResultState.ERROR)
        return stt.SpeechResult(LOCAL_TEXT, stt.SpeechResultState.SUCCESS)


class LocalEngineFlow(ConfigFlow):
    """The local engine's config flow (its entry is made by the test)."""

    VERSION = 1


@asynccontextmanager
async def local_engine_set_up(hass: HomeAssistant) -> AsyncIterator[LocalEngine]:
    """Register the local engine's integration and set up its one entity."""
    with mock_config_flow(LOCAL_DOMAIN, LocalEngineFlow):
        yield await _async_setup(hass)


async def _async_setup(hass: HomeAssistant) -> LocalEngine:
    engine = LocalEngine()

    async def async_setup_entry(hass: HomeAssistant, entry: ConfigEntry) -> bool:
        await hass.config_entries.async_forward_entry_setups(entry, ["stt"])
        return True

    async def async_unload_entry(hass: HomeAssistant, entry: ConfigEntry) -> bool:
        return await hass.config_entries.async_unload_platforms(entry, ["stt"])

    async def async_setup_platform(
        hass: HomeAssistant,
        entry: ConfigEntry,
        async_add_entities: AddConfigEntryEntitiesCallback,
    ) -> None:
        async_add_entities([engine])

    mock_integration(
        hass,
        MockModule(
            LOCAL_DOMAIN,
            async_setup_entry=async_setup_entry,
            async_unload_entry=async_unload_entry,
        ),
    )
    mock_platform(hass, f"{LOCAL_DOMAIN}.stt", MockPlatform(async_setup_entry=async_setup_platform))
    mock_platform(hass, f"{LOCAL_DOMAIN}.config_flow")  # set up from a config entry
    entry = MockConfigEntry(domain=LOCAL_DOMAIN)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert engine.entity_id == LOCAL_ENTITY_ID
    return engine
