"""The phrase trigger in the automation editor: described, translated, with icons; both shapes run.

The editor saves a picked trigger as `trigger: dashscope` with its fields under `options:`
(and moves top-level fields of older YAML there when such an automation is opened);
YAML written before keeps its fields at the top level. Both are the same trigger.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import trigger as trigger_helper
from homeassistant.helpers.icon import async_get_icons
from homeassistant.helpers.translation import async_get_translations
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events
import yaml

from custom_components.dashscope.const import DOMAIN
from custom_components.dashscope.transcript import async_publish
from custom_components.dashscope.trigger import MATCH_MODES, OPTIONS_SCHEMA
from custom_components.dashscope.validation import vol

from .conftest import ENTITY_ID
from .test_transcript_events import record

COMPONENT = Path(__file__).resolve().parent.parent / "custom_components" / "dashscope"
FIELDS = ("phrases", "match", "entity_id")
VARIABLES = ("platform", "text", "matched", "entity_id", "emotion", "language", "model")


def triggers_yaml() -> dict[str, Any]:
    return yaml.safe_load((COMPONENT / "triggers.yaml").read_text("utf-8"))


def icons_json() -> dict[str, Any]:
    return json.loads((COMPONENT / "icons.json").read_text("utf-8"))


async def test_the_editor_is_offered_the_trigger(
    hass: HomeAssistant, setup_integration: MockConfigEntry
) -> None:
    """What `trigger_platforms/subscribe` sends the editor: the fields and their selectors."""
    description = (await trigger_helper.async_get_all_descriptions(hass))[DOMAIN]
    assert description is not None
    fields = description["fields"]
    assert tuple(fields) == FIELDS
    assert fields["phrases"]["required"] is True
    assert fields["phrases"]["selector"]["text"]["multiple"] is True
    assert fields["match"]["default"] == "exact"
    assert tuple(fields["match"]["selector"]["select"]["options"]) == MATCH_MODES
    entity = fields["entity_id"]["selector"]["entity"]
    assert (entity["integration"], entity["domain"], entity["multiple"]) == (DOMAIN, ["stt"], True)
    assert "target" not in description


def test_the_fields_described_are_the_ones_validated() -> None:
    """triggers.yaml cannot read the schema: it must name the same fields and modes."""
    fields = triggers_yaml()["_"]["fields"]
    validated = OPTIONS_SCHEMA({"phrases": ["开灯"]})
    assert set(fields) == {*validated, "entity_id"}
    assert fields["match"]["default"] == validated["match"]


@pytest.mark.parametrize("language", ["en", "zh-Hans"])
async def test_the_trigger_is_named_in_both_languages(
    hass: HomeAssistant, setup_integration: MockConfigEntry, language: str
) -> None:
    prefix = f"component.{DOMAIN}"
    triggers = await async_get_translations(hass, language, "triggers", [DOMAIN])
    selectors = await async_get_translations(hass, language, "selector", [DOMAIN])
    english = await async_get_translations(hass, "en", "triggers", [DOMAIN])
    expected = [f"{prefix}.triggers._.name", f"{prefix}.triggers._.description"]
    for field in FIELDS:
        expected += [
            f"{prefix}.triggers._.fields.{field}.name",
            f"{prefix}.triggers._.fields.{field}.description",
        ]
    for key in expected:
        assert triggers.get(key), key
        if language != "en":
            assert triggers[key] != english[key], key
    translation_key = triggers_yaml()["_"]["fields"]["match"]["selector"]["select"][
        "translation_key"
    ]
    for mode in MATCH_MODES:
        assert selectors.get(f"{prefix}.selector.{translation_key}.options.{mode}"), mode


async def setup_automation(hass: HomeAssistant, trigger: dict[str, Any]) -> list[Any]:
    """An automation that fires `heard` with every variable the trigger gives."""
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "triggers": [trigger],
                "actions": [
                    {
                        "event": "heard",
                        "event_data": {
                            name: f"{{{{ trigger.{name} }}}}"
                            for name in (*VARIABLES, "description")
                        },
                    }
                ],
            }
        },
    )
    return async_capture_events(hass, "heard")


def fire(hass: HomeAssistant, text: str, entity_id: str = ENTITY_ID) -> None:
    async_publish(hass, record(text, entity_id, emotion="neutral"))


# What the editor saves: the field defaults on picking the trigger, then what was filled in.
EDITOR = {"trigger": "dashscope", "options": {"match": "contains", "phrases": ["开灯"]}}
# The same trigger as written in YAML before the editor offered it.
OLD_YAML = {"trigger": "dashscope", "phrases": ["开灯"], "match": "contains"}


@pytest.mark.parametrize("trigger", [EDITOR, OLD_YAML], ids=["editor", "old-yaml"])
async def test_both_shapes_fire_with_the_variables(
    hass: HomeAssistant, trigger: dict[str, Any]
) -> None:
    heard = await setup_automation(hass, trigger)
    fire(hass, "请开灯。", entity_id="stt.other")
    fire(hass, "关灯")
    await hass.async_block_till_done()
    [event] = heard
    assert event.data == {
        "platform": "dashscope",
        "text": "请开灯。",
        "matched": "开灯",
        "entity_id": "stt.other",
        "emotion": "neutral",
        "language": "zh-CN",
        "model": "fun-asr-realtime",
        "description": "dashscope transcript matching '开灯'",
    }


@pytest.mark.parametrize(
    ("entity_ids", "fires"),
    [([ENTITY_ID], True), (["stt.other"], False), ([], True)],
    ids=["this-engine", "other-engine", "ticked-but-empty"],
)
async def test_the_editor_entity_filter(
    hass: HomeAssistant, entity_ids: list[str], *, fires: bool
) -> None:
    """The entity field is a list; left empty in the editor it means any engine."""
    options = {**EDITOR["options"], "entity_id": entity_ids}
    heard = await setup_automation(hass, {"trigger": "dashscope", "options": options})
    fire(hass, "开灯")
    await hass.async_block_till_done()
    assert len(heard) == int(fires)


async def test_old_yaml_validates_as_the_editor_shape(hass: HomeAssistant) -> None:
    """Older YAML is read as the editor's shape, so the editor opens it as this trigger."""
    old, new = await trigger_helper.async_validate_trigger_config(
        hass,
        [
            {"platform": "dashscope", "phrases": "开灯", "entity_id": ENTITY_ID},
            {"platform": "dashscope", "options": {"phrases": ["开灯"], "entity_id": [ENTITY_ID]}},
        ],
    )
    assert old == new
    assert old["options"] == {"phrases": ["开灯"], "match": "exact", "entity_id": [ENTITY_ID]}


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"options": {"match": "exact"}}, "required key not provided"),
        ({"options": {"phrases": []}}, "at least one phrase is required"),
        ({"options": {"phrases": [""]}}, "has no letter, digit or character"),
        ({"options": {"phrases": ["(x"], "match": "regex"}}, "“\\(x” is not a valid regular"),
        ({"options": {"phrases": ["x"], "match": "fuzzy"}}, "value must be one of"),
        ({"options": {"phrases": ["x"], "entity_id": ["nope"]}}, "Entity ID nope is an invalid"),
        ({"phrases": ["(x"], "match": "regex"}, "“\\(x” is not a valid regular"),
        # Both libraries name the stray key: voluptuous "extra keys", probatio "not a valid option".
        ({"options": {"phrases": ["x"]}, "match": "exact"}, "'match'"),
        ({}, "required key not provided"),
    ],
    ids=[
        "no-phrases",
        "empty-list",
        "empty-phrase",
        "bad-regex",
        "bad-mode",
        "bad-entity",
        "old-yaml-bad-regex",
        "mixed-shapes",
        "nothing",
    ],
)
async def test_invalid_config_says_what_is_wrong(
    hass: HomeAssistant, config: dict[str, Any], message: str
) -> None:
    with pytest.raises(vol.Invalid, match=message):
        await trigger_helper.async_validate_trigger_config(
            hass, [{"platform": "dashscope", **config}]
        )


async def test_an_invalid_regex_is_refused_in_the_homes_language(hass: HomeAssistant) -> None:
    """Not Python's English: where it breaks and how to fix it, in the home's language."""
    hass.config.language = "zh-Hans"
    config = {"platform": "dashscope", "options": {"phrases": ["开(灯"], "match": "regex"}}
    with pytest.raises(vol.Invalid) as error:
        await trigger_helper.async_validate_trigger_config(hass, [config])
    message = str(error.value)
    assert "语句“开(灯”不是有效的正则表达式" in message
    assert "第 2 个字符" in message
    assert "unterminated" not in message, "no Python message"


def test_every_action_entity_and_trigger_has_an_icon() -> None:
    icons = icons_json()
    services = yaml.safe_load((COMPONENT / "services.yaml").read_text("utf-8"))
    assert set(icons["services"]) == set(services)
    assert set(icons["triggers"]) == set(triggers_yaml())
    translations = json.loads((COMPONENT / "translations" / "en.json").read_text("utf-8"))
    assert set(icons["entity"]) == set(translations["entity"])
    for platform, entities in icons["entity"].items():
        assert set(entities) == set(translations["entity"][platform]), platform
    found = [
        *(icon["service"] for icon in icons["services"].values()),
        *(icon["trigger"] for icon in icons["triggers"].values()),
        *(icon["default"] for entities in icons["entity"].values() for icon in entities.values()),
    ]
    assert all(icon.startswith("mdi:") for icon in found), found


@pytest.mark.parametrize(
    ("category", "path", "icon"),
    [
        ("triggers", ("_", "trigger"), "mdi:account-voice"),
        ("services", ("transcribe_file", "service"), "mdi:file-music"),
        ("entity", ("event", "transcript", "default"), "mdi:subtitles-outline"),
    ],
)
async def test_home_assistant_loads_the_icons(
    hass: HomeAssistant, category: str, path: tuple[str, ...], icon: str
) -> None:
    node: Any = (await async_get_icons(hass, category, [DOMAIN]))[DOMAIN]
    for key in path:
        node = node[key]
    assert node == icon
