"""Audio preparation: resampling with anti-aliasing, downmix, WAV headers, Opus passthrough."""

from __future__ import annotations

from pathlib import Path
import struct

import numpy as np
import pytest

from custom_components.dashscope.client import (
    AudioInput,
    AudioSpec,
    PcmConverter,
    UnsupportedAudioError,
    service_sample_rate,
)
from custom_components.dashscope.client.files import read_audio_file

from .audio import tone, wav_header

RATE = 16000


def sine(frequency: float, seconds: float = 1.0, rate: int = RATE) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (8000 * np.sin(2 * np.pi * frequency * t)).astype("<i2")


def convert(converter: PcmConverter, data: bytes, chunk: int = 320) -> np.ndarray:
    out = b"".join(converter.convert(data[i : i + chunk]) for i in range(0, len(data), chunk))
    return np.frombuffer(out + converter.flush(), dtype="<i2").astype(float)


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(samples**2)))


def peak_frequency(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.argmax(spectrum) * rate / len(samples))


@pytest.mark.parametrize("frequency", [300.0, 1000.0, 3000.0])
def test_downsampling_keeps_frequency_and_level(frequency: float) -> None:
    out = convert(PcmConverter(RATE, 8000), sine(frequency).tobytes())
    assert len(out) == 8000, "one second in, one second out"
    assert peak_frequency(out, 8000) == pytest.approx(frequency, abs=2)
    assert rms(out[400:-400]) == pytest.approx(8000 / np.sqrt(2), rel=0.05)


@pytest.mark.parametrize("frequency", [4500.0, 6000.0, 7500.0])
def test_no_aliasing_above_the_new_nyquist(frequency: float) -> None:
    """A naive decimator folds 6 kHz onto 2 kHz; an anti-aliasing filter removes it."""
    out = convert(PcmConverter(RATE, 8000), sine(frequency).tobytes())
    assert rms(out[400:-400]) < 8000 / np.sqrt(2) * 0.01


def test_sine_sweep() -> None:
    """100 Hz to 7.9 kHz: the part below 3.6 kHz survives, the part above 4.4 kHz is gone."""
    t = np.arange(2 * RATE) / RATE
    f0, f1 = 100.0, 7900.0
    frequency = f0 + (f1 - f0) * t / 2
    phase = 2 * np.pi * (f0 * t + (f1 - f0) * t**2 / 4)
    sweep = (8000 * np.sin(phase)).astype("<i2")
    out = convert(PcmConverter(RATE, 8000), sweep.tobytes())
    assert len(out) == RATE
    out_frequency = frequency[::2]
    passband = out[(out_frequency > 200) & (out_frequency < 3600)]
    stopband = out[out_frequency > 4400]
    assert rms(passband) == pytest.approx(8000 / np.sqrt(2), rel=0.05)
    assert rms(stopband) < 80
    spectrum = np.abs(np.fft.rfft(out)) ** 2
    assert spectrum.sum() > 0


def test_chunk_edges_make_no_clicks() -> None:
    """Odd chunk sizes (split samples) give the same audio as one big chunk."""
    data = sine(1000.0).tobytes()
    whole = convert(PcmConverter(RATE, 8000), data, chunk=len(data))
    pieces = convert(PcmConverter(RATE, 8000), data, chunk=333)
    assert len(whole) == len(pieces)
    # Rounding may differ by a few LSB; a click at a chunk edge would be hundreds.
    assert np.max(np.abs(whole - pieces)) <= 4


def test_stereo_is_downmixed() -> None:
    left = sine(500.0)
    right = np.zeros_like(left)
    stereo = np.column_stack([left, right]).reshape(-1).astype("<i2")
    out = convert(PcmConverter(RATE, RATE, channels=2), stereo.tobytes(), chunk=321)
    assert len(out) == RATE
    assert np.max(np.abs(out - left.astype(float) / 2)) <= 1


def test_mono_at_the_right_rate_passes_through() -> None:
    converter = PcmConverter(RATE, RATE)
    assert converter.passthrough
    assert converter.convert(b"\x01\x02\x03") == b"\x01\x02\x03"
    assert converter.flush() == b""


@pytest.mark.parametrize(
    ("rates", "rate", "expected"),
    [
        ((16000,), 16000, 16000),
        ((16000,), 48000, 16000),
        ((16000,), 8000, None),
        ((8000,), 16000, 8000),
        ((8000, 16000, 44100), 22000, 16000),
    ],
)
def test_service_sample_rate(rates, rate, expected) -> None:
    assert service_sample_rate(rates, rate) == expected


def test_wav_upload_at_44k_stereo_becomes_16k_mono() -> None:
    spec = AudioSpec("wav", "pcm", 44100, channels=2)
    audio = AudioInput(spec, (16000,))
    stereo = np.repeat(sine(440.0, rate=44100), 2).astype("<i2").tobytes()
    data = wav_header(len(stereo), rate=44100, channels=2) + stereo
    out = b"".join(audio.feed(data[i : i + 4000]) for i in range(0, len(data), 4000))
    out += audio.finish()
    samples = np.frombuffer(out, "<i2").astype(float)
    assert audio.service_rate == 16000
    assert audio.service_format == "pcm"
    assert len(samples) == 16000
    assert peak_frequency(samples, 16000) == pytest.approx(440, abs=2)


def test_wav_header_that_contradicts_the_request_is_refused() -> None:
    audio = AudioInput(AudioSpec("wav", "pcm", 16000), (16000,))
    with pytest.raises(UnsupportedAudioError, match="WAV header says 44100 Hz"):
        audio.feed(wav_header(100, rate=44100) + bytes(100))


def test_opus_is_passed_through() -> None:
    audio = AudioInput(AudioSpec("ogg", "opus", 48000), (16000,))
    assert audio.service_format == "opus"
    assert audio.service_rate == 16000
    assert audio.feed(b"OggS\x00\x02") == b"OggS\x00\x02"
    assert audio.finish() == b""


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (AudioSpec("wav", "opus", 16000), "opus in wav"),
        (AudioSpec("ogg", "pcm", 16000), "pcm in ogg"),
        (AudioSpec("wav", "pcm", 16000, bits=24), "16-bit"),
        (AudioSpec("wav", "pcm", 16000, channels=6), "channel"),
        (AudioSpec("wav", "pcm", 8000), "below"),
    ],
)
def test_unsupported_audio_is_a_clear_error(spec: AudioSpec, message: str) -> None:
    with pytest.raises(UnsupportedAudioError, match=message):
        AudioInput(spec, (16000,))


def test_converter_rejects_nonsense() -> None:
    with pytest.raises(UnsupportedAudioError):
        PcmConverter(0, 8000)


def lying(header: bytes, offset: int, fmt: str, value: int) -> bytes:
    """Return `header` with one field rewritten."""
    out = bytearray(header)
    struct.pack_into(fmt, out, offset, value)
    return bytes(out)


PCM = tone(0.1)
GOOD = wav_header(len(PCM))
LYING_HEADERS = {
    # The format chunk's size points past the end: no data chunk is ever found.
    "format-chunk-past-the-end": (lying(GOOD, 16, "<I", 5000), "data chunk"),
    "format-chunk-past-any-header": (lying(GOOD, 16, "<I", 0xFFFFFFF0), "chunk size"),
    "format-chunk-too-short": (lying(GOOD, 16, "<I", 8), "format chunk of 8 bytes"),
    "rate-4294967295-hz": (lying(GOOD, 24, "<I", 0xFFFFFFFF), "4294967295 Hz"),
    "65535-channels": (lying(GOOD, 22, "<H", 0xFFFF), "65535 channel"),
    "frames-that-are-not-samples": (lying(GOOD, 32, "<H", 3), "3-byte frames"),
}


@pytest.mark.parametrize(("header", "message"), LYING_HEADERS.values(), ids=LYING_HEADERS.keys())
def test_a_wav_file_whose_header_lies_is_refused(
    header: bytes, message: str, tmp_path: Path
) -> None:
    """Never silently empty: a header that lies is an UnsupportedAudioError."""
    path = tmp_path / "lying.wav"
    path.write_bytes(header + PCM)
    with pytest.raises(UnsupportedAudioError, match=message):
        read_audio_file(path)


def test_an_honest_wav_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "honest.wav"
    path.write_bytes(GOOD + PCM)
    audio_file = read_audio_file(path)
    assert audio_file.data == PCM
    assert audio_file.duration == pytest.approx(0.1)
