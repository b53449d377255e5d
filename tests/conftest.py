"""Fixtures: a running local DashScope server, an account entry and a set-up integration."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web
from homeassistant.components import stt
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResult
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.dashscope.client import DashScopeClient
from custom_components.dashscope.const import (
    CONF_LANGUAGE_HINTS,
    CONF_MODEL,
    CONF_REGION,
    CONF_URL,
    DOMAIN,
    SUBENTRY_RECOGNIZER,
)

from .dashscope_server import DashScopeServer

# Home Assistant 2026.5 and later let an stt entity end the utterance itself (2026.2 cannot).
SERVICE_ENDS_SPEECH = hasattr(stt, "SpeechAudioProcessing")
API_KEY = "sk-0123456789abcdef0123456789abcdef"
RECOGNIZER_ID = "01RECOGNIZER0000000000000000"
ENTITY_ID = "stt.fun_asr_realtime"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load the integration from custom_components."""


@pytest.fixture(autouse=True)
def no_usage_reports(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fail a test in which Home Assistant reports the integration's use of its API.

    Those reports ("Detected that custom integration 'dashscope' ... will stop working in
    Home Assistant X") are deprecations with a date: a bug, not a warning.
    """
    yield
    reports = [
        record.getMessage()
        for record in caplog.get_records("call")
        if f"custom integration '{DOMAIN}'" in record.getMessage()
    ]
    assert not reports, reports


class RunningServer(DashScopeServer):
    """The local server with the URL it listens on."""

    url: str
    runner: web.AppRunner

    @property
    def host(self) -> str:
        """Return the host and port, as a custom-endpoint account's title names them."""
        return urlsplit(self.url).netloc

    async def stop(self) -> None:
        """Take the service away: close every connection and stop listening."""
        await self.runner.cleanup()


@pytest.fixture
async def dashscope_server(socket_enabled: None) -> AsyncIterator[RunningServer]:
    """Run the local DashScope server on 127.0.0.1 in the test's event loop."""
    server = RunningServer(API_KEY)
    runner = web.AppRunner(server.app(), shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    server.url = f"ws://127.0.0.1:{port}/api-ws/v1/inference"
    server.runner = runner
    yield server
    await runner.cleanup()


CLIENTS: list[DashScopeClient] = []  # made by a test; closed when its `http` session ends


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """Return an HTTP session for clients a test makes itself."""
    async with aiohttp.ClientSession() as session:
        yield session
        # As the integration does on unload: every connection closed, every response released.
        while CLIENTS:
            await CLIENTS.pop().close()


@pytest.fixture
def recognizer_data() -> dict[str, Any]:
    """Return the recognizer subentry's data."""
    return {CONF_MODEL: "fun-asr-realtime", CONF_LANGUAGE_HINTS: []}


@pytest.fixture
def config_entry(
    hass: HomeAssistant, dashscope_server: RunningServer, recognizer_data: dict[str, Any]
) -> MockConfigEntry:
    """Return an account entry pointing at the local server, with one recognizer."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="DashScope custom endpoint",
        data={CONF_API_KEY: API_KEY, CONF_REGION: "custom", CONF_URL: dashscope_server.url},
        unique_id="account",
        subentries_data=[
            {
                "subentry_id": RECOGNIZER_ID,
                "subentry_type": SUBENTRY_RECOGNIZER,
                "data": recognizer_data,
                "title": recognizer_data[CONF_MODEL],
                "unique_id": None,
            }
        ],
    )
    entry.add_to_hass(hass)
    return entry


@pytest.fixture
async def setup_integration(hass: HomeAssistant, config_entry: MockConfigEntry) -> MockConfigEntry:
    """Set up the integration with the account entry."""
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    return config_entry


async def fill_account(hass: HomeAssistant, result: FlowResult, data: dict[str, Any]) -> FlowResult:
    """Answer the account forms as a person does: key and region, then what the region asks."""
    flow = hass.config_entries.flow
    if result["step_id"] in ("user", "reconfigure"):
        first = {key: data[key] for key in (CONF_API_KEY, CONF_REGION)}
        result = await flow.async_configure(result["flow_id"], first)
    if result.get("step_id") in ("endpoint", "workspace"):
        fields = {str(key) for key in result["data_schema"].schema}
        second = {key: value for key, value in data.items() if key in fields and value != ""}
        result = await flow.async_configure(result["flow_id"], second)
    return result


def recognizer_device(
    device_registry: dr.DeviceRegistry, entry_id: str, subentry_id: str = RECOGNIZER_ID
) -> dr.DeviceEntry:
    """Return a recognizer's device (found the same way on every supported release)."""
    [device] = [
        device
        for device in dr.async_entries_for_config_entry(device_registry, entry_id)
        if (DOMAIN, subentry_id) in device.identifiers
    ]
    return device


# The live test runs a real Home Assistant 2026.11.0 from its own environment (scripts/test).
collect_ignore = ["live"]


def suggested(result: FlowResult, field: str) -> Any:
    """Return the value a re-shown form offers in `field` (what the person typed)."""
    for key in result["data_schema"].schema:
        if str(key) == field:
            return (key.description or {}).get("suggested_value")
    raise KeyError(field)
