"""quality_scale.yaml: every rule of the scale answered, and the checkable answers true."""

from __future__ import annotations

import importlib
from pathlib import Path

import yaml

from custom_components.dashscope import PLATFORMS

FILE = Path(__file__).parents[1] / "custom_components/dashscope/quality_scale.yaml"
# The rules as core's integrations list them (e.g. peblar/quality_scale.yaml), by tier.
RULES = {
    "bronze": (
        "action-setup appropriate-polling brands common-modules config-flow-test-coverage "
        "config-flow dependency-transparency docs-actions docs-conditions "
        "docs-high-level-description docs-installation-instructions docs-removal-instructions "
        "docs-triggers entity-event-setup entity-unique-id has-entity-name runtime-data "
        "test-before-configure test-before-setup unique-config-entry"
    ),
    "silver": (
        "action-exceptions config-entry-unloading docs-configuration-parameters "
        "docs-installation-parameters entity-unavailable integration-owner "
        "log-when-unavailable parallel-updates reauthentication-flow test-coverage"
    ),
    "gold": (
        "devices diagnostics discovery-update-info discovery docs-data-update docs-examples "
        "docs-known-limitations docs-supported-devices docs-supported-functions "
        "docs-troubleshooting docs-use-cases dynamic-devices entity-category "
        "entity-device-class entity-disabled-by-default entity-translations "
        "exception-translations icon-translations reconfiguration-flow repair-issues "
        "stale-devices"
    ),
    "platinum": "async-dependency inject-websession strict-typing",
}


def _rules() -> dict[str, object]:
    rules: dict[str, object] = yaml.safe_load(FILE.read_text(encoding="utf-8"))["rules"]
    return rules


def test_every_rule_has_a_status_and_a_reason_where_not_done() -> None:
    rules = _rules()
    expected = [rule for tier in RULES.values() for rule in tier.split()]
    assert list(rules) == expected
    for rule, answer in rules.items():
        if answer == "done":
            continue
        assert isinstance(answer, dict), rule
        assert answer["status"] in ("todo", "exempt"), rule
        assert str(answer.get("comment", "")).strip(), f"{rule}: say why"


def test_parallel_updates_is_set_in_every_platform() -> None:
    assert _rules()["parallel-updates"] == "done"
    for platform in PLATFORMS:
        module = importlib.import_module(f"custom_components.dashscope.{platform.value}")
        assert isinstance(module.PARALLEL_UPDATES, int), platform
