"""Audio preparation: what the model is sent for the caller's audio, and its frames.

`AudioInput` checks the declared format against the model, strips the WAV header (wav.py),
downmixes and resamples PCM down to a rate the model takes, or passes compressed audio
through; its `service_rate` and `service_format` are what the task is told (the client reads
them there, once). `AudioFramer` cuts what is sent into ~100 ms WebSocket frames.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import UnsupportedAudioError
from .wav import WavStripper

FRAME_SECONDS = 0.1
MIN_FRAME_BYTES = 1024
MAX_FRAME_BYTES = 16384


PCM_SAMPLE_BYTES = 2  # 16-bit PCM, the only width the service takes


def pcm_bytes_per_second(sample_rate: int, channels: int = 1) -> int:
    """Return how many bytes one second of 16-bit PCM takes."""
    return sample_rate * PCM_SAMPLE_BYTES * channels


def pcm_frame_bytes(sample_rate: int, sample_width: int = 2, channels: int = 1) -> int:
    """Return the size of a ~100 ms frame of PCM, kept within the service's 1-16 KB."""
    frame = int(sample_rate * FRAME_SECONDS) * sample_width * channels
    return max(MIN_FRAME_BYTES, min(MAX_FRAME_BYTES, frame))


def frame_bytes(audio_format: str, sample_rate: int) -> int:
    """Return the frame size for a format: ~100 ms of PCM, 1 KB of compressed audio."""
    return pcm_frame_bytes(sample_rate) if audio_format == "pcm" else MIN_FRAME_BYTES


class PcmConverter:
    """Turn 16-bit PCM of any rate and channel count into mono at the model's rate.

    Stereo is downmixed by averaging. Resampling uses soxr's streaming resampler, whose
    anti-aliasing filter keeps its state from chunk to chunk, so there are no clicks at chunk
    edges; `flush` drains the filter at the end. Chunks may split a sample anywhere.
    """

    def __init__(self, in_rate: int, out_rate: int, channels: int = 1) -> None:
        """Prepare a converter; with equal rates and one channel it passes audio through."""
        if channels < 1 or in_rate <= 0 or out_rate <= 0:
            raise UnsupportedAudioError(f"Cannot convert {channels} channel(s) at {in_rate} Hz")
        self.in_rate = in_rate
        self.out_rate = out_rate
        self.channels = channels
        self._frame = 2 * channels
        self._pending = b""
        self._resampler = (
            _soxr().ResampleStream(in_rate, out_rate, 1, dtype="int16", quality="HQ")
            if in_rate != out_rate
            else None
        )

    @property
    def passthrough(self) -> bool:
        """Return True when audio is sent as it comes."""
        return self._resampler is None and self.channels == 1

    def convert(self, chunk: bytes) -> bytes:
        """Return the converted audio of `chunk` (possibly empty while the filter fills)."""
        if self.passthrough:
            return chunk
        data = self._pending + chunk
        usable = len(data) - len(data) % self._frame
        self._pending = data[usable:]
        return self._process(data[:usable], last=False)

    def flush(self) -> bytes:
        """Return what the resampler still holds at the end of the stream."""
        if self.passthrough:
            return b""
        self._pending = b""  # half a sample at the end is not audio
        return self._process(b"", last=True)

    def _process(self, data: bytes, *, last: bool) -> bytes:
        samples = np.frombuffer(data, dtype="<i2")
        if self.channels > 1:
            frames = samples.reshape(-1, self.channels).astype(np.int32)
            samples = (frames.sum(axis=1) // self.channels).astype(np.int16)
        if self._resampler is not None:
            samples = self._resampler.resample_chunk(samples, last=last)
        return samples.astype("<i2").tobytes()


class AudioFramer:
    """Cut a stream of small chunks into frames of a fixed size.

    Audio is never held back longer than one frame: a frame is emitted as soon as it is full,
    and `flush` returns whatever remains when the stream ends, in whole samples of
    `sample_bytes` (a stray half sample is not audio the service can take).
    """

    def __init__(self, frame_bytes: int, sample_bytes: int = 1) -> None:
        """Create a framer emitting frames of `frame_bytes` (a multiple of `sample_bytes`)."""
        self.frame_bytes = frame_bytes
        self._sample_bytes = sample_bytes
        self._buffer = bytearray()

    def push(self, chunk: bytes) -> list[bytes]:
        """Add a chunk; return the frames it completed."""
        self._buffer += chunk
        size = self.frame_bytes
        if len(self._buffer) < size:
            return []
        count = len(self._buffer) // size
        frames = [bytes(self._buffer[i * size : (i + 1) * size]) for i in range(count)]
        del self._buffer[: count * size]
        return frames

    def flush(self) -> bytes:
        """Return the remaining whole samples (possibly none) and start over."""
        whole = len(self._buffer) - len(self._buffer) % self._sample_bytes
        rest = bytes(self._buffer[:whole])
        self._buffer.clear()
        return rest


@dataclass(frozen=True, slots=True)
class AudioSpec:
    """What the caller says the audio is (Home Assistant's speech metadata)."""

    container: str  # "wav" or "ogg"
    codec: str  # "pcm" or "opus"
    sample_rate: int
    channels: int = 1
    bits: int = 16

    @property
    def bytes_per_second(self) -> int:
        """Return the byte rate of this audio as PCM (what the length cap counts)."""
        return pcm_bytes_per_second(self.sample_rate, self.channels)


def service_sample_rate(rates: tuple[int, ...], sample_rate: int) -> int | None:
    """Return the rate to send for audio at `sample_rate`: itself, or a lower rate the model takes.

    Audio is only ever resampled down: upsampling adds no information and the service
    recommends against it (it distorts 8 kHz telephone audio).
    """
    if sample_rate in rates:
        return sample_rate
    lower = [rate for rate in rates if rate < sample_rate]
    return max(lower) if lower else None


# (container, codec) pairs: WAV/PCM is parsed and converted, the rest is passed through as
# the service's `format` ("file" is a bare compressed file: MP3, ADTS AAC, AMR-NB).
_ACCEPTED = frozenset(
    {
        ("wav", "pcm"),
        ("ogg", "opus"),
        ("ogg", "speex"),
        ("file", "mp3"),
        ("file", "aac"),
        ("file", "amr"),
    }
)

# Every `format` the inference protocol's models take.
ALL_FORMATS = tuple(dict.fromkeys(codec for _, codec in sorted(_ACCEPTED)))


class AudioInput:
    """Prepare one stream for the service: parse WAV, downmix, resample, or pass Opus through."""

    def __init__(
        self,
        spec: AudioSpec,
        model_rates: tuple[int, ...],
        model_formats: Iterable[str] = ALL_FORMATS,
    ) -> None:
        """Check the spec against what the model accepts; raise UnsupportedAudioError if not."""
        self.spec = spec
        pair = (spec.container, spec.codec)
        if pair not in _ACCEPTED:
            raise UnsupportedAudioError(f"Unsupported audio: {spec.codec} in {spec.container}")
        if spec.codec not in model_formats:
            raise UnsupportedAudioError(f"The model does not take {spec.codec} audio")
        if spec.codec == "pcm" and spec.bits != PCM_SAMPLE_BYTES * 8:
            raise UnsupportedAudioError(f"PCM must be 16-bit, not {spec.bits}-bit")
        if spec.channels not in (1, 2):
            raise UnsupportedAudioError(f"Unsupported channel count {spec.channels}")
        rate = service_sample_rate(model_rates, spec.sample_rate)
        if rate is None:
            raise UnsupportedAudioError(
                f"{spec.sample_rate} Hz audio is below the model's {min(model_rates)} Hz"
            )
        self.service_rate = rate
        self.service_format = spec.codec  # PCM is converted; compressed audio passes through
        self._wav = WavStripper() if spec.codec == "pcm" else None
        self._converter = (
            PcmConverter(spec.sample_rate, rate, spec.channels) if spec.codec == "pcm" else None
        )
        self._checked_header = False

    def feed(self, chunk: bytes) -> bytes:
        """Return the audio to send for `chunk`."""
        if self._wav is None or self._converter is None:
            return chunk
        audio = self._wav.feed(chunk)
        self._check_header()
        return self._converter.convert(audio) if audio else b""

    def finish(self) -> bytes:
        """Return the audio still held when the stream ends."""
        if self._wav is None or self._converter is None:
            return b""
        audio = self._wav.finish()
        return self._converter.convert(audio) + self._converter.flush()

    def _check_header(self) -> None:
        """Refuse a WAV header that disagrees with the declared format: never guess."""
        header = self._wav.format if self._wav else None
        if header is None or self._checked_header:
            return
        self._checked_header = True
        if (header.sample_rate, header.channels) != (self.spec.sample_rate, self.spec.channels):
            raise UnsupportedAudioError(
                f"The WAV header says {header.sample_rate} Hz, {header.channels} channel(s); "
                f"the request says {self.spec.sample_rate} Hz, {self.spec.channels} channel(s)"
            )


def _soxr() -> Any:
    """Import soxr when audio is first resampled, not with the package.

    Home Assistant installs a manifest's requirements when the integration is set up, but
    loads its trigger platform for YAML automations at start-up, before that on a new install.
    """
    import soxr  # noqa: PLC0415

    return soxr
