"""The API key never reaches a log, whatever happens."""

from __future__ import annotations

import logging
import traceback

import aiohttp
from homeassistant.components import stt
from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest

from custom_components.dashscope.client import (
    DashScopeAuthError,
    DashScopeConnectionError,
    DashScopeError,
    DashScopeThrottledError,
    Endpoint,
    Region,
    VocabularyClient,
)
from custom_components.dashscope.client.rest import HttpApi
from custom_components.dashscope.const import CONF_MODEL, CONF_REGION, CONF_URL, DOMAIN

from .audio import stream, tone
from .conftest import API_KEY, RunningServer, fill_account
from .dashscope_server import TaskScript
from .test_client_inference import make_client, recognize
from .test_stt import metadata


async def test_key_never_logged(
    hass: HomeAssistant, dashscope_server: RunningServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    form = {CONF_API_KEY: API_KEY, CONF_REGION: "custom", CONF_URL: dashscope_server.url}
    model = {CONF_MODEL: "fun-asr-realtime"}
    # A refused key, a failing task, then a working account.
    dashscope_server.handshake_status = 401
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await fill_account(hass, result, form)
    assert result["errors"] == {"base": "invalid_auth"}
    dashscope_server.handshake_status = None
    result = await fill_account(hass, result, form)
    dashscope_server.queue(TaskScript(fail_code="InternalError", fail_message="boom"))
    result = await hass.config_entries.flow.async_configure(result["flow_id"], model)
    assert result["errors"] == {"base": "unknown"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], model)
    assert result["step_id"] == "settings", "the first engine's settings"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()

    engine = stt.async_get_speech_to_text_entity(hass, "stt.dashscope_fun_asr_realtime")
    assert engine is not None
    ok = await engine.async_process_audio_stream(metadata(), stream(tone(0.5)))
    dashscope_server.queue(TaskScript(fail_code="InvalidApiKey", fail_message="Invalid API-key."))
    refused = await engine.async_process_audio_stream(metadata(), stream(tone(0.5)))
    assert ok.result is stt.SpeechResultState.SUCCESS
    assert refused.result is stt.SpeechResultState.ERROR

    assert "dashscope" in caplog.text  # the logs were captured at all
    assert API_KEY not in caplog.text
    assert API_KEY[3:15] not in caplog.text


def everything_printed(err: BaseException) -> str:
    """Return every way an error can be printed: its chain, and tracebacks with locals."""
    texts: list[str] = []
    seen: set[int] = set()
    stack: list[BaseException | None] = [err]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        texts += [str(current), repr(current), repr(current.args)]
        stack += [current.__cause__, current.__context__]
    texts += traceback.format_exception(err)
    texts += traceback.TracebackException.from_exception(err, capture_locals=True).format()
    return "\n".join(texts)


HANDSHAKE_FAILURES = {
    "refused-401": (401, DashScopeAuthError),
    "refused-403": (403, DashScopeAuthError),
    "throttled-429": (429, DashScopeThrottledError),
    "overloaded-503": (503, DashScopeConnectionError),
    "unreachable": (None, DashScopeConnectionError),
}


@pytest.mark.parametrize(
    ("status", "kind"), HANDSHAKE_FAILURES.values(), ids=HANDSHAKE_FAILURES.keys()
)
async def test_no_handshake_failure_holds_the_key(
    http: aiohttp.ClientSession,
    dashscope_server: RunningServer,
    status: int | None,
    kind: type[DashScopeError],
) -> None:
    """However the error of a refused handshake is printed, the key is not in it."""
    dashscope_server.handshake_status = status
    if status is None:
        await dashscope_server.stop()
    client = make_client(http, dashscope_server)
    with pytest.raises(kind) as info:
        await recognize(client, tone(0.2))
    assert dashscope_server.headers or status is None, "the key was sent"
    printed = everything_printed(info.value)
    assert "Traceback" in printed
    assert API_KEY not in printed
    assert API_KEY[3:15] not in printed


async def test_no_http_failure_holds_the_key(
    http: aiohttp.ClientSession, dashscope_server: RunningServer
) -> None:
    """The HTTP APIs too: a transport failure's error never carries the request's headers."""
    await dashscope_server.stop()
    endpoint = Endpoint.resolve(Region.CUSTOM, url=dashscope_server.url)
    api = HttpApi(http, API_KEY, endpoint)
    with pytest.raises(DashScopeConnectionError) as info:
        await VocabularyClient(api).list("ha")
    printed = everything_printed(info.value)
    assert API_KEY not in printed
