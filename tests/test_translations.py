"""Translations: both languages complete, every key the code uses present; actions described."""

from __future__ import annotations

import json
from pathlib import Path
import re
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.service import async_get_all_descriptions
from pytest_homeassistant_custom_component.common import MockConfigEntry
import yaml

from custom_components.dashscope.client.catalog import DEFAULT_FILE_MODEL, FILE_MODELS

COMPONENT = Path(__file__).resolve().parent.parent / "custom_components" / "dashscope"


def load(language: str) -> dict[str, Any]:
    return json.loads((COMPONENT / "translations" / f"{language}.json").read_text("utf-8"))


def keys(tree: dict[str, Any], prefix: str = "") -> set[str]:
    out = set()
    for key, value in tree.items():
        path = f"{prefix}.{key}" if prefix else key
        out |= keys(value, path) if isinstance(value, dict) else {path}
    return out


def _parts(tree: dict[str, Any], key: str) -> list[str]:
    """Split a flattened key into its path; a part may hold dots (`qwen-audio-3.1-…`)."""
    if key in tree:
        return [key]
    for name, node in tree.items():
        if key.startswith(f"{name}.") and isinstance(node, dict):
            return [name, *_parts(node, key.removeprefix(f"{name}."))]
    raise KeyError(key)


def test_both_languages_have_the_same_strings() -> None:
    english, chinese = load("en"), load("zh-Hans")
    assert keys(english) == keys(chinese)
    placeholders = re.compile(r"\{(\w+)\}")
    for key in keys(english):
        node_en, node_zh = english, chinese
        for part in _parts(english, key):
            node_en, node_zh = node_en[part], node_zh[part]
        assert set(placeholders.findall(node_en)) == set(placeholders.findall(node_zh)), key


def test_every_key_the_code_uses_is_translated() -> None:
    english = load("en")
    code = "\n".join(path.read_text("utf-8") for path in COMPONENT.glob("*.py"))
    used = set(re.findall(r'translation_key="(\w+)"', code))
    used |= set(re.findall(r'_invalid\(\s*"(\w+)"', code))
    sections = ("exceptions", "issues", "selector")
    entities = english["entity"].values()  # an entity description's key, per platform
    for key in used:
        assert any(key in english[section] for section in sections) or any(
            key in platform for platform in entities
        ), key
    errors = set(re.findall(r'"base": "(\w+)"', code)) | set(
        re.findall(r'\{CONF_\w+: "(\w+)"\}', code)
    )
    for error in errors:
        assert error in english["config"]["error"], error
    for reason in re.findall(r'reason="(\w+)"', code):
        assert (
            reason in english["config"]["abort"]
            or reason in english["config_subentries"]["recognizer"]["abort"]
        ), reason


async def test_actions_are_described(
    hass: HomeAssistant, setup_integration: MockConfigEntry
) -> None:
    descriptions = (await async_get_all_descriptions(hass))["dashscope"]
    assert set(descriptions) == {"transcribe_file", "transcribe_url"}
    assert set(descriptions["transcribe_file"]["fields"]) == {
        "entity_id",
        "file",
        "media",
        "language",
        "speed",
    }
    assert descriptions["transcribe_url"]["fields"]["timeout"]["default"] == 300


def test_the_file_models_offered_are_the_catalogs() -> None:
    """services.yaml cannot read the catalog: it must list the same file models."""
    services = yaml.safe_load((COMPONENT / "services.yaml").read_text())
    field = services["transcribe_url"]["fields"]["model"]
    assert field["default"] == DEFAULT_FILE_MODEL
    assert tuple(field["selector"]["select"]["options"]) == FILE_MODELS
