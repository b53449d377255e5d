"""What a form says back: ranges in the person's language, values kept, changes announced.

Every error a form shows here is the integration's own (translated in both languages), never
Home Assistant's English-only schema message, and a form shown again keeps what was typed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResult, FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.dashscope.const import (
    CONF_AUTO_LANGUAGE,
    CONF_FINISH_TIMEOUT,
    CONF_HOTWORDS,
    CONF_KEEP_TRANSCRIPTS,
    CONF_MODEL,
    CONF_MONTHLY_BUDGET,
    CONF_REGION,
    CONF_START_TIMEOUT,
    CONF_URL,
    DOMAIN,
    SUBENTRY_RECOGNIZER,
)

from .conftest import API_KEY, RunningServer, suggested

TRANSLATIONS = Path(__file__).resolve().parents[1] / "custom_components" / DOMAIN / "translations"
LONG_CHINESE = "这是一个非常非常非常长的中文热词不能用"  # 19 characters: more than 15


def _strings(language: str) -> dict[str, Any]:
    return json.loads((TRANSLATIONS / f"{language}.json").read_text("utf-8"))


async def _engine_settings(hass: HomeAssistant, entry: MockConfigEntry, model: str) -> FlowResult:
    """Open the add-engine flow and pick `model`: its settings form."""
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_RECOGNIZER), context={"source": SOURCE_USER}
    )
    return await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_MODEL: model}
    )


@pytest.mark.parametrize(
    ("field", "value", "low", "high"),
    [
        (CONF_START_TIMEOUT, 100.0, "2 s", "30 s"),
        (CONF_FINISH_TIMEOUT, 0.5, "1 s", "30 s"),
        (CONF_MONTHLY_BUDGET, -5.0, "0", "100000"),
    ],
)
async def test_a_wait_out_of_range_is_refused_with_its_range_in_both_languages(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    field: str,
    value: float,
    low: str,
    high: str,
) -> None:
    result = await hass.config_entries.options.async_init(setup_integration.entry_id)
    # The form says its ranges before anything is typed.
    assert result["description_placeholders"] == {
        "start_timeout_range": "2-30 s",
        "finish_timeout_range": "1-30 s",
        "monthly_budget_range": "0-100000",
    }
    for language in ("en", "zh-Hans"):
        step = _strings(language)["options"]["step"]["init"]
        assert "{start_timeout_range}" in step["description"]
        assert "{finish_timeout_range}" in step["data_description"][CONF_FINISH_TIMEOUT]
        assert "{monthly_budget_range}" in step["data_description"][CONF_MONTHLY_BUDGET]

    typed = {CONF_START_TIMEOUT: 10.0, CONF_FINISH_TIMEOUT: 5.0, field: value}
    result = await hass.config_entries.options.async_configure(result["flow_id"], typed)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {field: "out_of_range"}
    placeholders = result["description_placeholders"]
    assert (placeholders["min"], placeholders["max"]) == (low, high)
    assert suggested(result, field) == value, "what was typed is kept"
    for language, expected in (("en", f"from {low} to {high}"), ("zh-Hans", f"{low} 到 {high}")):
        message = _strings(language)["options"]["error"]["out_of_range"].format(**placeholders)
        assert expected in message, message

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_START_TIMEOUT: 12.0, CONF_FINISH_TIMEOUT: 6.0}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert setup_integration.options == {
        CONF_START_TIMEOUT: 12.0,
        CONF_FINISH_TIMEOUT: 6.0,
        CONF_KEEP_TRANSCRIPTS: False,
    }


async def test_a_sentence_silence_out_of_range_names_its_unit(
    hass: HomeAssistant, setup_integration: MockConfigEntry, dashscope_server: RunningServer
) -> None:
    result = await _engine_settings(hass, setup_integration, "fun-asr-realtime")
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"max_sentence_silence": 100, CONF_HOTWORDS: "客厅吊灯"}
    )
    assert result["errors"] == {"max_sentence_silence": "out_of_range"}
    assert result["description_placeholders"]["min"] == "200 ms"
    assert result["description_placeholders"]["max"] == "6000 ms"
    assert result["description_placeholders"]["model"] == "fun-asr-realtime", "and the rest"
    assert suggested(result, CONF_HOTWORDS) == "客厅吊灯", "the other fields are kept too"


async def test_a_hotword_change_is_announced_even_after_a_range_error(
    hass: HomeAssistant, setup_integration: MockConfigEntry, dashscope_server: RunningServer
) -> None:
    """The range error comes first; the hotword change is still shown before saving."""
    result = await _engine_settings(hass, setup_integration, "fun-asr-realtime")
    typed = {"max_sentence_silence": 100, CONF_HOTWORDS: "客厅吊灯=9"}
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], typed)
    assert result["errors"] == {"max_sentence_silence": "out_of_range"}
    typed["max_sentence_silence"] = 400
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], typed)
    assert result["errors"] == {CONF_HOTWORDS: "hotwords_adjusted"}


async def test_the_hotword_form_says_what_saving_would_change(
    hass: HomeAssistant, setup_integration: MockConfigEntry, dashscope_server: RunningServer
) -> None:
    """A weight of 9 becomes 5 and a too-long hotword is left out: said before saving."""
    result = await _engine_settings(hass, setup_integration, "fun-asr-realtime")
    typed = f"客厅吊灯=9\n书房台灯=3\n{LONG_CHINESE}"
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_HOTWORDS: typed}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_HOTWORDS: "hotwords_adjusted"}
    changes = result["description_placeholders"]["changes"]
    assert changes == f"客厅吊灯 =9 → =5; {LONG_CHINESE} ✕", "the fine line is not listed"
    assert suggested(result, CONF_HOTWORDS) == typed
    for language in ("en", "zh-Hans"):
        errors = _strings(language)["config_subentries"]["recognizer"]["error"]
        assert "{changes}" in errors["hotwords_adjusted"]

    # Edited: checked again.
    edited = f"客厅吊灯=8\n{LONG_CHINESE}"
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_HOTWORDS: edited}
    )
    assert result["description_placeholders"]["changes"].startswith("客厅吊灯 =8 → =5")
    # The same text submitted again: saved as typed (the service gets the clamped list).
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_HOTWORDS: edited}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_HOTWORDS] == edited


async def test_hotwords_that_need_no_change_are_saved_at_once(
    hass: HomeAssistant, setup_integration: MockConfigEntry, dashscope_server: RunningServer
) -> None:
    result = await _engine_settings(hass, setup_integration, "fun-asr-realtime")
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_HOTWORDS: "客厅吊灯=5\nreading light"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_the_custom_url_survives_a_refused_key(
    hass: HomeAssistant, dashscope_server: RunningServer
) -> None:
    """Key refused on the URL form's check: the corrected key brings the URL back."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: "sk-wrong", CONF_REGION: "custom"}
    )
    assert result["step_id"] == "endpoint"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: dashscope_server.url}
    )
    assert result["step_id"] == "user"
    assert result["errors"] == {"base": "invalid_auth"}
    assert suggested(result, CONF_REGION) == "custom"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: API_KEY, CONF_REGION: "custom"}
    )
    assert result["step_id"] == "endpoint"
    assert suggested(result, CONF_URL) == dashscope_server.url, "not typed again"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: dashscope_server.url}
    )
    assert result["step_id"] == "model"


async def test_the_first_set_up_can_detect_the_language(
    hass: HomeAssistant, dashscope_server: RunningServer
) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: API_KEY, CONF_REGION: "custom"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: dashscope_server.url}
    )
    assert CONF_AUTO_LANGUAGE in {str(key) for key in result["data_schema"].schema}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_MODEL: "fun-asr-realtime", CONF_AUTO_LANGUAGE: True}
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    [subentry] = result["result"].subentries.values()
    assert subentry.data[CONF_AUTO_LANGUAGE] is True
    await hass.async_block_till_done()


async def test_engines_with_the_same_model_get_distinct_names(
    hass: HomeAssistant, setup_integration: MockConfigEntry, dashscope_server: RunningServer
) -> None:
    titles = []
    for auto in (False, True, False):
        result = await hass.config_entries.subentries.async_init(
            (setup_integration.entry_id, SUBENTRY_RECOGNIZER), context={"source": SOURCE_USER}
        )
        result = await hass.config_entries.subentries.async_configure(
            result["flow_id"], {CONF_MODEL: "paraformer-realtime-v1", CONF_AUTO_LANGUAGE: auto}
        )
        result = await hass.config_entries.subentries.async_configure(result["flow_id"], {})
        assert result["type"] is FlowResultType.CREATE_ENTRY
        titles.append(result["title"])
        await hass.async_block_till_done()
    assert titles == [
        "DashScope paraformer-realtime-v1",
        "DashScope paraformer-realtime-v1 (auto)",
        "DashScope paraformer-realtime-v1 2",
    ]


async def test_context_text_over_the_limit_is_announced(
    hass: HomeAssistant, setup_integration: MockConfigEntry, dashscope_server: RunningServer
) -> None:
    """Qwen3: no weights to clamp, but what does not fit in 10,000 tokens is named."""
    result = await _engine_settings(hass, setup_integration, "qwen3-asr-flash-realtime")
    assert result["step_id"] == "context_settings"
    too_long = "灯" * 10_001
    typed = f"客厅吊灯=9\n{too_long}"
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_HOTWORDS: typed}
    )
    assert result["errors"] == {CONF_HOTWORDS: "context_adjusted"}
    assert result["description_placeholders"]["changes"] == f"{too_long} ✕", "=9 is no change"
