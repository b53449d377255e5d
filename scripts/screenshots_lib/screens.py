"""The screens scripts/screenshots takes, in the order it walks them: one table.

Each screen is written as docs/screenshots/<language>-<name>.png. `flow` and `step` say what
the screen shows, and the script fails when that step does not appear where it expects it:

- `config`: a step of the config flow (`step` is its step id, or `create_entry`);
- `recognizer`: a step of the engine (recognizer) subentry flow;
- `add_integration`: the "Add integration" dialog searched for the integration (`step`: domain);
- `entry_page`: the integration's page, with the button that starts `step`'s subentry flow;
- `trigger`: the automation editor with the integration's trigger (`step`: its key);
- `refused`: the account form again after the service refused the key (`step`: its step id);
- `workspace`: a second set-up's workspace form (`step`: its step id);
- `reauth`: the re-authentication Home Assistant started for a seeded account with a revoked
  key (`step`: the config flow's step id);
- `repair`: the fix of the repair raised for a seeded engine whose model is gone (`step`: the
  fix flow's step id).

An `optional` step is taken when the flow shows it (the first set-up may ask for the first
engine's settings) and skipped when it does not. tests/test_screenshots.py checks the table
against the flows and the translations, and that docs/screenshots/ has every picture.
"""

from __future__ import annotations

from dataclasses import dataclass

LANGUAGES = ("en", "zh-Hans")
# What the forms are answered with: the local server's custom endpoint (its URL comes from the
# running server), the first engine's default model, then a second engine of another family.
ACCOUNT = {"region": "custom"}
ENGINE_MODEL = "qwen3-asr-flash-realtime"
WORKSPACE_REGION = "beijing_workspace"
WRONG_KEY = "sk-wrong0000000000000000000000000000"
# What a person of each language types in the "Add integration" dialog.
SEARCH = {"en": "Alibaba", "zh-Hans": "阿里云"}


@dataclass(frozen=True)
class Screen:
    """One picture: its file name and the step of the flow it shows."""

    name: str
    flow: str
    step: str
    optional: bool = False

    def filename(self, language: str) -> str:
        """Return the picture's file name in docs/screenshots/."""
        return f"{language}-{self.name}.png"


SCREENS = (
    Screen("search", "add_integration", "dashscope"),
    Screen("account", "config", "user"),
    Screen("endpoint", "config", "endpoint"),
    Screen("account-error", "refused", "user"),
    Screen("model", "config", "model"),
    Screen("first-engine-settings", "config", "settings", optional=True),
    Screen("created", "config", "create_entry"),
    Screen("entry", "entry_page", "recognizer"),
    Screen("engine", "recognizer", "user"),
    Screen("engine-settings", "recognizer", "context_settings"),  # a Qwen3 engine
    Screen("workspace", "workspace", "workspace"),
    Screen("reauth", "reauth", "reauth_confirm"),
    Screen("repair", "repair", "model"),
    Screen("trigger-search", "trigger", "_"),
    Screen("trigger", "trigger", "_"),
)
