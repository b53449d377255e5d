"""The account flow and the recognizer subentry flow: every error, each recovering."""

from __future__ import annotations

import asyncio
import functools
import json
from pathlib import Path
from typing import Any

from homeassistant.config_entries import SOURCE_USER, ConfigSubentry
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.dashscope.client import DEFAULT_MODEL, MODELS, DashScopeClient, Timeouts
from custom_components.dashscope.config_flow import account_unique_id
from custom_components.dashscope.const import (
    CONF_AUTO_LANGUAGE,
    CONF_CUSTOM_MODEL,
    CONF_LANGUAGE_HINTS,
    CONF_MODEL,
    CONF_REGION,
    CONF_URL,
    CONF_WORKSPACE_ID,
    DOMAIN,
    SUBENTRY_RECOGNIZER,
)

from .conftest import (
    API_KEY,
    RECOGNIZER_ID,
    SERVICE_ENDS_SPEECH,
    RunningServer,
    fill_account,
    recognizer_device,
)
from .dashscope_server import TaskScript


def account_input(server: RunningServer, **overrides: Any) -> dict[str, Any]:
    return {CONF_API_KEY: API_KEY, CONF_REGION: "custom", CONF_URL: server.url, **overrides}


@pytest.mark.parametrize(
    ("region", "fields"),
    [
        ("beijing", None),
        ("singapore", None),
        ("beijing_workspace", {CONF_WORKSPACE_ID}),
        ("singapore_workspace", {CONF_WORKSPACE_ID}),
        ("custom", {CONF_URL, CONF_WORKSPACE_ID}),
    ],
)
async def test_the_account_step_asks_only_what_the_region_needs(
    hass: HomeAssistant,
    monkeypatch: pytest.MonkeyPatch,
    region: str,
    fields: set[str] | None,
) -> None:
    async def connected(self: DashScopeClient) -> None:
        """Stand in for the real service, which the tests cannot reach."""

    monkeypatch.setattr(DashScopeClient, "connect", connected)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert {str(key) for key in result["data_schema"].schema} == {CONF_API_KEY, CONF_REGION}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: API_KEY, CONF_REGION: region}
    )
    if fields is None:
        assert result["step_id"] == "model", "the shared domains need nothing more"
        return
    # A workspace form asks for the workspace ID; the custom endpoint's for its URL.
    assert result["step_id"] == ("workspace" if region.endswith("_workspace") else "endpoint")
    assert {str(key) for key in result["data_schema"].schema} == fields
    if region.endswith("_workspace"):
        assert result["description_placeholders"]["region"].startswith(
            "China (Beijing)" if region.startswith("beijing") else "Singapore"
        )
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_WORKSPACE_ID: "not a workspace!"}
        )
        assert result["step_id"] == "workspace"
        assert result["errors"] == {CONF_WORKSPACE_ID: "invalid_workspace_id"}
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_WORKSPACE_ID: "ws-1"}
        )
        assert result["step_id"] == "model"


@pytest.mark.parametrize(
    ("language", "title"),
    [("en", "DashScope Custom endpoint"), ("zh-Hans", "DashScope 自定义端点")],
)
async def test_the_account_title_is_in_the_homes_language(
    hass: HomeAssistant, dashscope_server: RunningServer, language: str, title: str
) -> None:
    hass.config.language = language
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await fill_account(hass, result, account_input(dashscope_server))
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_MODEL: "fun-asr-realtime"}
    )
    assert result["step_id"] == "settings", "the first engine's settings"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["title"] == f"{title} {dashscope_server.host}", "the host tells accounts apart"
    await hass.async_block_till_done()


async def no_open_sockets(server: RunningServer) -> bool:
    """Wait a moment for the server to see the client's connections closed."""
    for _ in range(100):
        if server.open_sockets == 0:
            return True
        await asyncio.sleep(0.01)
    return False


async def test_user_flow_creates_account_and_recognizer(
    hass: HomeAssistant, dashscope_server: RunningServer
) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {}

    result = await fill_account(
        hass, result, account_input(dashscope_server, **{CONF_WORKSPACE_ID: ""})
    )
    assert result["step_id"] == "model"
    assert dashscope_server.connections == 1, "the key was proven by a handshake"
    assert await _closed(dashscope_server), "the handshake connection is not left open"
    models = result["data_schema"].schema[CONF_MODEL].config["options"]
    assert "paraformer-realtime-v2" in models  # a custom endpoint may be either region

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_MODEL: "fun-asr-realtime"}
    )
    # The first set-up reaches the engine's settings, as adding an engine does.
    assert result["step_id"] == "settings", "the first engine's settings"
    fields = {str(key) for key in result["data_schema"].schema}
    assert {"end_of_speech", "hotwords", "exposed_names", "max_sentence_silence"} <= fields
    assert {"command_end", "command_silence_ms"} <= fields
    assert result["description_placeholders"] == {"model": "fun-asr-realtime"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"hotwords": "客厅吊灯", "max_sentence_silence": 400}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == f"DashScope Custom endpoint {dashscope_server.host}"
    assert result["data"] == {
        CONF_API_KEY: API_KEY,
        CONF_REGION: "custom",
        CONF_URL: dashscope_server.url,
    }
    entry = result["result"]
    assert entry.unique_id == account_unique_id(API_KEY)
    assert API_KEY not in entry.unique_id
    [subentry] = entry.subentries.values()
    assert subentry.subentry_type == SUBENTRY_RECOGNIZER
    assert subentry.data == {
        CONF_MODEL: "fun-asr-realtime",
        CONF_LANGUAGE_HINTS: [],
        CONF_AUTO_LANGUAGE: False,
        "end_of_speech": SERVICE_ENDS_SPEECH,  # on where Home Assistant lets the service end it
        "command_end": SERVICE_ENDS_SPEECH,  # the same releases end a complete command
        "command_silence_ms": 200,
        "punctuation_prediction_enabled": True,
        "semantic_punctuation_enabled": False,
        "max_sentence_silence": 400,
        "multi_threshold_mode_enabled": False,
        "hotwords": "客厅吊灯",
        "exposed_names": False,
    }
    assert subentry.title == "DashScope fun-asr-realtime"
    # Validated live: a real task ran against the service.
    assert dashscope_server.tasks[0].finished
    await hass.async_block_till_done()
    state = hass.states.get("stt.dashscope_fun_asr_realtime")
    assert state is not None
    assert state.name == "DashScope fun-asr-realtime", "the engine list says whose it is"


async def _closed(server: RunningServer) -> bool:
    for _ in range(50):
        if server.open_sockets == 0:
            return True
        await asyncio.sleep(0.01)
    return False


async def test_model_step_lists_only_the_regions_models(
    hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def connected(self: DashScopeClient) -> None:
        """Stand in for the real Singapore endpoint, which the tests cannot reach."""

    monkeypatch.setattr(DashScopeClient, "connect", connected)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: API_KEY, CONF_REGION: "singapore"}
    )
    assert result["step_id"] == "model"
    models = result["data_schema"].schema[CONF_MODEL].config["options"]
    assert models == [
        "qwen-audio-3.1-asr-flash-message",
        "fun-asr-realtime",
        "fun-asr-realtime-2025-11-07",
        "qwen3-asr-flash-realtime",
        "qwen3-asr-flash-realtime-2026-02-10",
        "qwen3-asr-flash-realtime-2025-10-27",
        "qwen-audio-3.1-asr-flash-streaming",
        "qwen-audio-3.0-asr-flash-streaming",
    ]
    # A model of another region, typed in, is refused before any connection.
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_MODEL: DEFAULT_MODEL, CONF_CUSTOM_MODEL: "paraformer-realtime-v2"}
    )
    assert result["errors"] == {CONF_CUSTOM_MODEL: "model_not_available"}


@pytest.mark.parametrize(
    ("breakage", "step", "errors"),
    [
        ("wrong_key", "user", {"base": "invalid_auth"}),
        ("handshake_403", "user", {"base": "invalid_auth"}),
        ("unreachable", "endpoint", {"base": "cannot_connect"}),
        ("handshake_503", "endpoint", {"base": "cannot_connect"}),
        ("stall", "endpoint", {"base": "cannot_connect"}),
        ("bad_url", "endpoint", {CONF_URL: "invalid_url"}),
        ("bug", "user", {"base": "unknown"}),
    ],
)
async def test_account_step_errors_recover(
    hass: HomeAssistant,
    dashscope_server: RunningServer,
    unused_tcp_port_factory,
    monkeypatch: pytest.MonkeyPatch,
    breakage: str,
    step: str,
    errors: dict[str, str],
) -> None:
    """Each error lands on the form whose field is at fault, and the flow recovers there."""
    overrides: dict[str, Any] = {}
    match breakage:
        case "wrong_key":
            overrides = {CONF_API_KEY: "sk-wrong"}
        case "handshake_403":
            dashscope_server.handshake_status = 403
        case "unreachable":
            port = unused_tcp_port_factory()
            overrides = {CONF_URL: f"ws://127.0.0.1:{port}/api-ws/v1/inference"}
        case "handshake_503":
            dashscope_server.handshake_status = 503
        case "stall":
            monkeypatch.setattr(
                "custom_components.dashscope.client.client.Timeouts",
                functools.partial(Timeouts, start=0.3),
            )
            dashscope_server.accept_delay = 1.0
        case "bad_url":
            overrides = {CONF_URL: "https://example.com"}
        case "bug":  # anything unforeseen: "unknown" on the form, never a broken flow
            real_connect = DashScopeClient.connect
            broken = [True]

            async def connect_once_broken(client: DashScopeClient) -> None:
                if broken.pop() if broken else False:
                    raise RuntimeError("a bug")
                await real_connect(client)

            monkeypatch.setattr(DashScopeClient, "connect", connect_once_broken)

    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await fill_account(hass, result, account_input(dashscope_server, **overrides))
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == step
    assert result["errors"] == errors

    dashscope_server.handshake_status = None
    dashscope_server.accept_delay = 0.0
    result = await fill_account(hass, result, account_input(dashscope_server))
    assert result["step_id"] == "model"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_MODEL: "fun-asr-realtime"}
    )
    assert result["step_id"] == "settings", "the first engine's settings"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()


@pytest.mark.parametrize(
    ("script", "model", "errors"),
    [
        (TaskScript(fail_code="InvalidApiKey"), "fun-asr-realtime", {"base": "invalid_auth"}),
        (TaskScript(stall_start=True), "fun-asr-realtime", {"base": "cannot_connect"}),
        (None, "fun-asr-realtime-2099-01-01", {CONF_CUSTOM_MODEL: "model_not_available"}),
        (TaskScript(fail_code="InternalError"), "fun-asr-realtime", {"base": "unknown"}),
        ("bug", "fun-asr-realtime", {"base": "unknown"}),
    ],
    ids=["invalid_auth", "cannot_connect", "model_not_available", "unknown", "bug"],
)
async def test_model_step_errors_recover(
    hass: HomeAssistant,
    dashscope_server: RunningServer,
    monkeypatch: pytest.MonkeyPatch,
    script: TaskScript | str | None,
    model: str,
    errors: dict[str, str],
) -> None:
    monkeypatch.setattr(
        "custom_components.dashscope.client.client.Timeouts",
        functools.partial(Timeouts, start=0.5),
    )
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await fill_account(hass, result, account_input(dashscope_server))
    assert await no_open_sockets(dashscope_server), "the account step closed its client"
    if script == "bug":  # anything unforeseen: "unknown" on the form, never a broken flow
        real_validate = DashScopeClient.validate
        broken = [True]

        async def validate_once_broken(client: DashScopeClient, *args: Any) -> None:
            if broken.pop() if broken else False:
                raise RuntimeError("a bug")
            await real_validate(client, *args)

        monkeypatch.setattr(DashScopeClient, "validate", validate_once_broken)
    elif isinstance(script, TaskScript):
        dashscope_server.queue(script)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_MODEL: DEFAULT_MODEL, CONF_CUSTOM_MODEL: model}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "model"
    assert result["errors"] == errors
    assert await no_open_sockets(dashscope_server), "the model step closed its client"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_MODEL: "paraformer-realtime-v2"}
    )
    assert result["step_id"] == "settings", "the first engine's settings"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()


async def test_duplicate_account_is_refused(
    hass: HomeAssistant, dashscope_server: RunningServer
) -> None:
    MockConfigEntry(domain=DOMAIN, unique_id=account_unique_id(API_KEY)).add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await fill_account(hass, result, account_input(dashscope_server))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert dashscope_server.tasks == []


async def test_add_recognizer(
    hass: HomeAssistant, setup_integration: MockConfigEntry, dashscope_server: RunningServer
) -> None:
    entry = setup_integration
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_RECOGNIZER), context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    model_options = result["data_schema"].schema[CONF_MODEL].config["options"]
    assert "paraformer-realtime-v2" in model_options

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {CONF_MODEL: DEFAULT_MODEL, CONF_CUSTOM_MODEL: "fun-asr-realtime-2099-01-01"},
    )
    assert result["errors"] == {CONF_CUSTOM_MODEL: "model_not_available"}

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_MODEL: "paraformer-realtime-v2"}
    )
    assert result["step_id"] == "settings"
    fields = {str(key) for key in result["data_schema"].schema}
    assert "disfluency_removal_enabled" in fields  # Paraformer v2 has it, Fun-ASR does not
    assert "speech_noise_threshold" not in fields
    assert CONF_LANGUAGE_HINTS in fields  # Paraformer v2 uses every hint
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {
            CONF_LANGUAGE_HINTS: ["en"],
            "disfluency_removal_enabled": True,
            "max_sentence_silence": 300,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "DashScope paraformer-realtime-v2 (en)"
    assert result["data"]["disfluency_removal_enabled"] is True
    await hass.async_block_till_done()
    assert len(entry.subentries) == 2
    assert hass.states.get("stt.dashscope_paraformer_realtime_v2_en") is not None
    assert hass.states.get("stt.fun_asr_realtime") is not None


async def test_reconfigure_recognizer(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    dashscope_server: RunningServer,
    device_registry: dr.DeviceRegistry,
) -> None:
    entry = setup_integration
    result = await entry.start_subentry_reconfigure_flow(hass, RECOGNIZER_ID)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"

    dashscope_server.handshake_status = 503
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_MODEL: "paraformer-realtime-v2"}
    )
    assert result["errors"] == {"base": "cannot_connect"}

    dashscope_server.handshake_status = None
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_MODEL: "paraformer-realtime-v2"}
    )
    assert result["step_id"] == "settings"
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_LANGUAGE_HINTS: ["en"], "semantic_punctuation_enabled": True}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert result.get("translation_domain") != "homeassistant", "our own text, translated"
    await hass.async_block_till_done()
    subentry: ConfigSubentry = entry.subentries[RECOGNIZER_ID]
    assert subentry.data[CONF_MODEL] == "paraformer-realtime-v2"
    assert subentry.title == "DashScope paraformer-realtime-v2 (en)"
    # The entity was rebuilt with the new model (same entity id, same unique id).
    state = hass.states.get("stt.fun_asr_realtime")
    assert state is not None
    assert state.name == "DashScope paraformer-realtime-v2 (en)", "renamed with its model"
    device = recognizer_device(device_registry, entry.entry_id)
    assert device.model == "paraformer-realtime-v2"


async def test_recognizer_flow_needs_a_loaded_account(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    result = await hass.config_entries.subentries.async_init(
        (config_entry.entry_id, SUBENTRY_RECOGNIZER), context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "entry_not_loaded"


async def test_a_typed_model_name_is_used_as_typed(
    hass: HomeAssistant, dashscope_server: RunningServer
) -> None:
    """A newer snapshot the list does not know yet: the typed name, not a listed neighbour."""
    newer = "fun-asr-realtime-2026-11-30"
    dashscope_server.models = {**dashscope_server.models, newer: (16000,)}
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await fill_account(hass, result, account_input(dashscope_server))
    picker = result["data_schema"].schema[CONF_MODEL].config
    assert picker["translation_key"] == "model", "labelled options"
    assert not picker.get("custom_value"), "the picker completes nothing typed"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_MODEL: DEFAULT_MODEL, CONF_CUSTOM_MODEL: f" {newer} "}
    )
    assert result["step_id"] == "settings"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    [subentry] = result["result"].subentries.values()
    assert subentry.data[CONF_MODEL] == newer
    assert CONF_CUSTOM_MODEL not in subentry.data
    assert dashscope_server.tasks[-1].run_task["payload"]["model"] == newer
    await hass.async_block_till_done()


@pytest.mark.parametrize("language", ["en", "zh-Hans"])
def test_every_model_has_a_readable_label(language: str) -> None:
    path = (
        Path(__file__).parent.parent / f"custom_components/dashscope/translations/{language}.json"
    )
    labels = json.loads(path.read_text(encoding="utf-8"))["selector"]["model"]["options"]
    assert set(labels) == set(MODELS), "one label per model of the catalog"
    for name, label in labels.items():
        assert label != name
        assert label.startswith(f"{name} · "), "the model ID the README and engine names use"
        assert len(label) <= 60, "fits the picker once selected (about 60 characters)"
        assert "kHz" in label, "the rate is said"
    snapshots = [name for name in MODELS if name[-10:-8] == "20"]
    assert all(
        ("fixed version" if language == "en" else "固定版本") in labels[n] for n in snapshots
    )
