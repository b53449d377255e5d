"""Felt latency on voice commands: the pipeline's VAD, the service's end, a complete command.

    .venv/bin/python scripts/bench --commands           # the table (about 10 minutes)
    .venv/bin/python scripts/bench --commands --quick   # 25 ms one way, one partial delay

20 utterances, half Chinese and half English, synthesized word by word with espeak-ng so that
every word's place in the audio is known: 8 complete local commands said fluently, 4 local
commands with a 300-800 ms pause in the middle, 4 that sound complete and then go on after a
pause, 4 open questions no local intent matches. A Home Assistant test instance has Assist's
local intents, six exposed lights in six areas, and the engine; the local DashScope server
runs in a thread behind a proxy that delays each direction, and is scripted with each
utterance's words (reported `partial_delay_ms` of audio after they end).

Felt latency: from the end of the last word (as the audio is paced in real time) to the
transcript. Cut short: a spoken word missing from the transcript.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
import shutil
import statistics
import subprocess
import sys
import threading
import time
from typing import Any

from homeassistant.components import conversation, stt
from homeassistant.components.assist_pipeline.audio_enhancer import MicroVadSpeexEnhancer
from homeassistant.components.assist_pipeline.vad import VoiceCommandSegmenter
from homeassistant.components.homeassistant.exposed_entities import async_expose_entity
from homeassistant.helpers import area_registry as ar, entity_registry as er
from homeassistant.setup import async_setup_component
import numpy as np
import soxr

from custom_components.dashscope.client.endpointing import COMMAND_SILENCE_MS, text_key
from custom_components.dashscope.commands import HomeCommands
from tests.dashscope_server import TaskScript
from tests.dashscope_server.server import DashScopeServer
from tests.dashscope_server.words import join_words

RATE = 16000
CHUNK = 320  # 10 ms, as the pipeline sends it
WORD_GAP_MS = 40  # between the words of a fluent command
LOUD = 0.02  # a sample this loud (of full scale) is speech, when trimming a word
TRAILING_SECONDS = 3.0  # silence after the last word (a long wait ends by 1.5 s)
PIPELINE_SILENCE = 0.7  # Home Assistant's default VAD silence
SERVICE_SILENCE_MS = 500

# (class, language, words; "|" marks a pause of the given ms before the next word)
CORPUS: list[tuple[str, str, list[str | int]]] = [
    ("fluent", "zh-CN", ["打开", "客厅", "的", "吊灯"]),
    ("fluent", "zh-CN", ["关闭", "卧室", "的", "台灯"]),
    ("fluent", "zh-CN", ["打开", "厨房", "的", "筒灯"]),
    ("fluent", "zh-CN", ["关闭", "吊灯"]),
    ("fluent", "en-US", ["turn", "on", "the", "kitchen", "lamp"]),
    ("fluent", "en-US", ["turn", "off", "the", "desk", "lamp"]),
    ("fluent", "en-US", ["turn", "on", "the", "ceiling", "light"]),
    ("fluent", "en-US", ["turn", "off", "the", "kitchen", "lamp"]),
    ("paused", "zh-CN", ["打开", "客厅", "的", 300, "吊灯"]),
    ("paused", "zh-CN", ["关闭", "卧室", "的", 800, "台灯"]),
    ("paused", "en-US", ["turn", "on", "the", 500, "desk", "lamp"]),
    ("paused", "en-US", ["turn", "off", "the", 650, "ceiling", "light"]),
    ("goes on", "zh-CN", ["打开", "灯", 400, "在", "客厅"]),
    ("goes on", "zh-CN", ["关闭", "灯", 600, "在", "卧室"]),
    ("goes on", "en-US", ["turn", "on", "the", "light", 500, "in", "the", "kitchen"]),
    ("goes on", "en-US", ["turn", "off", "the", "lights", 700, "in", "the", "bedroom"]),
    ("open", "zh-CN", ["讲", "个", "笑话"]),
    ("open", "zh-CN", ["中国", "的", "首都", "是", "哪里"]),
    ("open", "en-US", ["tell", "me", "a", "joke"]),
    ("open", "en-US", ["what", "is", "the", "capital", "of", "france"]),
]
LIGHTS = [  # (object id, name, area)
    ("ceiling_zh", "吊灯", "客厅"),
    ("desk_zh", "台灯", "卧室"),
    ("down_zh", "筒灯", "厨房"),
    ("ceiling", "ceiling light", "Living Room"),
    ("desk", "desk lamp", "Bedroom"),
    ("kitchen", "kitchen lamp", "Kitchen"),
]
MODES = {
    "pipeline VAD": {"end_of_speech": False, "command_end": False},
    f"service end {SERVICE_SILENCE_MS} ms": {"end_of_speech": True, "command_end": False},
    "complete-command end": {"end_of_speech": True, "command_end": True},
}
QWEN = "qwen3-asr-flash-realtime"  # no word times: a word ends when its text arrives
QWEN_MODES = {  # only when asked (`--mode Qwen3`)
    f"Qwen3 service end {SERVICE_SILENCE_MS} ms": {
        "end_of_speech": True,
        "command_end": False,
        "vad_silence_ms": SERVICE_SILENCE_MS,
    },
    "Qwen3 complete-command end": {
        "end_of_speech": True,
        "command_end": True,
        "vad_silence_ms": SERVICE_SILENCE_MS,
    },
}


@dataclass
class Utterance:
    """One synthesized utterance: its audio, words and where they lie (ms)."""

    kind: str
    language: str
    audio: bytes
    words: tuple[tuple[str, int, int], ...]
    vad_end_ms: int  # where the pipeline's VAD ends the stream

    @property
    def last_word_end_ms(self) -> int:
        return self.words[-1][2]

    @property
    def text(self) -> str:
        return join_words([word for word, _, _ in self.words])


def synthesize(word: str, language: str) -> np.ndarray:
    """Return one word as 16 kHz int16 samples, its leading and trailing silence trimmed."""
    voice = "cmn" if language.startswith("zh") else "en-us"
    wav = subprocess.run(
        ["espeak-ng", "-v", voice, "-s", "170", "--stdout", word],
        check=True,
        capture_output=True,
    ).stdout
    rate = int.from_bytes(wav[24:28], "little")
    samples = np.frombuffer(wav[44:], dtype=np.int16).astype(np.float32) / 32768
    samples = soxr.resample(samples, rate, RATE)
    loud = np.nonzero(np.abs(samples) > LOUD)[0]
    samples = samples[loud[0] : loud[-1] + 1] if loud.size else samples[:0]
    return (samples * 32767).astype(np.int16)


def pipeline_vad_end(audio: bytes) -> int:
    """Return where Home Assistant's VAD (microVAD, 0.7 s of silence) ends the stream (ms)."""
    enhancer = MicroVadSpeexEnhancer(0, 0, is_vad_enabled=True)
    segmenter = VoiceCommandSegmenter(silence_seconds=PIPELINE_SILENCE)
    for index in range(0, len(audio) - CHUNK + 1, CHUNK):
        enhanced = enhancer.enhance_chunk(audio[index : index + CHUNK], index // 32)
        if not segmenter.process(0.01, enhanced.speech_probability):
            return (index + CHUNK) // 32
    return len(audio) // 32


def utterance(kind: str, language: str, parts: list[str | int]) -> Utterance:
    pieces: list[np.ndarray] = [np.zeros(int(0.3 * RATE), dtype=np.int16)]
    position = len(pieces[0])
    words = []
    pause = 0
    for part in parts:
        if isinstance(part, int):
            pause = part
            continue
        gap = pause or (WORD_GAP_MS if words else 0)
        pause = 0
        pieces.append(np.zeros(gap * RATE // 1000, dtype=np.int16))
        position += gap * RATE // 1000
        samples = synthesize(part, language)
        words.append((part, position * 1000 // RATE, (position + len(samples)) * 1000 // RATE))
        pieces.append(samples)
        position += len(samples)
    pieces.append(np.zeros(int(TRAILING_SECONDS * RATE), dtype=np.int16))
    audio = np.concatenate(pieces).tobytes()
    return Utterance(kind, language, audio, tuple(words), pipeline_vad_end(audio))


class ServerThread:
    """The local DashScope server on its own event loop and thread."""

    def __init__(self, api_key: str) -> None:
        self.server = DashScopeServer(api_key)
        self.loop = asyncio.new_event_loop()
        self.port = 0
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            self.loop.run_until_complete(self._start())
            ready.set()
            self.loop.run_forever()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        ready.wait()

    async def _start(self) -> None:
        from aiohttp import web  # noqa: PLC0415 - only the bench needs it here

        self.runner = web.AppRunner(self.server.app(), shutdown_timeout=0.1)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = self.runner.addresses[0][1]

    def queue(self, script: TaskScript) -> None:
        """Use `script` for the next task (thread-safe)."""
        done = threading.Event()

        def put() -> None:
            self.server.queue(script)
            done.set()

        self.loop.call_soon_threadsafe(put)
        done.wait()

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()


async def setup_home(hass: Any) -> None:
    """Assist's local intents, six exposed lights in six areas."""
    for component in ("homeassistant", "conversation", "intent", "light"):
        assert await async_setup_component(hass, component, {})
    areas, entities = ar.async_get(hass), er.async_get(hass)
    for object_id, name, area in LIGHTS:
        entry = entities.async_get_or_create(
            "light", "bench", object_id, original_name=name, suggested_object_id=object_id
        )
        entities.async_update_entity(entry.entity_id, area_id=areas.async_create(area).id)
        hass.states.async_set(entry.entity_id, "off", {"friendly_name": name})
        async_expose_entity(hass, conversation.DOMAIN, entry.entity_id, should_expose=True)
    await hass.async_block_till_done()


async def feed(audio: bytes, end_ms: int, start: float) -> Any:
    """Yield 10 ms chunks in real time from `start`, up to `end_ms` (the pipeline's VAD)."""
    for index in range(0, min(len(audio), end_ms * 32), CHUNK):
        due = start + index / 32000
        if (wait := due - time.perf_counter()) > 0:
            await asyncio.sleep(wait)
        yield audio[index : index + CHUNK]


@dataclass
class Cell:
    """One class's samples in one mode."""

    samples: list[float] = field(default_factory=list)  # of the utterances not cut short
    count: int = 0
    cut: int = 0

    def show(self) -> str:
        """Return p50 / p95, and how many were left out for being cut short."""
        if not self.samples:
            return f"all {self.count} cut"
        shown = f"{self.p50():.0f} / {self.p95():.0f} ms"
        return f"{shown} ({self.cut} cut)" if self.cut else shown

    def p50(self) -> float:
        return statistics.median(self.samples) * 1000

    def p95(self) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] * 1000


def metadata(language: str) -> stt.SpeechMetadata:
    return stt.SpeechMetadata(
        language=language,
        format=stt.AudioFormats.WAV,
        codec=stt.AudioCodecs.PCM,
        bit_rate=stt.AudioBitRates.BITRATE_16,
        sample_rate=stt.AudioSampleRates.SAMPLERATE_16000,
        channel=stt.AudioChannels.CHANNEL_MONO,
    )


async def say(
    engine: Any, server: ServerThread, item: Utterance, mode: str, delay_ms: int
) -> tuple[float, bool]:
    """Say one utterance; return the felt latency (s) and whether a word was cut."""
    server.queue(TaskScript(words=item.words, partial_delay_ms=delay_ms, finish_delay=0.05))
    end_ms = item.vad_end_ms if mode == "pipeline VAD" else len(item.audio) // 32
    start = time.perf_counter()
    result = await engine.async_process_audio_stream(
        metadata(item.language), feed(item.audio, end_ms, start)
    )
    latency = time.perf_counter() - (start + item.last_word_end_ms / 1000)
    cut = text_key(result.text or "") != text_key(item.text)
    if cut:
        print(f"cut short ({mode}): {item.text!r} → {result.text!r}", file=sys.stderr, flush=True)
    return latency, cut


async def run(bench: Any, args: Any, proxy_type: Any, api_key: str) -> list[str]:
    """Return the table rows (and print them as they come)."""
    if shutil.which("espeak-ng") is None:
        raise SystemExit("espeak-ng is needed: apt-get install -y espeak-ng")
    await setup_home(bench.hass)
    corpus = [utterance(*entry) for entry in CORPUS]
    commands = HomeCommands(bench.hass)
    verdicts = []
    for item in corpus:
        match = await commands.async_match(item.text, item.language)
        verdicts.append(f"{item.kind}: {item.text!r} → {match.kind.value} {match.name or ''}")
    server = ServerThread(api_key)
    one_way = (25,) if args.quick else (25, 100)
    partial_delays = (100,) if args.quick else (100, 300)
    rows = [
        "| mode | one-way delay | partial delay | fluent p50 / p95 | paused p50 / p95 "
        "| goes on p50 / p95 | open p50 / p95 | cut short |",
        "|---|---|---|---|---|---|---|---|",
    ]
    try:
        for delay in one_way:
            proxy = proxy_type(server.port, delay / 1000)
            await proxy.start()
            for partial in partial_delays:
                for mode, settings in (MODES | QWEN_MODES).items():
                    asked = tuple(args.mode or ())
                    if (asked and not mode.startswith(asked)) or (not asked and mode in QWEN_MODES):
                        continue
                    engine, _ = await bench.engine(
                        proxy.port,
                        QWEN if mode in QWEN_MODES else "fun-asr-realtime",
                        max_sentence_silence=SERVICE_SILENCE_MS,
                        command_silence_ms=COMMAND_SILENCE_MS,
                        **settings,
                    )
                    # Warm: the connection, and each language's intents (as a running home
                    # has them); the open questions take no early end.
                    for warm in (corpus[16], corpus[-1]):
                        await say(engine, server, warm, mode, partial)
                    cells: dict[str, Cell] = {}
                    for item in corpus:
                        latency, cut = await say(engine, server, item, mode, partial)
                        cell = cells.setdefault(item.kind, Cell())
                        cell.count += 1
                        if cut:  # its latency would count from a word it never heard
                            cell.cut += 1
                        else:
                            cell.samples.append(latency)
                    cut_total = sum(cell.cut for cell in cells.values())
                    rows.append(
                        f"| {mode} | {delay} ms | {partial} ms | "
                        + " | ".join(cell.show() for cell in cells.values())
                        + f" | {cut_total} of {len(corpus)} |"
                    )
                    print(rows[-1], flush=True)
            await proxy.stop()
    finally:
        server.stop()
    vad = statistics.median(item.vad_end_ms - item.last_word_end_ms for item in corpus)
    return [
        *rows,
        "",
        f"Home Assistant's VAD (microVAD, {PIPELINE_SILENCE:g} s of silence) ended these "
        f"recordings {vad:.0f} ms after the last word (median); the transcript follows after "
        "`finish-task` and a round trip.",
        "",
        "What Home Assistant's strict matching says about each whole utterance:",
        "",
        *(f"- {verdict}" for verdict in verdicts),
    ]
