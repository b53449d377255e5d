"""WAV files and streams: the header is read (and dropped), the PCM after it passed on."""

from __future__ import annotations

from dataclasses import dataclass
import struct

from .errors import UnsupportedAudioError

_WAVE_FORMAT_PCM = 1
_WAVE_FORMAT_EXTENSIBLE = 0xFFFE
_MAX_HEADER_BYTES = 64 * 1024
_RIFF_HEADER_BYTES = 12
_FMT_BYTES = 16
_PCM_BITS = 16
# What a real recording's header can say; beyond, it lies (and would resample to nothing).
_MIN_RATE = 1_000
_MAX_RATE = 768_000
_MAX_CHANNELS = 32


@dataclass(frozen=True, slots=True)
class WavFormat:
    """The `fmt ` chunk of a WAV file (always 16-bit PCM: anything else is refused)."""

    channels: int
    sample_rate: int


class WavStripper:
    """Pass raw PCM through; parse and drop a WAV header found at the start of the stream.

    The Assist pipeline sends raw PCM even when it declares WAV, while an HTTP upload of a
    `.wav` file starts with a RIFF header that must not reach the service as audio.
    """

    def __init__(self) -> None:
        """Start in the state where the first bytes decide."""
        self._pending = bytearray()
        self._decided = False
        self.format: WavFormat | None = None

    def feed(self, chunk: bytes) -> bytes:
        """Return the audio in `chunk` (header bytes removed)."""
        if self._decided:
            return chunk
        self._pending += chunk
        if len(self._pending) < _RIFF_HEADER_BYTES:
            return b""
        if self._pending[:4] != b"RIFF" or self._pending[8:12] != b"WAVE":
            return self._release(0)
        data_offset = self._parse_header()
        if data_offset is None:
            if len(self._pending) > _MAX_HEADER_BYTES:
                raise UnsupportedAudioError("WAV header without a data chunk")
            return b""
        return self._release(data_offset)

    def finish(self) -> bytes:
        """Return bytes still held (a stream shorter than a header is taken as audio).

        A WAV header that never reached its data chunk (a chunk size pointing past the end
        of the file) is an error, not an empty recording.
        """
        if self._decided:
            return b""
        if self._pending[:4] == b"RIFF" and self._pending[8:12] == b"WAVE":
            self._decided = True
            self._pending.clear()
            raise UnsupportedAudioError(
                "WAV header without its data chunk (a chunk size points past the end)"
            )
        return self._release(0)

    def _release(self, offset: int) -> bytes:
        self._decided = True
        audio = bytes(self._pending[offset:])
        self._pending.clear()
        return audio

    def _parse_header(self) -> int | None:
        """Return the offset of the audio data, or None until the header is complete."""
        data = self._pending
        offset = _RIFF_HEADER_BYTES
        while offset + 8 <= len(data):
            chunk_id = bytes(data[offset : offset + 4])
            (size,) = struct.unpack_from("<I", data, offset + 4)
            body = offset + 8
            if chunk_id == b"data":
                return body
            if chunk_id == b"fmt ":
                if size < _FMT_BYTES:
                    raise UnsupportedAudioError(f"WAV format chunk of {size} bytes")
                if body + _FMT_BYTES > len(data):
                    return None
                tag, channels, rate, _, align, bits = struct.unpack_from("<HHIIHH", data, body)
                if tag not in (_WAVE_FORMAT_PCM, _WAVE_FORMAT_EXTENSIBLE) or bits != _PCM_BITS:
                    raise UnsupportedAudioError(
                        f"WAV audio must be 16-bit PCM (format tag {tag}, {bits} bits)"
                    )
                if (
                    not _MIN_RATE <= rate <= _MAX_RATE
                    or not 1 <= channels <= _MAX_CHANNELS
                    or align != channels * _PCM_BITS // 8
                ):
                    raise UnsupportedAudioError(
                        f"WAV header with {rate} Hz, {channels} channel(s) and {align}-byte "
                        "frames: not a recording's"
                    )
                self.format = WavFormat(channels, rate)
            offset = body + size + (size & 1)
        if offset - len(data) > _MAX_HEADER_BYTES:
            raise UnsupportedAudioError("WAV header with a chunk size past any header's end")
        return None
