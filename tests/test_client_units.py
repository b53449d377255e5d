"""Messages, framing, WAV parsing, transcripts, endpoints and the model table."""

from __future__ import annotations

import functools
import json

import pytest

from custom_components.dashscope.client import (
    MODELS,
    REGIONS,
    AudioFramer,
    DashScopeAuthError,
    DashScopeBadAudioError,
    DashScopeConnectionError,
    DashScopeModelNotFoundError,
    DashScopeNoSpeechError,
    DashScopeQuotaError,
    DashScopeServiceError,
    DashScopeTaskError,
    DashScopeThrottledError,
    DashScopeVocabularyMissingError,
    Endpoint,
    HintRule,
    InvalidEndpointError,
    Region,
    Sentence,
    Transcript,
    UnsupportedAudioError,
    WavStripper,
    model_info,
    models_for,
    pcm_frame_bytes,
)
from custom_components.dashscope.client.endpoints import Deployment
from custom_components.dashscope.client.errors import service_error
from custom_components.dashscope.client.messages import (
    FinishTask,
    MessageError,
    ResultGenerated,
    TaskFailed,
    TaskFinished,
    TaskStarted,
    UnknownEvent,
    Word,
    new_task_id,
    parse_event,
)
from custom_components.dashscope.client.replay import ReplayBuffer
from custom_components.dashscope.client.retry import Retry, RetryBudget, RetryPolicy, Timeouts
from custom_components.dashscope.client.transcript import join_sentences

from .audio import tone, wav_header
from .conftest import API_KEY


def event(name: str, payload: dict | None = None, **header: object) -> str:
    return json.dumps(
        {"header": {"task_id": "t", "event": name, **header}, "payload": payload or {}}
    )


def test_task_ids_are_uuid4_hex() -> None:
    task_id = new_task_id()
    assert len(task_id) == 32
    assert int(task_id, 16) >= 0
    assert new_task_id() != task_id


def test_finish_task_shape() -> None:
    assert json.loads(FinishTask("abc").to_json()) == {
        "header": {"action": "finish-task", "task_id": "abc", "streaming": "duplex"},
        "payload": {"input": {}},
    }


def test_parse_lifecycle_events() -> None:
    assert parse_event(event("task-started")) == TaskStarted("t")
    assert parse_event(event("task-finished", {"output": {}, "usage": None})) == TaskFinished("t")
    failed = parse_event(
        event("task-failed", error_code="CLIENT_ERROR", error_message="request timeout")
    )
    assert failed == TaskFailed("t", "CLIENT_ERROR", "request timeout")
    assert parse_event(event("task-failed")) == TaskFailed("t", "UnknownError", "")


@pytest.mark.parametrize(
    ("sentence", "final"),
    [
        ({"text": "好", "end_time": None, "sentence_end": False}, False),
        ({"text": "好", "end_time": None, "sentence_end": True}, True),
        ({"text": "好", "end_time": 920}, True),
        ({"text": "好", "end_time": 920, "sentence_end": True}, True),
        ({"text": "好"}, False),
    ],
    ids=["partial", "sentence_end", "end_time", "both", "bare"],
)
def test_either_final_signal(sentence: dict, final: bool) -> None:
    parsed = parse_event(event("result-generated", {"output": {"sentence": sentence}}))
    assert isinstance(parsed, ResultGenerated)
    assert parsed.sentence.is_final is final


def test_result_fields_and_unknown_fields() -> None:
    parsed = parse_event(
        event(
            "result-generated",
            {
                "output": {
                    "sentence": {
                        "begin_time": 170,
                        "end_time": 920,
                        "text": "好，我知道了",
                        "heartbeat": False,
                        "sentence_end": True,
                        "emo_tag": "positive",
                        "emo_confidence": 0.9,
                        "stash": {"text": "x"},
                        "vad_pre_end": True,
                        "words": [
                            {"text": "好", "fixed": True},
                            {"text": "我", "begin_time": 400, "end_time": 520},
                            "not a word",
                        ],
                    }
                },
                "usage": {"duration": 3},
            },
            attributes={"new": 1},
        )
    )
    assert parsed == ResultGenerated(
        "t",
        Sentence(
            "好，我知道了",
            170,
            920,
            True,
            False,
            "positive",
            0.9,
            words=(Word("好"), Word("我", 400, 520)),
        ),
        billed_seconds=3.0,
    )
    assert parsed.sentence.last_word_end == 520


def test_unknown_events_and_shapes_are_ignored() -> None:
    assert isinstance(parse_event(event("result-generated", {"output": {}})), UnknownEvent)
    assert isinstance(parse_event(event("something-new")), UnknownEvent)


@pytest.mark.parametrize("text", ["not json", "[]", '{"payload": {}}', '{"header": {}}'])
def test_malformed_messages_raise(text: str) -> None:
    with pytest.raises(MessageError):
        parse_event(text)


def test_transcript_joins_finals_and_the_growing_sentence() -> None:
    transcript = Transcript()
    assert transcript.add(Sentence("打开", is_final=False))
    assert not transcript.add(Sentence("", heartbeat=True))
    assert transcript.add(Sentence("打开灯。", is_final=True))
    assert transcript.add(Sentence("谢", is_final=False))
    assert not transcript.add(Sentence("谢", is_final=False))
    assert transcript.text == "打开灯。谢"


@pytest.mark.parametrize(
    ("texts", "joined"),
    [
        (["Hello.", "How are you?"], "Hello. How are you?"),
        (["你好。", "Hello."], "你好。Hello."),
        (["Hello.", "你好。"], "Hello.你好。"),
        (["", "好"], "好"),
        (["Hi ", "there"], "Hi there"),
    ],
)
def test_join_sentences(texts: list[str], joined: str) -> None:
    assert join_sentences(texts) == joined


def test_framer_sends_full_frames_and_flushes_the_rest() -> None:
    framer = AudioFramer(3200)
    frames = []
    for _ in range(25):  # 250 ms in 10 ms chunks
        frames += framer.push(bytes(320))
    assert [len(frame) for frame in frames] == [3200, 3200]
    assert len(framer.flush()) == 1600
    assert framer.flush() == b""
    assert [len(f) for f in framer.push(bytes(7000))] == [3200, 3200]


@pytest.mark.parametrize(
    ("rate", "size"), [(16000, 3200), (8000, 1600), (48000, 9600), (2000, 1024)]
)
def test_frame_size_is_100_ms_within_limits(rate: int, size: int) -> None:
    assert pcm_frame_bytes(rate) == size
    assert pcm_frame_bytes(400000) == 16384


def test_wav_header_is_parsed_and_dropped() -> None:
    audio = tone(0.1)
    data = wav_header(len(audio)) + audio
    stripper = WavStripper()
    out = b"".join(stripper.feed(data[i : i + 10]) for i in range(0, len(data), 10))
    assert out == audio
    assert stripper.format is not None
    assert (stripper.format.sample_rate, stripper.format.channels) == (16000, 1)


def test_wav_with_extra_chunks() -> None:
    audio = tone(0.05)
    header = wav_header(len(audio))
    extra = b"LIST" + (3).to_bytes(4, "little") + b"abc\x00"  # odd size is padded
    data = header[:36] + extra + header[36:] + audio
    stripper = WavStripper()
    assert stripper.feed(data) + stripper.finish() == audio


def test_raw_pcm_passes_through() -> None:
    stripper = WavStripper()
    assert stripper.feed(b"\x01\x02") == b""
    assert stripper.finish() == b"\x01\x02"
    stripper = WavStripper()
    assert stripper.feed(bytes(20)) == bytes(20)
    assert stripper.feed(b"\x05") == b"\x05"
    assert stripper.finish() == b""


def test_truncated_wav_header_is_not_audio() -> None:
    stripper = WavStripper()
    assert stripper.feed(wav_header(0)[:20]) == b""
    with pytest.raises(UnsupportedAudioError, match="without its data chunk"):
        stripper.finish()


@pytest.mark.parametrize("bits", [8, 24])
def test_wav_of_other_sample_width_is_refused(bits: int) -> None:
    with pytest.raises(UnsupportedAudioError):
        WavStripper().feed(wav_header(100, bits=bits))


@pytest.mark.parametrize(("rate", "channels"), [(0, 1), (16000, 0)], ids=["rate-0", "channels-0"])
def test_wav_header_without_rate_or_channels_is_refused(rate: int, channels: int) -> None:
    with pytest.raises(UnsupportedAudioError, match="WAV header with"):
        WavStripper().feed(wav_header(100, rate=rate, channels=channels) + bytes(100))


@pytest.mark.parametrize("value", ["NaN", "Infinity", "1e400", "-Infinity"])
def test_non_finite_numbers_from_the_service_are_absent(value: str) -> None:
    """Python's json reads NaN and 1e400 (inf); the sentence keeps them as unknown."""
    sentence = (
        f'{{"begin_time": 0, "end_time": {value}, "text": "好", "sentence_end": true,'
        f' "emo_confidence": {value}}}'
    )
    text = '{"header": {"task_id": "t", "event": "result-generated"}, "payload": {"output":'
    text += ' {"sentence": ' + sentence + '}, "usage": {"duration": ' + value + "}}}"
    parsed = parse_event(text)
    assert isinstance(parsed, ResultGenerated)
    assert parsed.sentence.end_time is None
    assert parsed.sentence.emo_confidence is None
    assert parsed.sentence.is_final


def test_wav_without_data_chunk_is_refused() -> None:
    stripper = WavStripper()
    header = wav_header(0)[:36]
    with pytest.raises(UnsupportedAudioError):
        stripper.feed(header + b"JUNK" + (70000).to_bytes(4, "little") + bytes(70000))


@pytest.mark.parametrize(
    ("region", "workspace", "url"),
    [
        (Region.BEIJING, None, "wss://dashscope.aliyuncs.com/api-ws/v1/inference"),
        (Region.SINGAPORE, None, "wss://dashscope-intl.aliyuncs.com/api-ws/v1/inference"),
        (
            Region.BEIJING_WORKSPACE,
            "ws-Abc123",
            "wss://ws-abc123.cn-beijing.maas.aliyuncs.com/api-ws/v1/inference",
        ),
        (
            Region.SINGAPORE_WORKSPACE,
            "llm-xyz",
            "wss://llm-xyz.ap-southeast-1.maas.aliyuncs.com/api-ws/v1/inference",
        ),
    ],
)
def test_region_endpoints(region: Region, workspace: str | None, url: str) -> None:
    endpoint = Endpoint.resolve(region, workspace_id=workspace)
    assert endpoint.websocket_url == url
    assert endpoint.http_base_url == url.replace("wss://", "https://").removesuffix(
        "/api-ws/v1/inference"
    )
    headers = endpoint.headers("sk-1")
    assert headers["Authorization"] == "Bearer sk-1"
    assert headers.get("X-DashScope-WorkSpace") == workspace


def test_custom_endpoint() -> None:
    endpoint = Endpoint.resolve("custom", url="ws://127.0.0.1:8765")
    assert endpoint.websocket_url == "ws://127.0.0.1:8765/api-ws/v1/inference"
    assert endpoint.http_base_url == "http://127.0.0.1:8765"
    assert endpoint.deployments == frozenset(Deployment)
    proxy = Endpoint.resolve("custom", url=" wss://proxy.lan/asr?x=1 ")
    assert proxy.websocket_url == "wss://proxy.lan/asr?x=1"
    assert proxy.http_base_url == "https://proxy.lan"


@pytest.mark.parametrize(
    ("region", "workspace", "url", "reason"),
    [
        (Region.BEIJING_WORKSPACE, None, None, "workspace_id"),
        (Region.SINGAPORE_WORKSPACE, "  ", None, "workspace_id"),
        (Region.BEIJING, "bad id!", None, "workspace_id"),
        (Region.CUSTOM, None, None, "url"),
        (Region.CUSTOM, None, "https://example.com", "url"),
        (Region.CUSTOM, None, "ws://", "url"),
    ],
)
def test_invalid_endpoints(region, workspace, url, reason) -> None:
    with pytest.raises(InvalidEndpointError) as info:
        Endpoint.resolve(region, workspace_id=workspace, url=url)
    assert info.value.reason == reason


def test_models_per_deployment() -> None:
    singapore = [model.name for model in models_for([Deployment.SINGAPORE])]
    assert singapore == [
        "qwen-audio-3.1-asr-flash-message",  # Alibaba's pick for voice input comes first
        "fun-asr-realtime",
        "fun-asr-realtime-2025-11-07",
        "qwen3-asr-flash-realtime",
        "qwen3-asr-flash-realtime-2026-02-10",
        "qwen3-asr-flash-realtime-2025-10-27",
        "qwen-audio-3.1-asr-flash-streaming",
        "qwen-audio-3.0-asr-flash-streaming",
    ]
    assert len(models_for([Deployment.BEIJING])) == len(MODELS) == 16


@pytest.mark.parametrize(
    ("model", "first", "extra", "hints"),
    [
        ("paraformer-realtime-v2", "zh", ["en", "zh", "xx"], ["zh", "en"]),
        ("fun-asr-realtime", "zh", ["en"], ["zh"]),
        ("fun-asr-realtime", None, ["en"], ["en"]),
        ("paraformer-realtime-v1", "zh", ["en"], []),
    ],
)
def test_language_hints(model: str, first, extra, hints) -> None:
    assert model_info(model).language_hints(first, extra) == hints


def test_language_tags() -> None:
    v2 = model_info("paraformer-realtime-v2")
    assert v2.hint_rule is HintRule.ALL
    assert v2.language_code("zh-HK") == "yue"
    assert v2.language_code("de-DE") == "de"
    fun = model_info("fun-asr-realtime")
    assert fun.language_code("zh-HK") == "zh"  # Cantonese as a Chinese dialect
    assert fun.language_code("zh-cn") == "zh"
    assert fun.language_code("en") == "en"
    assert fun.language_code("de-DE") == "de"
    assert fun.language_code("fil-PH") == "tl"
    assert model_info("fun-asr-realtime-2026-02-28").language_code("de-DE") is None
    assert "zh-HK" not in model_info("fun-asr-realtime-2025-09-15").language_tags
    assert model_info("paraformer-realtime-8k-v1").language_tags == ["zh-CN", "zh-TW"]


def test_unknown_model_gets_defaults() -> None:
    future = model_info("fun-asr-realtime-2027-01-01")
    assert future.sample_rates == (16000,)
    assert future.preferred_sample_rate == 16000
    assert model_info("fun-asr-flash-8k-realtime").preferred_sample_rate == 8000
    assert model_info("paraformer-realtime-v2").preferred_sample_rate == 16000


def test_every_region_is_one_row_of_the_region_table() -> None:
    """A region's host, deployments, title and services live in REGIONS and nowhere else."""
    assert set(REGIONS) == set(Region)
    for region, info in REGIONS.items():
        if info.host is None:
            continue
        workspace = "ws-1" if info.needs_workspace else None
        endpoint = Endpoint.resolve(region, workspace_id=workspace)
        assert endpoint.info is info
        assert endpoint.websocket_url.startswith(f"wss://{info.host.format(workspace='ws-1')}/")


@pytest.mark.parametrize(
    ("code", "task", "kind"),
    [
        ("InvalidApiKey", True, DashScopeAuthError),
        ("AccessDenied", False, DashScopeAuthError),
        ("ModelNotFound", True, DashScopeModelNotFoundError),
        ("Throttling.RateQuota", True, DashScopeThrottledError),
        ("Throttling.Concurrency", False, DashScopeThrottledError),
        ("Throttling.AllocationQuota", False, DashScopeQuotaError),
        ("BadRequest.ResourceNotExist", True, DashScopeVocabularyMissingError),
        ("NotFound", False, DashScopeVocabularyMissingError),
        ("NO_INPUT_AUDIO_ERROR", True, DashScopeNoSpeechError),
        ("NO_VALID_AUDIO_ERROR", True, DashScopeNoSpeechError),
        ("UNSUPPORTED_FORMAT", True, DashScopeBadAudioError),
        ("RequestTimeOut", True, DashScopeTaskError),
        ("InternalError", False, DashScopeServiceError),
    ],
)
def test_each_service_code_has_one_class(code: str, task: bool, kind: type) -> None:
    error = service_error(code, "message", task=task)
    assert type(error) is kind
    assert code in str(error)
    assert API_KEY not in str(error)
    if isinstance(error, DashScopeServiceError):
        assert (error.code, error.message) == (code, "message")
    assert isinstance(DashScopeQuotaError("q", ""), DashScopeThrottledError), "a retry may help"


def test_replay_buffer_keeps_the_utterance_within_its_limit() -> None:
    buffer = ReplayBuffer(limit_bytes=10)
    buffer.keep([b"aaaa", b"bbbb"])
    assert [buffer.unsent(), buffer.mark_sent(), buffer.unsent()] == [b"aaaa", None, b"bbbb"]
    buffer.mark_sent()
    buffer.settle()
    buffer.rewind()  # a new task: the whole utterance again
    assert buffer.unsent() == b"aaaa"
    assert buffer.replayable
    buffer.keep([b"cccc"])  # 12 bytes: past the limit, no replay
    assert not buffer.replayable
    assert buffer.total_bytes == 12


def test_retry_budget_spends_each_retry_once() -> None:
    budget = RetryBudget(RetryPolicy(reconnects=1, throttle_retries=1, throttle_backoff=0.5))
    assert budget.take_reconnect()
    assert not budget.take_reconnect()
    assert budget.take_throttle_retry(now=10.0, deadline=10.4) is None, "too late for a backoff"
    assert budget.take_throttle_retry(now=10.0, deadline=None) == 0.5
    assert budget.take_throttle_retry(now=10.0, deadline=None) is None


def test_retry_budget_gives_each_failure_a_fixed_number_of_attempts() -> None:
    """Whatever fails, and however often: 4 tasks at most (first, replacement, reconnect,
    throttled retry); anything else is final at once."""
    budget = RetryBudget(RetryPolicy(throttle_backoff=0.5))
    lost = DashScopeConnectionError("closed before the task started")
    throttled = service_error("Throttling.RateQuota", "slow down")
    spend = functools.partial(budget.spend, replayable=True, now=0.0, deadline=None)
    assert spend(lost, dead_kept=True) == Retry(None), "a dead kept connection: free"
    assert spend(lost, dead_kept=True) == Retry("ConnectionLost"), "only once free"
    with pytest.raises(DashScopeConnectionError):
        spend(lost, dead_kept=False)
    assert spend(throttled, dead_kept=False) == Retry("Throttling.RateQuota", 0.5)
    with pytest.raises(DashScopeThrottledError):
        spend(throttled, dead_kept=False)
    with pytest.raises(MessageError):
        RetryBudget(RetryPolicy()).spend(
            MessageError("bad"), dead_kept=True, replayable=True, now=0.0, deadline=None
        )


def test_audio_that_cannot_be_replayed_gets_no_reconnect() -> None:
    budget = RetryBudget(RetryPolicy())
    with pytest.raises(DashScopeConnectionError):
        budget.spend(
            DashScopeConnectionError("lost"),
            dead_kept=False,
            replayable=False,
            now=0.0,
            deadline=None,
        )


@pytest.mark.parametrize(
    ("start_seconds", "bound"),
    [(None, 0.6), (0.01, 0.25), (0.1, 0.4), (0.5, 0.6)],
    ids=["unmeasured", "fast-link-floor", "four-round-trips", "slow-link-cap"],
)
def test_a_kept_connection_has_a_short_warm_start_bound(
    start_seconds: float | None, bound: float
) -> None:
    assert Timeouts().warm_start_bound(start_seconds) == pytest.approx(bound)
