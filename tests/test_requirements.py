"""The manifest's requirements install under the running release's package constraints.

Home Assistant installs a custom integration's requirements with its own
`package_constraints.txt`; a pin that contradicts one (as `mutagen==1.47.0` did from 2026.8 on)
makes the integration impossible to add. Run on both harness releases (2026.2.3, 2026.10.4);
the live test lets 2026.11.0 install them for real.
"""

from __future__ import annotations

import json
from pathlib import Path

import homeassistant
from packaging.requirements import Requirement
from packaging.version import Version

MANIFEST = Path(__file__).parents[1] / "custom_components/dashscope/manifest.json"


def constraints() -> dict[str, Version]:
    """Return the exact pins of the running release's package_constraints.txt."""
    path = Path(homeassistant.__file__).parent / "package_constraints.txt"
    pins: dict[str, Version] = {}
    for raw in path.read_text().splitlines():
        line = raw.split("#")[0].strip()
        if "==" in line and ";" not in line:
            name, _, version = line.partition("==")
            pins[Requirement(name).name.lower()] = Version(version)
    return pins


def test_requirements_fit_the_package_constraints() -> None:
    pins = constraints()
    assert "mutagen" in pins, "the constraints file was read"
    for text in json.loads(MANIFEST.read_text())["requirements"]:
        requirement = Requirement(text)
        pinned = pins.get(requirement.name.lower())
        if pinned is not None:
            assert requirement.specifier.contains(pinned, prereleases=True), (
                f"{text} cannot be installed: Home Assistant pins {requirement.name}=={pinned}"
            )


def test_requirements_are_ranges() -> None:
    """An exact pin breaks the day a release moves its own pin: allow every compatible one."""
    for text in json.loads(MANIFEST.read_text())["requirements"]:
        assert "==" not in text, text
