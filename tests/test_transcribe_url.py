"""dashscope.transcribe_url: the asynchronous file API, polling, partial failure, cancel."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.dashscope.client import (
    DashScopeTimeoutError,
    Endpoint,
    Region,
    transcription,
)
from custom_components.dashscope.client.rest import HttpApi
from custom_components.dashscope.client.transcription import TranscriptionClient, TranscriptionJob
from custom_components.dashscope.const import DOMAIN

from .audio import tone, wav_header
from .conftest import API_KEY, RunningServer
from .dashscope_server.transcription import FileOutcome

URL_A = "https://example.com/a.wav"
URL_B = "https://example.com/b.mp3"


@pytest.fixture(autouse=True)
def fast_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transcription, "FIRST_POLL_SECONDS", 0.01)
    monkeypatch.setattr(transcription, "MAX_POLL_SECONDS", 0.05)


async def call(hass: HomeAssistant, entry: MockConfigEntry, **data: Any) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN,
        "transcribe_url",
        {"config_entry_id": entry.entry_id, **data},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    return dict(response)


async def test_every_file_is_checked(
    hass: HomeAssistant, setup_integration: MockConfigEntry, dashscope_server: RunningServer
) -> None:
    service = dashscope_server.transcription
    service.outcomes[URL_A] = FileOutcome(text="第一句。第二句。", speakers=2)
    service.outcomes[URL_B] = FileOutcome(error=("InvalidFile.DownloadFailed", "cannot download"))

    response = await call(
        hass, setup_integration, urls=[URL_A, URL_B], diarization=True, speaker_count=2,
        language_hints=["zh", "en"],
    )  # fmt: skip

    [task] = service.tasks.values()
    assert response["task_id"] == task.task_id
    assert task.status == "SUCCEEDED", "one file succeeded, so the task did"
    assert task.request == {
        "model": "paraformer-v2",
        "input": {"file_urls": [URL_A, URL_B]},
        "parameters": {"language_hints": ["zh", "en"], "diarization_enabled": True,
                       "speaker_count": 2},
    }  # fmt: skip
    assert task.headers["X-DashScope-Async"] == "enable"
    first, second = response["files"]
    assert first["status"] == "SUCCEEDED"
    assert first["text"] == "第一句。第二句。"
    assert [(s["text"], s["speaker_id"]) for s in first["sentences"]] == [
        ("第一句。", 0),
        ("第二句。", 1),
    ]
    assert second == {
        "url": URL_B,
        "status": "FAILED",
        "error": {"code": "InvalidFile.DownloadFailed", "message": "cannot download"},
    }


async def test_parameters_are_always_sent(
    hass: HomeAssistant, setup_integration: MockConfigEntry, dashscope_server: RunningServer
) -> None:
    await call(hass, setup_integration, urls=URL_A, model="fun-asr")
    [task] = dashscope_server.transcription.tasks.values()
    assert task.request["parameters"] == {}
    assert task.request["model"] == "fun-asr"


async def test_local_file_is_uploaded_first(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    dashscope_server: RunningServer,
    tmp_path: Path,
) -> None:
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    audio = wav_header(3200) + tone(0.1)
    (tmp_path / "meeting.wav").write_bytes(audio)
    response = await call(hass, setup_integration, files=[str(tmp_path / "meeting.wav")])
    [(key, content)] = dashscope_server.transcription.uploads.items()
    assert key.endswith("/meeting.wav")
    assert content == audio
    [task] = dashscope_server.transcription.tasks.values()
    assert task.request["input"]["file_urls"] == [f"oss://{key}"]
    assert task.headers["X-DashScope-OssResourceResolve"] == "enable"
    assert response["files"][0]["status"] == "SUCCEEDED"


async def test_timeout_cancels_the_task(
    hass: HomeAssistant, setup_integration: MockConfigEntry, dashscope_server: RunningServer
) -> None:
    dashscope_server.transcription.polls_to_finish = 10**6
    with pytest.raises(HomeAssistantError) as info:
        await call(hass, setup_integration, urls=[URL_A], timeout=1)
    assert info.value.translation_key == "transcription_timeout"
    [task] = dashscope_server.transcription.tasks.values()
    assert task.status == "CANCELED"


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"urls": ["ftp://example.com/a.wav"]}, "url_not_http"),
        ({"urls": ["/local/a.wav"]}, "url_not_http"),
        ({"files": ["/etc/passwd"]}, "path_not_allowed"),
        ({"urls": [URL_A], "config_entry_id": "nope"}, "entry_not_loaded"),
    ],
)
async def test_refused_inputs(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    dashscope_server: RunningServer,
    data: dict[str, Any],
    key: str,
) -> None:
    with pytest.raises(ServiceValidationError) as info:
        await call(hass, setup_integration, **data)
    assert info.value.translation_key == key
    assert dashscope_server.transcription.tasks == {}


@pytest.mark.parametrize(
    ("prepare", "code"),
    [("key", "API key refused"), ("model", "ModelNotFound")],
)
async def test_service_errors(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    dashscope_server: RunningServer,
    prepare: str,
    code: str,
) -> None:
    data: dict[str, Any] = {"urls": [URL_A]}
    if prepare == "key":
        dashscope_server.api_key = "sk-revoked"
    else:
        data["model"] = "paraformer-v9"
    with pytest.raises(HomeAssistantError) as info:
        await call(hass, setup_integration, **data)
    assert info.value.translation_key == "service_error"
    assert code in info.value.translation_placeholders["error"]


@pytest.mark.parametrize("step", ["upload", "result"])
async def test_a_slow_upload_or_result_is_a_timeout(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    dashscope_server: RunningServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    step: str,
) -> None:
    """aiohttp's own timeout is no ClientError: it must still become the action's clear error."""
    monkeypatch.setattr(transcription, "_TIMEOUT", aiohttp.ClientTimeout(total=0.05))
    dashscope_server.transcription.slow_seconds = 0.3
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    (tmp_path / "meeting.wav").write_bytes(wav_header(3200) + tone(0.1))
    data: dict[str, Any] = {"urls": [URL_A]}
    if step == "upload":
        data = {"files": [str(tmp_path / "meeting.wav")]}
    with pytest.raises(HomeAssistantError) as info:
        await call(hass, setup_integration, **data)
    assert info.value.translation_key == "transcription_timeout"
    await asyncio.sleep(0.35)  # the server's late answer, before it is stopped


@pytest.fixture
async def http() -> aiohttp.ClientSession:
    async with aiohttp.ClientSession() as session:
        yield session


def client(http: aiohttp.ClientSession, server: RunningServer) -> TranscriptionClient:
    return TranscriptionClient(
        HttpApi(http, API_KEY, Endpoint.resolve(Region.CUSTOM, url=server.url))
    )


async def test_polls_back_off(http, dashscope_server: RunningServer) -> None:
    dashscope_server.transcription.polls_to_finish = 6
    await client(http, dashscope_server).transcribe(
        TranscriptionJob("paraformer-v2", [URL_A]), within=5
    )
    [task] = dashscope_server.transcription.tasks.values()
    gaps = [b - a for a, b in zip(task.polls, task.polls[1:], strict=False)]
    # 0.01 s doubling: 0.02, 0.04, then capped at 0.05.
    assert gaps[0] < gaps[1] < gaps[2]
    assert gaps[-1] == pytest.approx(0.05, abs=0.03)


async def test_cancelled_action_cancels_the_task(http, dashscope_server: RunningServer) -> None:
    dashscope_server.transcription.polls_to_finish = 10**6
    job = asyncio.create_task(
        client(http, dashscope_server).transcribe(
            TranscriptionJob("paraformer-v2", [URL_A]), within=30
        )
    )
    for _ in range(100):
        if dashscope_server.transcription.tasks:
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)
    job.cancel()
    with pytest.raises(asyncio.CancelledError):
        await job
    [task] = dashscope_server.transcription.tasks.values()
    assert task.status == "CANCELED"


async def test_client_timeout_error(http, dashscope_server: RunningServer) -> None:
    dashscope_server.transcription.polls_to_finish = 10**6
    with pytest.raises(DashScopeTimeoutError):
        await client(http, dashscope_server).transcribe(
            TranscriptionJob("paraformer-v2", [URL_A]), within=0.1
        )
