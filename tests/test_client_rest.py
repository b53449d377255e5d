"""The customization (vocabulary) client against the local server's HTTP API."""

from __future__ import annotations

import aiohttp
import pytest

from custom_components.dashscope.client import (
    DashScopeAuthError,
    DashScopeConnectionError,
    DashScopeServiceError,
    Endpoint,
    Hotword,
    Region,
    VocabularyClient,
)
from custom_components.dashscope.client.rest import HttpApi

from .conftest import API_KEY, RunningServer


@pytest.fixture
async def http() -> aiohttp.ClientSession:
    async with aiohttp.ClientSession() as session:
        yield session


def vocabularies(http, server: RunningServer, key: str = API_KEY) -> VocabularyClient:
    return VocabularyClient(HttpApi(http, key, Endpoint.resolve(Region.CUSTOM, url=server.url)))


async def test_life_cycle(http, dashscope_server: RunningServer) -> None:
    client = vocabularies(http, dashscope_server)
    vocabulary_id = await client.create("hatest", "fun-asr-realtime", [Hotword("客厅吊灯", 5)])
    assert vocabulary_id.startswith("vocab-hatest-")
    await client.update(vocabulary_id, [Hotword("书房")])
    assert [v["vocabulary_id"] for v in await client.list("hatest")] == [vocabulary_id]
    assert await client.list("other") == []
    await client.delete(vocabulary_id)
    assert dashscope_server.customization.vocabularies == {}
    assert dashscope_server.customization.requests[0] == {
        "model": "speech-biasing",
        "input": {
            "action": "create_vocabulary",
            "target_model": "fun-asr-realtime",
            "prefix": "hatest",
            "vocabulary": [{"text": "客厅吊灯", "weight": 5, "lang": "zh"}],
        },
    }


async def test_errors(http, dashscope_server: RunningServer, unused_tcp_port_factory) -> None:
    with pytest.raises(DashScopeAuthError):
        await vocabularies(http, dashscope_server, key="sk-wrong").list("ha")
    with pytest.raises(DashScopeServiceError) as info:
        await vocabularies(http, dashscope_server).delete("vocab-nope")
    assert info.value.code == "BadRequest.ResourceNotExist"
    with pytest.raises(DashScopeServiceError) as info:
        await vocabularies(http, dashscope_server).create("NOT OK", "fun-asr-realtime", [])
    assert info.value.code == "InvalidParameter"
    endpoint = Endpoint.resolve(Region.CUSTOM, url=f"ws://127.0.0.1:{unused_tcp_port_factory()}")
    with pytest.raises(DashScopeConnectionError):
        await VocabularyClient(HttpApi(http, API_KEY, endpoint)).list("ha")


async def test_non_json_error_answer(http, dashscope_server: RunningServer) -> None:
    """A proxy's HTML error page still becomes a clear error with the HTTP status."""
    endpoint = Endpoint.resolve(
        Region.CUSTOM, url=dashscope_server.url.replace("/api-ws/v1/inference", "/nowhere")
    )
    client = VocabularyClient(
        HttpApi(
            http,
            API_KEY,
            Endpoint(endpoint.region, endpoint.websocket_url, endpoint.http_base_url + "/nowhere"),
        )
    )
    with pytest.raises(DashScopeServiceError) as info:
        await client.list("ha")
    assert info.value.code == "HTTP 404"
