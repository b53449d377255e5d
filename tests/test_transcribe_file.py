"""dashscope.transcribe_file: local files and media items through the real-time API."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.setup import async_setup_component
import numpy as np
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.dashscope.client import UnsupportedAudioError
from custom_components.dashscope.client.files import paced, read_audio_file
from custom_components.dashscope.const import DOMAIN
from custom_components.dashscope.validation import vol

from .audio import tone, wav_header
from .conftest import ENTITY_ID, RunningServer
from .dashscope_server import TaskScript

AMR_FRAME = bytes([0x3C]) + bytes(31)  # mode 7 (12.2 kbit/s): 20 ms


@pytest.fixture
def media(hass: HomeAssistant, tmp_path: Path) -> Path:
    """A folder Home Assistant may read."""
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    return tmp_path


async def transcribe(hass: HomeAssistant, **data: Any) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN,
        "transcribe_file",
        {"entity_id": ENTITY_ID, "speed": 10, **data},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    return dict(response)


async def test_wav_file_is_parsed_resampled_and_recognized(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    dashscope_server: RunningServer,
    media: Path,
) -> None:
    stereo = np.repeat(np.frombuffer(tone(1.0, rate=44100), "<i2"), 2).astype("<i2").tobytes()
    (media / "voicemail.wav").write_bytes(wav_header(len(stereo), 44100, 2) + stereo)

    response = await transcribe(hass, file=str(media / "voicemail.wav"))

    assert response["text"] == "打开客厅的灯。"
    assert response["duration"] == pytest.approx(1.0)
    assert response["sentences"][0]["text"] == "打开客厅的灯。"
    assert response["sentences"][0]["begin_ms"] == 0
    [task] = dashscope_server.tasks
    assert response["task_id"] == task.task_id
    assert task.parameters["format"] == "pcm"
    assert task.parameters["sample_rate"] == 16000
    assert len(task.audio) == 32000, "44.1 kHz stereo became 16 kHz mono"
    assert dashscope_server.violations == []


@pytest.mark.parametrize(
    ("name", "content", "audio_format"),
    [
        ("a.mp3", b"ID3\x04\x00\x00\x00\x00\x00\x00" + bytes(12000), "mp3"),
        ("a.ogg", b"OggS\x00\x02" + bytes(22) + b"\x13OpusHead" + bytes(12000), "opus"),
        ("a.aac", b"\xff\xf1\x50\x80" + bytes(12000), "aac"),
        ("a.amr", b"#!AMR\n" + AMR_FRAME * 400, "amr"),
    ],
)
async def test_compressed_files_are_passed_through(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    dashscope_server: RunningServer,
    media: Path,
    name: str,
    content: bytes,
    audio_format: str,
) -> None:
    (media / name).write_bytes(content)
    response = await transcribe(hass, file=str(media / name))
    [task] = dashscope_server.tasks
    assert task.parameters["format"] == audio_format
    assert task.parameters["sample_rate"] == 16000
    assert bytes(task.audio) == content
    assert response["text"] == "打开客厅的灯。"
    if audio_format == "amr":
        assert response["duration"] == pytest.approx(8.0)


async def test_media_source_item(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    dashscope_server: RunningServer,
    tmp_path: Path,
) -> None:
    # Home Assistant allowlists its media folders by default.
    hass.config.media_dirs = {"local": str(tmp_path)}
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    assert await async_setup_component(hass, "media_source", {})
    audio = tone(1.0)
    (tmp_path / "doorbell.wav").write_bytes(wav_header(len(audio)) + audio)
    response = await transcribe(hass, media="media-source://media_source/local/doorbell.wav")
    assert response["text"] == "打开客厅的灯。"
    assert bytes(dashscope_server.tasks[0].audio) == audio


async def test_media_folder_outside_the_allowlist_is_refused(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    dashscope_server: RunningServer,
    tmp_path: Path,
) -> None:
    """A media folder taken out of allowlist_external_dirs is not read through a media id."""
    hass.config.media_dirs = {"local": str(tmp_path)}
    hass.config.allowlist_external_dirs = set()
    assert await async_setup_component(hass, "media_source", {})
    (tmp_path / "doorbell.wav").write_bytes(wav_header(3200) + bytes(3200))
    with pytest.raises(ServiceValidationError) as info:
        await transcribe(hass, media="media-source://media_source/local/doorbell.wav")
    assert info.value.translation_key == "path_not_allowed"
    assert dashscope_server.tasks == []


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"file": "/etc/passwd"}, "path_not_allowed"),
        ({"file": "{media}/../outside.wav"}, "path_not_allowed"),
        ({"file": "{media}/missing.wav"}, "file_not_found"),
        ({"file": "{media}/notes.txt"}, "unsupported_format"),
        ({"file": "{media}/a.wav", "entity_id": "stt.other"}, "not_a_dashscope_engine"),
        ({"media": "media-source://tts/cloud?message=hi"}, "media_not_local"),
        # A name without a type is refused before the local source is asked; with one, the
        # local source refuses the path (the file is read in neither case).
        ({"media": "media-source://media_source/local/../../etc/passwd"}, "unsupported_format"),
        ({"media": "media-source://media_source/local/../../etc/a.wav"}, "media_not_local"),
        ({"media": "media-source://media_source/local/missing.wav"}, "file_not_found"),
        ({"media": "media-source://media_source/nowhere/a.wav"}, "media_not_local"),
        ({"media": "not-a-media-id"}, "media_not_local"),
        ({"media": "media-source://media_source/local/recording"}, "unsupported_format"),
    ],
)
async def test_refused_inputs(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    dashscope_server: RunningServer,
    media: Path,
    data: dict[str, str],
    key: str,
) -> None:
    hass.config.media_dirs = {"local": str(media)}
    assert await async_setup_component(hass, "media_source", {})
    (media / "notes.txt").write_text("not audio")
    (media / "recording").write_bytes(wav_header(3200) + bytes(3200))  # no extension
    (media / "a.wav").write_bytes(wav_header(3200) + bytes(3200))
    data = {name: value.format(media=media) for name, value in data.items()}
    with pytest.raises(ServiceValidationError) as info:
        await transcribe(hass, **data)
    assert info.value.translation_key == key
    assert dashscope_server.tasks == []


@pytest.mark.parametrize(
    "data",
    [{}, {"file": "a", "media": "b"}, {"file": "a", "speed": 50}],
    ids=["none", "both", "fast"],
)
async def test_schema(hass: HomeAssistant, setup_integration: MockConfigEntry, data: dict) -> None:
    with pytest.raises(vol.Invalid):
        await transcribe(hass, **data)


async def test_service_error_is_translated(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    dashscope_server: RunningServer,
    media: Path,
) -> None:
    dashscope_server.queue(
        TaskScript(fail_code="UNSUPPORTED_FORMAT", fail_message="Failed to decode audio")
    )
    (media / "a.wav").write_bytes(wav_header(3200) + bytes(3200))
    with pytest.raises(HomeAssistantError) as info:
        await transcribe(hass, file=str(media / "a.wav"))
    assert info.value.translation_key == "service_error"
    assert "UNSUPPORTED_FORMAT" in str(info.value.translation_placeholders)


@pytest.mark.parametrize(
    ("content", "audio_format"),
    [
        (b"OggS\x00\x02" + bytes(22) + b"Speex   " + bytes(100), "speex"),
        (b"#!AMR\n" + AMR_FRAME * 50, "amr"),
    ],
)
def test_read_audio_file_formats(tmp_path: Path, content: bytes, audio_format: str) -> None:
    path = tmp_path / "f"
    path.write_bytes(content)
    audio = read_audio_file(path)
    assert audio.format == audio_format
    assert audio.data == content


@pytest.mark.parametrize(
    "content",
    [
        b"OggS\x00\x02" + bytes(22) + b"vorbis" + bytes(100),
        b"RIFF\x00\x00\x00\x00WAVEdata",
        b"text",
    ],
    ids=["vorbis", "wav-without-fmt", "text"],
)
def test_read_audio_file_refuses(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "f"
    path.write_bytes(content)
    with pytest.raises(UnsupportedAudioError):
        read_audio_file(path)


async def test_paced_sends_at_real_time() -> None:
    data = bytes(32000)  # one second of 16 kHz PCM
    loop = asyncio.get_running_loop()
    started = loop.time()
    pieces = [piece async for piece in paced(data, 1.0, speed=4.0)]
    elapsed = loop.time() - started
    assert b"".join(pieces) == data
    assert {len(piece) for piece in pieces} == {3200}
    assert 0.2 <= elapsed < 0.5, "a quarter of real time at speed 4"
