"""The API key never reaches a log, whatever happens."""

from __future__ import annotations

import logging

from homeassistant.components import stt
from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest

from custom_components.dashscope.const import CONF_MODEL, CONF_REGION, CONF_URL, DOMAIN

from .audio import stream, tone
from .conftest import API_KEY, RunningServer, fill_account
from .dashscope_server import TaskScript
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
