"""The official DashScope SDK against the local server: the server is as strict as the service.

A server that refused what the official client sends, or answered in a shape it cannot read,
would make every other test here prove nothing. So the SDK (`dashscope`, pinned in the test
requirements only; the integration never uses it) runs both protocols against it: the
inference protocol through `Recognition` (Fun-ASR and the Qwen-Audio models),
Qwen3-ASR-Flash-Realtime through
`OmniRealtimeConversation` in VAD and Manual mode. The SDK is synchronous and runs its own
threads; it runs here in a thread of its own while the server serves on the test's loop, and
every thread it started is gone before the test ends.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
import threading
from typing import Any

import dashscope
from dashscope.audio.asr import Recognition, RecognitionCallback, RecognitionResult
from dashscope.audio.qwen_omni import (
    MultiModality,
    OmniRealtimeCallback,
    OmniRealtimeConversation,
)
from dashscope.audio.qwen_omni.omni_realtime import TranscriptionParams
import pytest

from .audio import chunks, tone
from .conftest import API_KEY, RunningServer
from .dashscope_server import TaskScript

# The SDK's sync-over-async helper still asks for the event loop policy (Python 3.14 deprecates it).
pytestmark = pytest.mark.filterwarnings(
    "ignore:'asyncio.get_event_loop_policy' is deprecated:DeprecationWarning"
)
QWEN_MODEL = "qwen3-asr-flash-realtime"
COMPLETED = "conversation.item.input_audio_transcription.completed"
# Seven characters in 2,240 bytes: short sessions that never wait for real time.
SCRIPT = TaskScript(sentences=["打开客厅的灯。"], bytes_per_char=320)


async def in_thread[T](function: Callable[[], T]) -> T:
    """Run blocking SDK code in a thread of its own; wait for every thread it started."""
    loop = asyncio.get_running_loop()
    before = set(threading.enumerate())
    future: asyncio.Future[T] = loop.create_future()

    def run() -> None:
        try:
            result = function()
        except BaseException as err:  # noqa: BLE001 - handed to the test as it is
            loop.call_soon_threadsafe(future.set_exception, err)
        else:
            loop.call_soon_threadsafe(future.set_result, result)

    thread = threading.Thread(target=run, name="sdk-under-test")
    thread.start()
    try:
        return await asyncio.wait_for(future, 15)
    finally:
        for _ in range(300):  # the SDK's websocket and timer threads end just after it returns
            if not set(threading.enumerate()) - before:
                break
            await asyncio.sleep(0.01)
        assert not set(threading.enumerate()) - before, threading.enumerate()


class Sentences(RecognitionCallback):
    """Collects what Recognition reports."""

    def __init__(self) -> None:
        self.final: list[str] = []
        self.errors: list[Any] = []
        self.complete = False

    def on_event(self, result: RecognitionResult) -> None:
        sentence = result.get_sentence()
        if isinstance(sentence, dict) and RecognitionResult.is_sentence_end(sentence):
            self.final.append(sentence["text"])

    def on_error(self, result: RecognitionResult) -> None:
        self.errors.append(result)

    def on_complete(self) -> None:
        self.complete = True


def recognize_inference(audio: bytes, model: str, **parameters: Any) -> Sentences:
    """Stream audio with Recognition as its docs show: start, frames, stop."""
    callback = Sentences()
    recognition = Recognition(
        model=model, callback=callback, format="pcm", sample_rate=16000, **parameters
    )
    recognition.start()
    for chunk in chunks(audio, 3200):
        recognition.send_audio_frame(chunk)
    recognition.stop()
    return callback


@pytest.mark.parametrize(
    ("model", "parameters"),
    [
        ("fun-asr-realtime", {"language_hints": ["zh"]}),
        # The Qwen-Audio models on the same protocol (docs/models/qwen-audio-asr.md).
        (
            "qwen-audio-3.1-asr-flash-message",
            {"intermediate_result_enabled": True, "keep_dialect": False},
        ),
        ("qwen-audio-3.1-asr-flash-message", {}),  # only ended sentences, unasked
        ("qwen-audio-3.1-asr-flash-streaming", {}),
        ("qwen-audio-3.0-asr-flash-streaming", {"language_hints": ["zh"]}),
    ],
)
async def test_recognition_over_the_inference_protocol(
    dashscope_server: RunningServer,
    monkeypatch: pytest.MonkeyPatch,
    model: str,
    parameters: dict[str, Any],
) -> None:
    monkeypatch.setattr(dashscope, "api_key", API_KEY)
    monkeypatch.setattr(dashscope, "base_websocket_api_url", dashscope_server.url)
    for _ in range(2):
        dashscope_server.queue(SCRIPT)
        callback = await in_thread(lambda: recognize_inference(tone(0.2), model, **parameters))
        # dashscope 2.0.2's Recognition.start() starts its sender thread before it marks itself
        # running; on a loaded machine that thread can find it not running and finish the task
        # before any audio (seen once in CI). Such a run is the SDK's race, not the server's, and
        # is run once more; a second run without audio fails below.
        if dashscope_server.tasks[-1].audio:
            break
    task = dashscope_server.tasks[-1]
    assert task.audio, "the SDK sent its audio"
    assert callback.errors == []
    assert callback.complete
    assert callback.final == ["打开客厅的灯。"], "sentence_begin and revisions read as the SDK does"
    assert task.finished
    for name, value in parameters.items():
        assert task.parameters[name] == value
    assert dashscope_server.violations == []


class Events(OmniRealtimeCallback):
    """Collects what OmniRealtimeConversation hands to its callback."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def on_event(self, message: Any) -> None:
        self.events.append(message)

    def texts(self) -> list[str]:
        return [event["transcript"] for event in self.events if event["type"] == COMPLETED]


def recognize_realtime(url: str, audio: bytes, *, commit: bool, **session: Any) -> Events:
    """Stream audio with OmniRealtimeConversation as the Qwen-ASR SDK page shows."""
    callback = Events()
    conversation = OmniRealtimeConversation(
        model=QWEN_MODEL, callback=callback, url=url, api_key=API_KEY
    )
    conversation.connect()
    try:
        conversation.update_session(output_modalities=[MultiModality.TEXT], **session)
        for chunk in chunks(audio, 3200):
            conversation.append_audio(base64.b64encode(chunk).decode())
        if commit:
            conversation.commit()
        conversation.end_session(timeout=5)
        # The server closes after session.finished. The SDK's own close() would read the socket
        # while its reader thread does too (websocket-client), and can leave that thread
        # waiting on a closed socket for ever: let the reader see the server's close instead.
        conversation.thread.join(5)
    finally:
        conversation.close()
        conversation.thread.join(5)
    return callback


@pytest.mark.parametrize(
    ("session", "audio_seconds", "commit"),
    [
        ({}, 1.0, False),  # the SDK's defaults: server VAD, 0.2, 800 ms, "pcm16"
        (
            {
                "turn_detection_threshold": 0.0,
                "turn_detection_silence_duration_ms": 400,
                "transcription_params": TranscriptionParams(
                    language="zh", sample_rate=16000, corpus_text="客厅 卧室 吊灯 打开 关闭"
                ),
            },
            0.5,
            False,
        ),
        (
            {
                "enable_turn_detection": False,
                "transcription_params": TranscriptionParams(language="zh"),
            },
            0.2,
            True,
        ),
    ],
    ids=["vad-defaults", "vad-language-and-context", "manual"],
)
async def test_omni_realtime_conversation_over_the_realtime_protocol(
    dashscope_server: RunningServer,
    session: dict[str, Any],
    audio_seconds: float,
    commit: bool,
) -> None:
    url = dashscope_server.url.replace("/api-ws/v1/inference", "/api-ws/v1/realtime")
    dashscope_server.queue(SCRIPT)
    dashscope_server.close_after_finish = 0.05
    callback = await in_thread(
        lambda: recognize_realtime(url, tone(audio_seconds), commit=commit, **session)
    )
    assert callback.texts() == ["打开客厅的灯。"]
    kinds = [event["type"] for event in callback.events]
    assert kinds[:2] == ["session.created", "session.updated"]
    assert kinds[-1] == "session.finished"
    assert "error" not in kinds
    [recorded] = dashscope_server.qwen_sessions
    assert recorded.model == QWEN_MODEL
    assert recorded.finished
    assert recorded.append_sizes == [3200] * int(audio_seconds * 10)
    assert recorded.commits == (1 if commit else 0)
    assert (recorded.turn_detection is None) is commit
    if "transcription_params" in session and session["transcription_params"].corpus_text:
        transcription = recorded.session_update["input_audio_transcription"]
        assert transcription == {"language": "zh", "corpus": {"text": "客厅 卧室 吊灯 打开 关闭"}}
    headers = dashscope_server.headers[0]
    assert headers["Authorization"] == f"Bearer {API_KEY}"
    assert "OpenAI-Beta" not in headers  # the official client does not send it
    assert dashscope_server.violations == []
