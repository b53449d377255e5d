"""Setting up, as a person meets it: finding the integration, and the engine's forms.

The search tests apply the rule of Home Assistant's frontend (20261028.4, the one 2026.11 pins).
Its "Add integration" dialog (src/panels/config/integrations/dialog-add-integration.ts) searches
what the `integration/descriptions` websocket command returns, with fuse.js 7.5 and the options
`keys: name, domain, ...`, `threshold: 0.2`, `ignoreDiacritics`, `minMatchCharLength:
min(len, 2)` and fuse.js's defaults `location: 0`, `distance: 100`. For a custom integration
`name` is the manifest's `name`, whatever the user's language: translations are not searched
there. A term is found only if it starts within the first ~20 characters of the name or the
domain (each character away from the start costs 1/100 of the 0.2 allowed). The integrations
dashboard (its configured entries) searches the translated `title` under the same rule.
"""

from __future__ import annotations

import json
from pathlib import Path
import re
import unicodedata

from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.translation import async_get_translations
from homeassistant.loader import async_get_integration_descriptions
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.dashscope.client.catalog import HINT_ORDER, MODELS, HintRule, hint_order
from custom_components.dashscope.const import (
    CONF_LANGUAGE_HINTS,
    CONF_MODEL,
    DOMAIN,
    SUBENTRY_RECOGNIZER,
)
from custom_components.dashscope.settings_form import _hints_selector
from custom_components.dashscope.validation import vol

from .conftest import RunningServer, suggested

TRANSLATIONS = Path(__file__).resolve().parents[1] / "custom_components" / DOMAIN / "translations"

# What people type, from issue 24; the name is measured against all of them. The frontend's rule
# finds a term only if it starts within the first ~20 characters, so no bilingual name is found by
# every one: the manifest's name gives the start to the vendor and the function in both languages
# ("Alibaba Cloud 阿里云百炼 语音识别 Speech to Text"), and the README names what to type.
FOUND_BY_NAME = (
    "Alibaba",
    "alibaba",
    "Alibaba Cloud",
    "DashScope",  # the domain
    "百炼",
    "阿里",
    "阿里云",
    "阿里云百炼",
    "语音",
    "语音识别",
)
# Too far from the start of any name that also leads with the other language.
NOT_FOUND_BY_NAME = (
    "Aliyun",
    "Model Studio",
    "Qwen",
    "speech",
    "speech to text",
    "语音转文字",
    "通义",
    "千问",
)
# The configured entry's translated title takes the rest of each language's terms.
FOUND_BY_TITLE = {
    "en": ("Alibaba", "Alibaba Cloud", "speech", "speech to text", "DashScope"),
    "zh-Hans": ("阿里云", "阿里", "百炼", "阿里云百炼", "语音", "语音识别", "DashScope"),
}


def _normalize(text: str) -> str:
    """Lower case without diacritics, as fuse.js does with isCaseSensitive off."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    return "".join(char for char in decomposed if not 0x300 <= ord(char) <= 0x36F)


def _score(length: int, errors: int, location: int) -> float:
    """fuse.js computeScore with location 0 and distance 100."""
    return errors / length + location / 100


def fuse_matches(text: str, pattern: str, threshold: float = 0.2) -> bool:
    """Return whether fuse.js 7.5's bitap search finds `pattern` in `text`.

    A line-by-line port of fuse.js's `search` (default location and distance); checked against
    the frontend's own bundle under node on 5,400 name/term pairs, fuzzy ones included.
    """
    text, pattern = _normalize(text), _normalize(pattern)
    if text == pattern:
        return True
    length, text_length = len(pattern), len(text)
    min_match = min(length, 2)
    match_mask: dict[int, int] = {}
    current = threshold
    best = 0
    # Exact occurrences first: they only tighten the threshold.
    while (index := text.find(pattern, best)) > -1:
        current = min(_score(length, 0, index), current)
        best = index + length
        for offset in range(length):
            match_mask[index + offset] = 1
    best = -1
    alphabet: dict[str, int] = {}
    for position, char in enumerate(pattern):
        alphabet[char] = alphabet.get(char, 0) | 1 << (length - position - 1)
    mask = 1 << (length - 1)
    last: dict[int, int] = {}
    bin_max = length + text_length
    for errors in range(length):
        # How far from the start a match with this many errors may lie.
        bin_min, bin_mid = 0, bin_max
        while bin_min < bin_mid:
            if _score(length, errors, bin_mid) <= current:
                bin_min = bin_mid
            else:
                bin_max = bin_mid
            bin_mid = (bin_max - bin_min) // 2 + bin_min
        bin_max = bin_mid
        start = max(1, -bin_mid + 1)
        finish = min(bin_mid, text_length) + length
        bits = {finish + 1: (1 << errors) - 1}
        j = finish
        while j >= start:
            location = j - 1
            char_match = alphabet.get(text[location], 0) if location < text_length else 0
            match_mask[location] = int(bool(char_match))
            bits[j] = ((bits.get(j + 1, 0) << 1) | 1) & char_match
            if errors:
                bits[j] |= ((last.get(j + 1, 0) | last.get(j, 0)) << 1) | 1 | last.get(j + 1, 0)
            if bits[j] & mask and (score := _score(length, errors, location)) <= current:
                current, best = score, location
                if best <= 0:
                    break
                start = max(1, -best)
            j -= 1
        if _score(length, errors + 1, 0) > current:
            break
        last = bits
    if best < 0:
        return False
    run = longest = 0
    for position in range(max(match_mask, default=-1) + 1):
        run = run + 1 if match_mask.get(position) else 0
        longest = max(longest, run)
    return longest >= min_match


def found(term: str, *fields: str) -> bool:
    """Return whether a search for `term` lists an item with these searched fields."""
    return any(fuse_matches(value, term) for value in fields)


@pytest.mark.parametrize(
    ("text", "term", "expected"),
    [
        ("Alibaba Cloud Model Studio (DashScope)", "model studio", True),  # at 14
        ("Alibaba Cloud Model Studio (DashScope)", "dashscope", False),  # at 28: too far
        ("阿里云百炼 Qwen 语音 Alibaba Model Studio", "model studio", False),  # at 21
        ("Alibaba Cloud Model Studio", "studio", True),  # at 20: just
        ("Model Studio", "modle studio", True),  # a typo is forgiven at the start
        ("Alibaba Cloud Model Studio", "modle studio", False),  # but not further on
    ],
)
def test_the_search_rule_is_the_frontends(text: str, term: str, *, expected: bool) -> None:
    """Cases whose answer was read from the frontend's bundle run under node."""
    assert fuse_matches(text, term) is expected


@pytest.mark.parametrize("term", FOUND_BY_NAME)
async def test_add_integration_finds_it(hass: HomeAssistant, term: str) -> None:
    """What the dialog searches is what Home Assistant sends it: the manifest's name."""
    descriptions = await async_get_integration_descriptions(hass)
    item = descriptions["custom"]["integration"][DOMAIN]
    assert found(term, item["name"], DOMAIN), item["name"]


async def test_the_measure_of_the_name(hass: HomeAssistant) -> None:
    """Of the longer list, what the name does not reach (the README says what to type)."""
    descriptions = await async_get_integration_descriptions(hass)
    name = descriptions["custom"]["integration"][DOMAIN]["name"]
    assert [term for term in NOT_FOUND_BY_NAME if found(term, name, DOMAIN)] == []
    assert name.startswith("Alibaba Cloud"), "English first, as the vendor spells it"
    readme = (TRANSLATIONS.parents[2] / "README.md").read_text("utf-8")
    hacs = json.loads((TRANSLATIONS.parents[2] / "hacs.json").read_text("utf-8"))
    assert hacs["name"] == name
    assert "country" not in hacs, "HACS would hide it from a Singapore-endpoint user elsewhere"
    assert readme.count(name) >= 2, "the English and the Chinese install steps name it"


@pytest.mark.parametrize("language", ["en", "zh-Hans"])
async def test_the_dashboard_shows_and_finds_the_translated_title(
    hass: HomeAssistant, language: str
) -> None:
    """The configured integration is listed (and searched) under its title in that language."""
    translations = await async_get_translations(hass, language, "title", [DOMAIN])
    title = translations[f"component.{DOMAIN}.title"]
    descriptions = await async_get_integration_descriptions(hass)
    name = descriptions["custom"]["integration"][DOMAIN]["name"]
    halves = {"en": "Alibaba Cloud Speech to Text", "zh-Hans": "阿里云百炼语音识别"}
    assert title == halves[language]
    assert all(word in name for word in re.findall(r"[A-Za-z]+|阿里云百炼|语音识别", title)), (
        "the title is the name's own half"
    )
    for term in FOUND_BY_TITLE[language]:
        assert found(term, title, DOMAIN), (term, title)


@pytest.mark.parametrize("language", ["en", "zh-Hans"])
def test_every_language_hint_has_a_name(language: str) -> None:
    """Each code a model offers reads as a language, not a bare code."""
    translations = json.loads((TRANSLATIONS / f"{language}.json").read_text("utf-8"))
    labels = translations["selector"]["language_hint"]["options"]
    offered = {code for model in MODELS.values() for code in model.languages}
    missing = offered - labels.keys()
    assert not missing, f"no {language} name for {sorted(missing)}"
    assert all(label and label != code for code, label in labels.items())
    assert len(set(labels.values())) == len(labels), "two codes with the same name"
    assert set(HINT_ORDER) >= offered, "every code has its place in the order"


def test_common_language_hints_come_first() -> None:
    every_code = [code for model in MODELS.values() for code in model.languages]
    assert hint_order(every_code)[:5] == ["zh", "yue", "en", "ja", "ko"]
    # The form offers a model's own codes in that order.
    options = [
        option["value"]
        for option in _hints_selector(MODELS["paraformer-realtime-v2"]).config["options"]
    ]
    assert options[:5] == ["zh", "yue", "en", "ja", "ko"]
    assert sorted(options) == sorted(MODELS["paraformer-realtime-v2"].languages)


@pytest.mark.parametrize(
    ("model", "setting"),
    [("fun-asr-realtime", "speech_noise_threshold"), ("qwen3-asr-flash-realtime", "vad_threshold")],
)
async def test_an_unset_threshold_looks_unset_and_keeps_its_range(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    dashscope_server: RunningServer,
    model: str,
    setting: str,
) -> None:
    """No slider (it would sit at -1.0, looking set); out of range is a translated form error."""
    result = await hass.config_entries.subentries.async_init(
        (setup_integration.entry_id, SUBENTRY_RECOGNIZER), context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_MODEL: model}
    )
    assert result["step_id"] in ("settings", "context_settings")
    schema = result["data_schema"]
    key = next(key for key in schema.schema if str(key) == setting)
    assert key.default is vol.UNDEFINED, "empty: the service's default"
    config = schema.schema[key].config
    assert config["mode"] == "box"
    # Every frontend draws a slider only with both ends set.
    assert "min" not in config
    assert "max" not in config

    # Out of range: the integration's own translated error, with the range to enter.
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], {setting: 2.0})
    assert result["errors"] == {setting: "out_of_range"}
    assert (
        result["description_placeholders"] | {"min": "-1", "max": "1"}
        == result["description_placeholders"]
    )
    assert suggested(result, setting) == 2.0, "what was typed is kept"
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], {setting: 0.5})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][setting] == 0.5


@pytest.mark.parametrize("language", ["en", "zh-Hans"])
def test_the_end_of_speech_help_is_short_and_plain(language: str) -> None:
    """One or two plain lines: no release numbers, no timings to weigh."""
    translations = json.loads((TRANSLATIONS / f"{language}.json").read_text("utf-8"))
    step = translations["config_subentries"]["recognizer"]["step"]["settings"]
    text = step["data_description"]["end_of_speech"]
    sentences = [part for part in re.split(r"[.。;；!?！？]\s*", text) if part.strip()]
    assert len(sentences) <= 2, text
    assert len(text) <= (140 if language == "en" else 60), text
    assert not re.search(r"\d", text), "no versions or numbers"


@pytest.mark.parametrize("model", list(MODELS))
async def test_extra_hints_are_asked_only_where_they_count(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    dashscope_server: RunningServer,
    model: str,
) -> None:
    """Fun-ASR and Qwen3 use only the pipeline's language: no field that would do nothing."""
    result = await hass.config_entries.subentries.async_init(
        (setup_integration.entry_id, SUBENTRY_RECOGNIZER), context={"source": SOURCE_USER}
    )
    assert CONF_LANGUAGE_HINTS not in {str(key) for key in result["data_schema"].schema}
    assert MODELS[model].deployments & setup_integration.runtime_data.client.endpoint.deployments
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_MODEL: model}
    )
    fields = (
        {str(key) for key in result["data_schema"].schema}
        if result["type"] is FlowResultType.FORM
        else set()
    )
    asked = CONF_LANGUAGE_HINTS in fields
    assert asked is (MODELS[model].hint_rule is HintRule.ALL)
    for language in ("en", "zh-Hans"):
        translations = json.loads((TRANSLATIONS / f"{language}.json").read_text("utf-8"))
        step = translations["config_subentries"]["recognizer"]["step"]["settings"]
        assert fields <= step["data"].keys(), "every field is labelled"
        assert fields <= step["data_description"].keys(), "and explained"
