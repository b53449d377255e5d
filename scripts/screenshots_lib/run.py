"""Take the set-up's screenshots in each language (run by scripts/screenshots).

For each language: a fresh Home Assistant 2026.11.0 and local DashScope server (live.py), then
drive.mjs walks the frontend through screens.py's table and writes docs/screenshots/*.png.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
from pathlib import Path
import subprocess
import sys
import tempfile
import time
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from live import API_KEY, GONE_MODEL, REPO, SEEDED_TITLES, Live  # noqa: E402
from screens import (  # noqa: E402
    ACCOUNT,
    ENGINE_MODEL,
    LANGUAGES,
    SCREENS,
    SEARCH,
    WORKSPACE_REGION,
    WRONG_KEY,
)

DOMAIN = "dashscope"
OUT = REPO / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
# What the browser says of itself in each run, and the examples typed into the forms.
BROWSER = {
    "en": {
        "locale": "en-US",
        "timezone": "UTC",
        "phrase": "turn on the living room light",
        "hotwords": "living room lamp\nreading light",
    },
    "zh-Hans": {
        "locale": "zh-CN",
        "timezone": "Asia/Shanghai",
        "phrase": "打开客厅的灯",
        "hotwords": "客厅吊灯\n书房台灯",
    },
}


def translations(language: str) -> dict[str, Any]:
    """Return the integration's translations in `language`."""
    path = REPO / "custom_components" / DOMAIN / "translations" / f"{language}.json"
    return dict(json.loads(path.read_text("utf-8")))


def titles(language: str) -> dict[str, str]:
    """Return the dialog title each flow screen must show (its text before any placeholder)."""
    strings = translations(language)
    found = {}
    for screen in SCREENS:
        if screen.flow in ("config", "refused", "workspace", "reauth"):
            step = strings["config"]["step"].get(screen.step)
        elif screen.flow == "repair":
            step = strings["issues"]["model_not_found"]["fix_flow"]["step"].get(screen.step)
        elif screen.flow == "recognizer":
            step = strings["config_subentries"]["recognizer"]["step"].get(screen.step)
        else:
            continue
        if step and step.get("title"):
            found[screen.name] = step["title"].split("{")[0].strip()
    return found


def job(live: Live, out: Path, debug: Path) -> dict[str, Any]:
    """Return what drive.mjs needs for one language."""
    strings = translations(live.language)
    return {
        "url": live.url,
        "tokens": live.tokens,
        "language": live.language,
        "outDir": str(out),
        "debugDir": str(debug),
        "chromium": CHROMIUM,
        "domain": DOMAIN,
        "search": SEARCH[live.language],
        "triggerSearch": "DashScope",  # the automation editor finds triggers by domain
        "apiKey": API_KEY,
        "wrongKey": WRONG_KEY,
        "workspaceRegion": WORKSPACE_REGION,
        "revokedTitle": SEEDED_TITLES[live.language][0],
        "goneModel": GONE_MODEL,
        "region": ACCOUNT["region"],
        "serverUrl": live.server_url,
        "screens": [dataclasses.asdict(screen) for screen in SCREENS],
        "titles": titles(live.language),
        "addEngine": strings["config_subentries"]["recognizer"]["initiate_flow"]["user"],
        "triggerName": strings["triggers"]["_"]["name"],
        "engineModel": ENGINE_MODEL,
        **BROWSER[live.language],
    }


def run(language: str, out: Path, debug: Path, keep: bool) -> dict[str, Any]:
    """Take one language's screens; return drive.mjs's report."""
    started = time.monotonic()
    print(f"{language}: starting Home Assistant and the local DashScope server", file=sys.stderr)
    live = Live.start(language)
    failed = True
    try:
        print(f"{language}: up at {live.url} ({live.config})", file=sys.stderr)
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
            json.dump(job(live, out, debug), file)
        try:
            done = subprocess.run(
                ["node", str(HERE / "drive.mjs"), file.name],
                cwd=HERE,
                stdout=subprocess.PIPE,
                text=True,
                check=False,
            )
        finally:
            Path(file.name).unlink()
        report = json.loads(done.stdout.strip().splitlines()[-1]) if done.stdout.strip() else {}
        report.setdefault("error", None if done.returncode == 0 else f"exit {done.returncode}")
        report["problems"] = live.problems()
        report["seconds"] = round(time.monotonic() - started, 1)
        failed = bool(report["error"])
        if failed:
            report["log"] = live.tail()
        return report
    finally:
        live.stop(keep=keep or failed)


def main() -> int:
    """Parse arguments, take the screens, and say what happened."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--language", choices=LANGUAGES, action="append")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--keep", action="store_true", help="keep the config dirs")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    debug = Path(tempfile.gettempdir()) / "dashscope-screenshots-debug"
    status = 0
    for language in args.language or LANGUAGES:
        report = run(language, args.out, debug, args.keep)
        if report["error"]:
            status = 1
            print(f"{language}: FAILED: {report['error']}", file=sys.stderr)
            print(f"  browser: {debug / f'{language}-failure.png'}", file=sys.stderr)
            print(f"  Home Assistant's log ends:\n{report['log']}", file=sys.stderr)
        else:
            print(
                f"{language}: {len(report['taken'])} screens in {report['seconds']} s"
                + (
                    f" (not in the flow: {', '.join(report['skipped'])})"
                    if report["skipped"]
                    else ""
                ),
                file=sys.stderr,
            )
        for line in report["problems"]:
            print(f"  log: {line}", file=sys.stderr)
    return status


if __name__ == "__main__":
    os.chdir(REPO)
    sys.exit(main())
