"""Audio files: what format a file is, how long it lasts, and pacing it like a live stream."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from .audio import MAX_FRAME_BYTES, MIN_FRAME_BYTES, pcm_bytes_per_second
from .errors import UnsupportedAudioError
from .wav import WavStripper

# AMR-NB frame sizes in bytes by frame type, without the one-byte header (RFC 4867).
_AMR_FRAME_BYTES = (12, 13, 15, 17, 19, 20, 26, 31, 5, 0, 0, 0, 0, 0, 0, 0)
_SYNC_BYTE = 0xFF
_MP3_SYNC = 0xE0
_ADTS_LAYER_MASK = 0x06


@dataclass(frozen=True, slots=True)
class AudioFile:
    """A file's audio, ready for the service."""

    format: str  # the service's `format`: pcm, mp3, opus, speex, aac or amr
    data: bytes  # for WAV, the PCM after the header
    duration: float | None  # seconds, when it can be known
    sample_rate: int | None = None  # PCM only
    channels: int = 1


def read_audio_file(path: Path) -> AudioFile:
    """Read and identify an audio file (blocking: run it in an executor)."""
    raw = path.read_bytes()
    head = raw[:64]
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        stripper = WavStripper()
        pcm = stripper.feed(raw) + stripper.finish()
        if stripper.format is None:
            raise UnsupportedAudioError("WAV file without a format chunk")
        fmt = stripper.format
        duration = len(pcm) / pcm_bytes_per_second(fmt.sample_rate, fmt.channels)
        return AudioFile("pcm", pcm, duration, fmt.sample_rate, fmt.channels)
    if head.startswith(b"OggS"):
        if b"OpusHead" in head:
            return AudioFile("opus", raw, _mutagen_duration(path))
        if b"Speex   " in head:
            return AudioFile("speex", raw, _mutagen_duration(path))
        raise UnsupportedAudioError("Ogg files must hold Opus or Speex")
    if head.startswith(b"#!AMR\n"):
        return AudioFile("amr", raw, _amr_duration(raw))
    if head.startswith(b"ID3") or (
        len(head) > 1 and head[0] == _SYNC_BYTE and head[1] & _MP3_SYNC == _MP3_SYNC
    ):
        layer = head[1] & _ADTS_LAYER_MASK if head[0] == _SYNC_BYTE else 1
        audio_format = "aac" if layer == 0 else "mp3"  # ADTS frames have layer bits 00
        return AudioFile(audio_format, raw, _mutagen_duration(path))
    raise UnsupportedAudioError(
        "Unsupported audio file: use WAV (PCM), MP3, Ogg Opus/Speex, AAC (ADTS) or AMR-NB"
    )


def _mutagen_duration(path: Path) -> float | None:
    try:
        from mutagen import File  # noqa: PLC0415
    except ImportError:
        return None  # then pacing assumes a bitrate
    try:
        info = File(path)
    except Exception:  # noqa: BLE001 - a foreign file may upset the parser; the length is optional
        return None
    length = getattr(getattr(info, "info", None), "length", None)
    return float(length) if length else None


def _amr_duration(raw: bytes) -> float:
    offset, frames = 6, 0
    while offset < len(raw):
        frame_type = (raw[offset] >> 3) & 0x0F
        offset += 1 + _AMR_FRAME_BYTES[frame_type]
        frames += 1
    return frames * 0.02


async def paced(data: bytes, duration: float | None, speed: float) -> AsyncIterator[bytes]:
    """Yield ~100 ms pieces of a file, `speed` times faster than real time.

    The service asks for audio at roughly real-time pace; `speed` > 1 is faster and may be
    refused by the service. Without a known duration, 16 kB/s (128 kbit/s) is assumed.
    """
    bytes_per_second = len(data) / duration if duration else 16000.0
    size = int(min(MAX_FRAME_BYTES, max(MIN_FRAME_BYTES, bytes_per_second * 0.1)))
    size -= size % 2
    loop = asyncio.get_running_loop()
    start = loop.time()
    for index, offset in enumerate(range(0, len(data), size)):
        due = start + index * size / bytes_per_second / speed
        if (wait := due - loop.time()) > 0:
            await asyncio.sleep(wait)
        yield data[offset : offset + size]
