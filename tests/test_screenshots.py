"""scripts/screenshots still fits the flow: every screen it names is there, titled, and pictured.

The script (a development tool, run by hand) walks the real frontend through the screens of
scripts/screenshots_lib/screens.py. Here the same flows run in the test harness, answered as the
script answers them, and every step id the table names must come; every screen's title must
exist in both languages; docs/screenshots/ must hold both languages' pictures of every screen,
and every picture README.md shows.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
import re
import sys
from types import ModuleType
from typing import Any

from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest

from custom_components.dashscope.const import CONF_MODEL, CONF_URL, DOMAIN, SUBENTRY_RECOGNIZER

from .conftest import API_KEY, RunningServer
from .test_setup_ux import fuse_matches

ROOT = Path(__file__).resolve().parents[1]
COMPONENT = ROOT / "custom_components" / DOMAIN
SHOTS = ROOT / "docs" / "screenshots"


def _load_screens() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "screenshots_screens", ROOT / "scripts" / "screenshots_lib" / "screens.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


SCREENS_MODULE = _load_screens()
SCREENS = SCREENS_MODULE.SCREENS
LANGUAGES = SCREENS_MODULE.LANGUAGES


def _translations(language: str) -> dict[str, Any]:
    return dict(json.loads((COMPONENT / "translations" / f"{language}.json").read_text("utf-8")))


async def _walk(flow: Any, result: Any, answers: dict[str, Any], seen: list[str]) -> Any:
    """Answer each form as the script does (its fields by name, defaults for the rest)."""
    for _ in range(10):
        if result["type"] is not FlowResultType.FORM:
            seen.append(str(result["type"]))  # e.g. "create_entry"
            return result
        assert not result.get("errors"), (result["step_id"], result["errors"])
        seen.append(result["step_id"])
        fields = {str(key) for key in result["data_schema"].schema}
        result = await flow.async_configure(
            result["flow_id"], {key: value for key, value in answers.items() if key in fields}
        )
    pytest.fail(f"the flow never ended: {seen}")


def test_the_table_names_each_screen_once() -> None:
    names = [screen.name for screen in SCREENS]
    assert len(names) == len(set(names))
    assert {screen.flow for screen in SCREENS} <= {
        "add_integration",
        "config",
        "recognizer",
        "entry_page",
        "trigger",
        "refused",
        "workspace",
        "reauth",
        "repair",
    }
    # drive.mjs has a handler for each screen (it also checks this itself when it runs).
    drive = (ROOT / "scripts" / "screenshots_lib" / "drive.mjs").read_text("utf-8")
    for name in names:
        assert re.search(rf'^\s+(async )?"?{re.escape(name)}"?\(', drive, re.MULTILINE), name


async def test_every_step_the_script_names_is_in_the_flows(
    hass: HomeAssistant, dashscope_server: RunningServer
) -> None:
    config_steps: list[str] = []
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    answers = {CONF_API_KEY: API_KEY, **SCREENS_MODULE.ACCOUNT, CONF_URL: dashscope_server.url}
    result = await _walk(hass.config_entries.flow, result, answers, config_steps)
    assert result["type"] is FlowResultType.CREATE_ENTRY, config_steps
    await hass.async_block_till_done()
    entry_id = result["result"].entry_id

    recognizer_steps: list[str] = []
    flow = hass.config_entries.subentries
    result = await flow.async_init((entry_id, SUBENTRY_RECOGNIZER), context={"source": SOURCE_USER})
    result = await _walk(flow, result, {CONF_MODEL: SCREENS_MODULE.ENGINE_MODEL}, recognizer_steps)
    assert result["type"] is FlowResultType.CREATE_ENTRY, recognizer_steps
    await hass.async_block_till_done()

    # A step the script does not know would stop it: the table must name every form shown,
    # in the order the flow shows them (the end, create_entry, is checked by the script).
    seen = {"config": config_steps, "recognizer": recognizer_steps}
    for flow_name, steps in seen.items():
        named = [screen for screen in SCREENS if screen.flow == flow_name]
        for screen in named:
            assert screen.optional or screen.step in steps, (screen, steps)
        names = [screen.step for screen in named]
        assert [step for step in names if step in steps] == [
            step for step in steps if step in names
        ], (flow_name, steps)
        unknown = [step for step in steps if step not in names and step != "create_entry"]
        assert not unknown, f"the {flow_name} flow has steps the script does not know: {unknown}"
    assert await hass.config_entries.async_unload(entry_id)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_screen_is_titled_in_both_languages(language: str) -> None:
    strings = _translations(language)
    manifest = json.loads((COMPONENT / "manifest.json").read_text("utf-8"))
    for screen in SCREENS:
        if screen.flow == "config" and screen.step != "create_entry":
            steps = strings["config"]["step"]
            if screen.optional and screen.step not in steps:
                continue
            assert steps[screen.step]["title"], screen
        elif screen.flow == "recognizer":
            step = strings["config_subentries"]["recognizer"]["step"][screen.step]
            assert step["title"], screen
        elif screen.flow in ("refused", "workspace", "reauth"):
            # Config flow steps met off the main path: a refused key, a workspace region,
            # the re-authentication of a seeded account.
            assert strings["config"]["step"][screen.step]["title"], screen
        elif screen.flow == "repair":
            fix = strings["issues"]["model_not_found"]["fix_flow"]["step"][screen.step]
            assert fix["title"], screen
        elif screen.flow == "entry_page":
            # The button the script presses to add an engine.
            assert strings["config_subentries"][screen.step]["initiate_flow"]["user"], screen
        elif screen.flow == "trigger":
            assert strings["triggers"][screen.step]["name"], screen
        elif screen.flow == "add_integration":
            assert manifest["domain"] == screen.step
            term = SCREENS_MODULE.SEARCH[language]
            assert fuse_matches(manifest["name"], term), "the script's search finds it"


def test_every_screen_has_its_pictures() -> None:
    """Both languages' PNG of every screen (an optional one only if either was taken)."""
    for screen in SCREENS:
        files = [SHOTS / screen.filename(language) for language in LANGUAGES]
        if screen.optional and not any(file.exists() for file in files):
            continue
        for file in files:
            assert file.is_file(), f"{file.relative_to(ROOT)} is missing: run scripts/screenshots"
            assert file.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", file
            assert file.stat().st_size < 400_000, f"{file.name} is too large"


def test_every_picture_the_readme_shows_exists() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    for reference in sorted(set(re.findall(r"docs/screenshots/[\w.-]+\.png", readme))):
        assert (ROOT / reference).is_file(), f"README.md shows {reference}, which does not exist"
