"""The contributor scripts say what is missing and fail instead of passing on nothing."""

from __future__ import annotations

import os
from pathlib import Path
import shutil
import subprocess

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("ci", ["", "true"], ids=["locally", "in-ci"])
def test_scripts_test_fails_when_no_environment_is_set_up(tmp_path: Path, ci: str) -> None:
    """A copy of the repository's scripts without any venv: nothing tested, so not green."""
    shutil.copytree(ROOT / "scripts", tmp_path / "scripts", ignore=shutil.ignore_patterns("*_lib"))
    env = {**os.environ, "CI": ci}
    done = subprocess.run(  # noqa: S603 - our own script, in a temp copy
        [shutil.which("bash") or "/bin/bash", str(tmp_path / "scripts" / "test")],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )
    assert done.returncode != 0
    for venv in (".venv", ".venv-oldest", ".venv-live"):
        assert f"{venv} (" in done.stderr, "each missing environment is named"
    assert "not tested on .venv .venv-oldest .venv-live" in done.stderr


def test_scripts_setup_names_the_variables_the_readme_documents() -> None:
    text = (ROOT / "scripts" / "setup").read_text("utf-8")
    assert "PYTHON314=" in text
    assert "PYTHON313=" in text
    assert "too old" in text


def test_develop_keeps_the_oldest_release_apart_from_the_newest_config() -> None:
    """2026.2 cannot read the .storage files that 2026.11 wrote into ./config."""
    text = (ROOT / "scripts" / "develop").read_text("utf-8")
    assert "config=config-oldest" in text
    assert "config-oldest/" in (ROOT / ".gitignore").read_text("utf-8")
