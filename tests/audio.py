"""Audio for tests: silence and tones as the Assist pipeline would deliver them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
import math
import struct

CHUNK_BYTES = 320  # 10 ms of 16 kHz 16-bit mono, as the pipeline re-chunks it


def tone(seconds: float, rate: int = 16000, frequency: float = 440.0) -> bytes:
    """Return a sine tone as 16-bit mono PCM."""
    count = int(seconds * rate)
    return struct.pack(
        f"<{count}h",
        *(int(8000 * math.sin(2 * math.pi * frequency * i / rate)) for i in range(count)),
    )


def wav_header(data_bytes: int, rate: int = 16000, channels: int = 1, bits: int = 16) -> bytes:
    """Return a 44-byte WAV header for PCM data."""
    block = channels * bits // 8
    return (
        b"RIFF"
        + struct.pack("<I", 36 + data_bytes)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * block, block, bits)
        + b"data"
        + struct.pack("<I", data_bytes)
    )


def chunks(audio: bytes, size: int = CHUNK_BYTES) -> list[bytes]:
    """Cut audio into pipeline-sized chunks."""
    return [audio[i : i + size] for i in range(0, len(audio), size)]


async def stream(
    audio: bytes,
    *,
    size: int = CHUNK_BYTES,
    before_chunk: Callable[[int], Awaitable[None]] | None = None,
) -> AsyncIterator[bytes]:
    """Yield audio in chunks; `before_chunk(i)` may pause the stream like a slow speaker."""
    for index, chunk in enumerate(chunks(audio, size)):
        if before_chunk is not None:
            await before_chunk(index)
        yield chunk
