"""A custom URL on the realtime path: checked against the protocol its path names.

A URL ending in /api-ws/v1/realtime serves Qwen3 only: the account check (and the warm
connection at load) name a model with `?model=`, the model list offers Qwen3 models only, and a
model of the inference protocol is a clear form error, not `unknown`.
"""

from __future__ import annotations

from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.dashscope.client import Endpoint, Protocol
from custom_components.dashscope.const import (
    CONF_CUSTOM_MODEL,
    CONF_MODEL,
    CONF_REGION,
    CONF_URL,
    DOMAIN,
)

from .conftest import API_KEY, RunningServer


@pytest.mark.parametrize(
    ("url", "named", "realtime"),
    [
        (
            "ws://h:1/api-ws/v1/inference",
            Protocol.INFERENCE,
            "ws://h:1/api-ws/v1/realtime?model=qwen3-asr-flash-realtime-2026-02-10",
        ),
        (
            "ws://h:1/api-ws/v1/realtime",
            Protocol.REALTIME,
            "ws://h:1/api-ws/v1/realtime?model=qwen3-asr-flash-realtime-2026-02-10",
        ),
        (
            "wss://proxy/asr/realtime?model=qwen3-asr-flash-realtime",
            Protocol.REALTIME,
            "wss://proxy/asr/realtime?model=qwen3-asr-flash-realtime-2026-02-10",
        ),
    ],
    ids=["inference-path", "realtime-path", "proxy-realtime-path"],
)
def test_the_path_names_the_protocol(url: str, named: Protocol, realtime: str) -> None:
    endpoint = Endpoint.resolve("custom", url=url)
    assert endpoint.named_protocol is named
    assert endpoint.serves(Protocol.REALTIME)
    assert endpoint.serves(Protocol.INFERENCE) is (named is Protocol.INFERENCE)
    assert endpoint.socket_url(Protocol.REALTIME, "qwen3-asr-flash-realtime-2026-02-10") == realtime


def test_a_realtime_url_names_a_model_to_connect() -> None:
    endpoint = Endpoint.resolve("custom", url="ws://h:1/api-ws/v1/realtime").naming("qwen3-x")
    assert endpoint.websocket_url == "ws://h:1/api-ws/v1/realtime?model=qwen3-x"
    inference = Endpoint.resolve("custom", url="ws://h:1/api-ws/v1/inference")
    assert inference.naming("qwen3-x") is inference, "the inference protocol names no model"


async def test_setting_up_a_custom_realtime_url(
    hass: HomeAssistant, dashscope_server: RunningServer
) -> None:
    url = dashscope_server.url.replace("/api-ws/v1/inference", "/api-ws/v1/realtime")
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: API_KEY, CONF_REGION: "custom"}
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_URL: url})
    assert result["step_id"] == "model", "the account check connected"
    [check] = dashscope_server.qwen_sessions
    assert check.model == "qwen3-asr-flash-realtime", "with ?model= on the realtime path"

    models = result["data_schema"].schema[CONF_MODEL].config["options"]
    assert models, "Qwen3 models are offered"
    assert all(model.startswith("qwen3-") for model in models), models
    # A Fun-ASR model typed anyway: a form error that says why, not `unknown`.
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_MODEL: "qwen3-asr-flash-realtime", CONF_CUSTOM_MODEL: "fun-asr-realtime"},
    )
    assert result["errors"] == {CONF_CUSTOM_MODEL: "model_other_protocol"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_MODEL: "qwen3-asr-flash-realtime"}
    )
    assert result["step_id"] == "context_settings"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    entry = result["result"]
    endpoint = entry.runtime_data.client.endpoint
    assert endpoint.websocket_url == f"{url}?model=qwen3-asr-flash-realtime", "at load too"
    assert dashscope_server.violations == [], "no realtime connection without ?model="
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_an_account_moved_to_a_realtime_url_keeps_a_servable_engine(
    hass: HomeAssistant, setup_integration: MockConfigEntry, dashscope_server: RunningServer
) -> None:
    """Its Fun-ASR engine could not work there: said on the account form, nothing saved."""
    url = dashscope_server.url.replace("/api-ws/v1/inference", "/api-ws/v1/realtime")
    result = await setup_integration.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: API_KEY, CONF_REGION: "custom"}
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_URL: url})
    assert result["step_id"] == "reconfigure"
    assert result["errors"] == {"base": "recognizer_model_other_protocol"}
    assert setup_integration.data[CONF_URL] == dashscope_server.url
