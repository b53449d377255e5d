"""The manifest's requirements install under the running release's package constraints.

Home Assistant installs a custom integration's requirements with its own
`package_constraints.txt`; a pin that contradicts one (as `mutagen==1.47.0` did from 2026.8 on)
makes the integration impossible to add. Run on both harness releases (2026.2.3, 2026.10.4);
the live test lets 2026.11.0 install them for real.
"""

from __future__ import annotations

import ast
import importlib.metadata
import json
from pathlib import Path
import sys

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


SCHEMA_LIBRARIES = {"probatio", "voluptuous"}


def test_every_imported_package_is_required() -> None:
    """What the integration imports is in the manifest, or comes with Home Assistant itself.

    A package that happens to be installed (numpy, by soxr or by Home Assistant's own
    constraints) must still be declared, or an install that lacks it fails at import.
    """
    declared = {
        Requirement(text).name.lower() for text in json.loads(MANIFEST.read_text())["requirements"]
    }
    core = {
        Requirement(text).name.lower()
        for text in importlib.metadata.requires("homeassistant") or []
    }
    providers = importlib.metadata.packages_distributions()
    imported: set[str] = set()
    for path in MANIFEST.parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                imported.add(node.module.split(".")[0])
    third_party = imported - set(sys.stdlib_module_names) - {"homeassistant", "__future__"}
    assert "numpy" in third_party, "the imports were read"
    # validation.py imports whichever schema library the running release validates with.
    assert SCHEMA_LIBRARIES & core, "the release requires one of them"
    for module in sorted(third_party - SCHEMA_LIBRARIES):
        distributions = {name.lower() for name in providers.get(module, [module])}
        assert distributions & (declared | core), f"{module} is imported but not required"
