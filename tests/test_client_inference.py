"""The recognition session against the local DashScope server."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension

from custom_components.dashscope.client import (
    AudioInput,
    AudioSpec,
    DashScopeAuthError,
    DashScopeClient,
    DashScopeConnectionError,
    DashScopeError,
    DashScopeModelNotFoundError,
    DashScopeNoSpeechError,
    DashScopeTaskError,
    DashScopeTimeoutError,
    Endpoint,
    Endpointing,
    RecognitionParameters,
    Region,
    Timeouts,
    Transcript,
    Utterance,
)

from .audio import chunks, tone
from .conftest import API_KEY, CLIENTS, RunningServer
from .dashscope_server import TaskScript

PARAMETERS = RecognitionParameters("fun-asr-realtime", 16000, language_hints=("zh",))


def make_client(
    http: aiohttp.ClientSession, server: RunningServer, key: str = API_KEY, **timeouts: float
) -> DashScopeClient:
    endpoint = Endpoint.resolve(Region.CUSTOM, url=server.url)
    client = DashScopeClient(http, key, endpoint, timeouts=Timeouts(**timeouts))
    CLIENTS.append(client)
    return client


async def recognize(
    client: DashScopeClient, audio: bytes, parameters: RecognitionParameters = PARAMETERS
) -> tuple[Transcript, list[str]]:
    """Send audio in 10 ms chunks while reading results, as the stt entity does."""
    texts: list[str] = []
    async with client.recognition(parameters) as session:

        async def send() -> None:
            for chunk in chunks(audio):
                await session.send_audio(chunk)
                await asyncio.sleep(0)
            await session.finish()

        sender = asyncio.create_task(send())
        try:
            texts.extend([transcript.text async for transcript in session.results()])
        finally:
            sender.cancel()
            await asyncio.gather(sender, return_exceptions=True)
        return session.transcript, texts


async def test_recognition_round_trip(http, dashscope_server: RunningServer, snapshot) -> None:
    audio = tone(1.0)
    transcript, texts = await recognize(make_client(http, dashscope_server), audio)

    assert transcript.text == "打开客厅的灯。"
    assert texts[-1] == "打开客厅的灯。"
    assert len(texts) > 2, "intermediate results grow the text"
    # The text only grows; it repeats once, when the sentence ends with the same text.
    assert all(texts[i] != texts[i + 1] for i in range(len(texts) - 2))
    assert texts[-2] == texts[-1]
    [task] = dashscope_server.tasks
    assert bytes(task.audio) == audio
    assert task.finished
    # ~100 ms frames; only the last one may be shorter.
    assert set(task.frame_sizes[:-1]) == {3200}
    assert 0 < task.frame_sizes[-1] <= 3200
    assert dashscope_server.violations == []
    assert dashscope_server.headers[0]["Authorization"] == f"Bearer {API_KEY}"
    run_task = dict(task.run_task)
    run_task["header"] = {**run_task["header"], "task_id": "<task id>"}
    # Home Assistant's extension keeps the file in tests/snapshots on every harness release.
    assert run_task == snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.mark.parametrize("signal", ["sentence_end", "end_time", "both"])
async def test_either_final_signal_ends_a_sentence(
    http, dashscope_server: RunningServer, signal: str
) -> None:
    dashscope_server.queue(
        TaskScript(sentences=["你好。", "今天天气怎么样？"], final_signal=signal, partials=False)
    )
    transcript, _ = await recognize(make_client(http, dashscope_server), tone(1.0))

    assert [sentence.text for sentence in transcript.sentences] == ["你好。", "今天天气怎么样？"]
    assert transcript.partial is None
    assert transcript.text == "你好。今天天气怎么样？"


@pytest.mark.parametrize(
    ("options", "sentences"),
    [
        ((), ["你好。今天天气怎么样？"]),
        ((("semantic_punctuation_enabled", True),), ["你好。", "今天天气怎么样？"]),
    ],
    ids=["vad", "semantic"],
)
async def test_a_short_pause_ends_a_sentence_only_with_semantic_segmentation(
    http, dashscope_server: RunningServer, options: tuple, sentences: list[str]
) -> None:
    dashscope_server.queue(TaskScript(sentences=["你好。", "今天天气怎么样？"], pause_ms=200))
    parameters = RecognitionParameters("fun-asr-realtime", 16000, options=options)
    transcript, _ = await recognize(make_client(http, dashscope_server), tone(1.0), parameters)
    assert [sentence.text for sentence in transcript.sentences] == sentences


async def test_unfinished_sentence_keeps_its_last_partial(
    http, dashscope_server: RunningServer
) -> None:
    dashscope_server.queue(
        TaskScript(sentences=["你好。", "晚安吧"], bytes_per_char=3200, finalize_on_finish=False)
    )
    # 0.4 s = 4 characters: "你好。" is final, "晚" is still growing when the audio ends.
    transcript, _ = await recognize(make_client(http, dashscope_server), tone(0.4))

    assert transcript.text == "你好。晚"
    assert transcript.partial is not None


async def test_heartbeats_are_skipped(http, dashscope_server: RunningServer) -> None:
    dashscope_server.queue(TaskScript(heartbeat_every=1))
    transcript, texts = await recognize(make_client(http, dashscope_server), tone(1.0))

    assert transcript.text == "打开客厅的灯。"
    assert "" not in texts


async def test_english_sentences_are_spaced(http, dashscope_server: RunningServer) -> None:
    dashscope_server.queue(
        TaskScript(sentences=["Turn on the light.", "Thanks."], bytes_per_char=100)
    )
    parameters = RecognitionParameters("paraformer-realtime-v2", 16000, language_hints=("en",))
    transcript, _ = await recognize(make_client(http, dashscope_server), tone(0.5), parameters)

    assert transcript.text == "Turn on the light. Thanks."
    assert dashscope_server.tasks[0].parameters["language_hints"] == ["en"]


@pytest.mark.parametrize(
    ("status", "error"),
    [(401, DashScopeAuthError), (403, DashScopeAuthError), (503, DashScopeConnectionError)],
)
async def test_refused_handshake(http, dashscope_server: RunningServer, status, error) -> None:
    dashscope_server.handshake_status = status
    with pytest.raises(error) as info:
        await recognize(make_client(http, dashscope_server), tone(0.2))
    assert API_KEY not in str(info.value)


async def test_wrong_key_is_an_auth_error(http, dashscope_server: RunningServer) -> None:
    with pytest.raises(DashScopeAuthError):
        await recognize(make_client(http, dashscope_server, key="sk-wrong"), tone(0.2))
    assert dashscope_server.tasks == []


async def test_unreachable_service(http, unused_tcp_port_factory, socket_enabled) -> None:
    endpoint = Endpoint.resolve(Region.CUSTOM, url=f"ws://127.0.0.1:{unused_tcp_port_factory()}")
    client = DashScopeClient(http, API_KEY, endpoint)
    with pytest.raises(DashScopeConnectionError):
        await recognize(client, tone(0.2))


@pytest.mark.parametrize("fail_on", ["run", "audio", "finish"])
@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("ModelNotFound", DashScopeModelNotFoundError),
        ("RequestTimeOut", DashScopeTaskError),
        ("NO_VALID_AUDIO_ERROR", DashScopeNoSpeechError),
        ("InvalidApiKey", DashScopeAuthError),
    ],
)
async def test_task_failed(http, dashscope_server: RunningServer, fail_on, code, error) -> None:
    dashscope_server.queue(
        TaskScript(fail_code=code, fail_message="scripted", fail_on=fail_on, fail_after_bytes=6400)
    )
    with pytest.raises(error) as info:
        await recognize(make_client(http, dashscope_server), tone(1.0))
    if error is not DashScopeAuthError:
        assert info.value.code == code
        assert info.value.message == "scripted"


async def test_unknown_model_is_reported(http, dashscope_server: RunningServer) -> None:
    parameters = RecognitionParameters("fun-asr-realtime-2099-01-01", 16000)
    with pytest.raises(DashScopeModelNotFoundError) as info:
        await recognize(make_client(http, dashscope_server), tone(0.2), parameters)
    assert info.value.code == "ModelNotFound"


async def test_connection_dropped_twice(http, dashscope_server: RunningServer) -> None:
    dashscope_server.queue(TaskScript(close_after_bytes=6400), TaskScript(close_after_bytes=6400))
    with pytest.raises(DashScopeConnectionError):
        await recognize(make_client(http, dashscope_server), tone(1.0))


async def test_stall_before_task_started_is_bounded(http, dashscope_server: RunningServer) -> None:
    dashscope_server.queue(TaskScript(stall_start=True))
    started = time.monotonic()
    with pytest.raises(DashScopeTimeoutError):
        await recognize(make_client(http, dashscope_server, start=0.3), tone(0.2))
    assert time.monotonic() - started < 3
    assert dashscope_server.violations == []


async def test_missing_task_finished_after_the_finals_keeps_the_text(
    http, dashscope_server: RunningServer
) -> None:
    """Every sentence ended; only `task-finished` never comes: the text, after the deadline."""
    dashscope_server.queue(TaskScript(stall_finish=True))
    started = time.monotonic()
    transcript, _ = await recognize(make_client(http, dashscope_server, finish=0.3), tone(0.5))
    assert transcript.text == "打开客厅的灯。"
    assert time.monotonic() - started < 3
    assert dashscope_server.tasks[0].finish_received
    assert len(dashscope_server.tasks) == 1, "no replay"


async def test_a_final_that_never_comes_is_a_timeout(http, dashscope_server: RunningServer) -> None:
    """A sentence still partial when the deadline passes is not passed off as final."""
    dashscope_server.queue(TaskScript(stall_finish=True, finalize_on_finish=False))
    started = time.monotonic()
    with pytest.raises(DashScopeTimeoutError):
        await recognize(make_client(http, dashscope_server, finish=0.3), tone(0.5))
    assert time.monotonic() - started < 3
    assert dashscope_server.tasks[0].finish_received


async def test_finish_deadline_applies_to_a_wait_in_progress(
    http, dashscope_server: RunningServer
) -> None:
    """The reader is already waiting (no deadline) when finish-task goes out; it must not hang."""
    dashscope_server.queue(TaskScript(stall_finish=True, partials=False, sentences=["好"]))
    client = make_client(http, dashscope_server, finish=0.3)
    async with client.recognition(PARAMETERS) as session:
        reader = asyncio.create_task(anext(session.results(), None))
        await asyncio.sleep(0.05)
        await session.finish()
        with pytest.raises(DashScopeTimeoutError):
            await asyncio.wait_for(reader, 3)


async def test_validate_accepts_a_silent_task(http, dashscope_server: RunningServer) -> None:
    dashscope_server.queue(TaskScript(fail_code="NO_VALID_AUDIO_ERROR", fail_on="finish"))
    await make_client(http, dashscope_server).validate("fun-asr-realtime")
    assert len(dashscope_server.tasks) == 1


async def test_client_repr_hides_the_key(http, dashscope_server: RunningServer) -> None:
    client = make_client(http, dashscope_server)
    assert API_KEY not in repr(client)
    assert dashscope_server.url in repr(client)


async def test_unknown_events_and_other_tasks_are_ignored(
    http, dashscope_server: RunningServer
) -> None:
    dashscope_server.queue(TaskScript(noise=True))
    transcript, _ = await recognize(make_client(http, dashscope_server), tone(1.0))
    assert transcript.text == "打开客厅的灯。"


async def test_finish_twice_sends_one_finish_task(http, dashscope_server: RunningServer) -> None:
    async with make_client(http, dashscope_server).recognition(PARAMETERS) as session:
        await session.send_audio(tone(0.5))
        await session.finish()
        await session.finish()
        texts = [transcript.text async for transcript in session.results()]
    assert texts[-1] == "打开客厅的灯。"
    assert dashscope_server.violations == []


async def test_sending_on_a_closed_connection(http, dashscope_server: RunningServer) -> None:
    async with make_client(http, dashscope_server).recognition(PARAMETERS) as session:
        await session.close()
        with pytest.raises(DashScopeConnectionError):
            await session.send_audio(tone(0.2))
        with pytest.raises(DashScopeConnectionError):
            await session.finish()


async def test_emotion_is_kept_with_each_final_sentence(
    http, dashscope_server: RunningServer
) -> None:
    dashscope_server.queue(
        TaskScript(
            sentences=["我很生气。", "快点。"], emotion=("negative", 0.87), bytes_per_char=800
        )
    )
    parameters = RecognitionParameters("paraformer-realtime-8k-v2", 8000)
    transcript, _ = await recognize(
        make_client(http, dashscope_server), tone(0.5, rate=8000), parameters
    )
    assert [(s.text, s.emo_tag, s.emo_confidence) for s in transcript.sentences] == [
        ("我很生气。", "negative", 0.87),
        ("快点。", "negative", 0.87),
    ]


async def paced(audio: bytes, *, fail_after: int | None = None):
    """Yield 10 ms chunks at 5x real time, like a pipeline; optionally fail part-way."""
    for index, start in enumerate(range(0, len(audio), 320)):
        if fail_after is not None and index == fail_after:
            raise OSError("microphone unplugged")
        await asyncio.sleep(0.002)
        yield audio[start : start + 320]


def pcm_input() -> AudioInput:
    return AudioInput(AudioSpec("wav", "pcm", 16000), (16000,))


@pytest.mark.parametrize(
    ("endpointing", "seconds", "ended_by", "all_read"),
    [
        (Endpointing(), 2.0, None, True),
        (Endpointing(on_service_end=True), 5.0, "service", False),
        (Endpointing(on_service_end=True, max_seconds=0.2), 5.0, "length_cap", False),
    ],
    ids=["caller-ends", "service-ends", "length-cap"],
)
async def test_stream_owns_the_utterance(
    http, dashscope_server: RunningServer, endpointing, seconds, ended_by, all_read
) -> None:
    """recognize() takes the caller's chunks and gives transcripts; the policy decides the end."""
    if ended_by == "length_cap":
        dashscope_server.queue(TaskScript(sentences=[]))
    audio = tone(seconds)
    recognition = utterance(make_client(http, dashscope_server), pcm_input(), endpointing)
    texts = [t.text async for t in recognition.transcripts(paced(audio))]
    outcome = recognition.outcome
    assert outcome.error is None
    assert outcome.stats.ended_by == ended_by
    assert outcome.ended_by == (ended_by or "caller")
    received = len(dashscope_server.tasks[0].audio)
    assert (received == len(audio)) is all_read
    assert outcome.audio_bytes == received
    if ended_by != "length_cap":
        assert texts[-1] == outcome.transcript.text == "打开客厅的灯。"
    else:
        assert received == 6400, "0.2 s of 16 kHz PCM"


async def test_a_failing_stream_ends_the_task_with_a_clear_error(
    http, dashscope_server: RunningServer
) -> None:
    """A failure ends the transcripts quietly: it is the outcome's error, with its stats."""
    recognition = utterance(make_client(http, dashscope_server), pcm_input(), Endpointing())
    outcome = await recognition.run(paced(tone(2.0), fail_after=20))
    assert isinstance(outcome.error, DashScopeError)
    assert "microphone unplugged" in str(outcome.error)
    assert outcome.ended_by == "error"
    assert outcome.stats.error_code == "DashScopeError"


async def test_a_failed_start_is_an_outcome(http, dashscope_server: RunningServer) -> None:
    """A key the service refuses fails the start: still one outcome, with the error."""
    client = make_client(http, dashscope_server, key="sk-wrong")
    outcome = await utterance(client, pcm_input(), Endpointing()).run(paced(tone(0.5)))
    assert isinstance(outcome.error, DashScopeAuthError)
    assert outcome.stats.error_code is not None
    assert outcome.transcript.text == ""


async def test_the_outcome_is_read_after_the_recognition(http, dashscope_server) -> None:
    recognition = utterance(make_client(http, dashscope_server), pcm_input(), Endpointing())
    with pytest.raises(RuntimeError, match="not ended"):
        _ = recognition.outcome


def utterance(
    client: DashScopeClient,
    audio: AudioInput,
    endpointing: Endpointing,
    parameters: RecognitionParameters = PARAMETERS,
) -> Utterance:
    """Return the client's recognition of `parameters`' model, hints and options."""
    return client.recognize(
        audio,
        endpointing,
        model=parameters.model,
        language_hints=parameters.language_hints,
        options=parameters.options,
        context=parameters.context,
    )
