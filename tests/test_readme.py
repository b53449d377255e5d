"""The README's model table is the catalog's, not a copy that drifts."""

from __future__ import annotations

import json
from pathlib import Path
import runpy

ROOT = Path(__file__).resolve().parent.parent


def test_readme_model_table_matches_the_catalog() -> None:
    model_table = runpy.run_path(str(ROOT / "scripts" / "model_table.py"))["model_table"]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    between = readme.split("<!-- model-table -->\n")[1].split("\n<!-- /model-table -->")[0]
    assert between == model_table()


def test_readme_names_the_commands_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    for command in ("scripts/setup", "scripts/test"):
        assert command in readme
        assert command in ci


def test_hacs_minimum_is_a_release_the_readme_says_is_tested() -> None:
    minimum = json.loads((ROOT / "hacs.json").read_text())["homeassistant"]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    tested = readme.split("Tested on Home Assistant")[1].split("\n\n")[0]
    assert f"**{minimum}**" in tested
    oldest = (ROOT / "requirements_test_oldest.txt").read_text()
    assert f"# Home Assistant {minimum}" in oldest, "the oldest harness is that release"
