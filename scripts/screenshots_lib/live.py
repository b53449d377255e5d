"""A throwaway Home Assistant 2026.11.0 with the local DashScope server, onboarded over REST.

Used by scripts/screenshots (run with .venv-live's Python): `Live.start(language)` gives a
running instance with one user (profile language and the home's language set), its tokens for
the browser, and the URL of the local server's custom endpoint.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from http import HTTPStatus
import json
import os
from pathlib import Path
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any

import aiohttp

REPO = Path(__file__).resolve().parents[2]
API_KEY = "sk-0123456789abcdef0123456789abcdef"
USERNAME = "screenshots"
PASSWORD = "screenshots-password"  # a throwaway instance on 127.0.0.1
STARTUP_SECONDS = 120
# Two accounts already there when Home Assistant starts, for the pictures of what goes wrong:
# one whose key the service refuses (re-authentication) and one whose engine names a model the
# service cannot find (the repair, once a recognition has failed).
REVOKED_KEY = "sk-revoked0000000000000000000000000"
GONE_MODEL = "fun-asr-realtime-2099-01-01"
SEEDED_TITLES = {
    "en": ("DashScope Custom endpoint (old key)", "DashScope Custom endpoint (old model)"),
    "zh-Hans": ("DashScope 自定义端点 旧 Key", "DashScope 自定义端点 旧模型"),
}
# The home each run shows: its language, country, and the user's name.
HOMES = {
    "en": {"country": "US", "name": "Home", "user": "Alex"},
    "zh-Hans": {"country": "CN", "name": "我的家", "user": "小明"},
}

CONFIGURATION = """\
homeassistant:
  name: {name}
http:
  server_host: 127.0.0.1
  server_port: {port}
frontend:
api:
auth:
onboarding:
config:
websocket_api:
search:
stt:
assist_pipeline:
conversation:
intent:
automation: !include automations.yaml
logger:
  default: warning
"""


def free_port() -> int:
    """Return a TCP port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Live:
    """A running Home Assistant and local DashScope server, stopped by `stop()`."""

    language: str
    config: Path
    url: str
    server_url: str
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    tokens: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def start(cls, language: str) -> Live:
        """Start the server and Home Assistant on free ports with a fresh config dir."""
        config = Path(tempfile.mkdtemp(prefix=f"dashscope-screenshots-{language}-"))
        (config / "custom_components").mkdir()
        (config / "custom_components" / "dashscope").symlink_to(
            REPO / "custom_components" / "dashscope"
        )
        port, server_port = free_port(), free_port()
        home = HOMES[language]
        (config / "configuration.yaml").write_text(
            CONFIGURATION.format(name=home["name"], port=port), "utf-8"
        )
        (config / "automations.yaml").write_text("[]\n", "utf-8")
        _seed_accounts(config, language, f"ws://127.0.0.1:{server_port}/api-ws/v1/inference")
        live = cls(
            language,
            config,
            f"http://127.0.0.1:{port}",
            f"ws://127.0.0.1:{server_port}/api-ws/v1/inference",
        )
        live.processes.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "tests.dashscope_server",
                    "--port",
                    str(server_port),
                    "--api-key",
                    API_KEY,
                ],
                cwd=REPO,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        live.processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "homeassistant", "--config", str(config)],
                cwd=config,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONWARNINGS": "ignore"},
            )
        )
        try:
            asyncio.run(live._onboard())
            asyncio.run(live._fail_a_recognition())
        except BaseException:
            live.stop()
            raise
        return live

    def tail(self, lines: int = 30) -> str:
        """Return the end of Home Assistant's log: its records, without the tracebacks."""
        path = self.config / "home-assistant.log"
        if not path.exists():
            return ""
        records = [
            line
            for line in path.read_text(errors="replace").splitlines()
            if line[:2].isdigit() and "[homeassistant.components.camera" not in line
        ]
        return "\n".join(records[-lines:])

    def problems(self) -> list[str]:
        """Return the log's errors and warnings about the integration."""
        path = self.config / "home-assistant.log"
        if not path.exists():
            return []
        return [
            line
            for line in path.read_text(errors="replace").splitlines()
            if (" ERROR " in line or " WARNING " in line)
            and "dashscope" in line
            and "which has not been tested by Home Assistant" not in line
        ]

    def stop(self, keep: bool = False) -> None:
        """Stop Home Assistant and the server; remove the config dir unless asked to keep it."""
        for process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    process.kill()
        if not keep:
            shutil.rmtree(self.config, ignore_errors=True)

    async def _onboard(self) -> None:
        home = HOMES[self.language]
        client_id = f"{self.url}/"
        async with aiohttp.ClientSession() as http:
            await self._wait_until_up(http)
            async with http.post(
                f"{self.url}/api/onboarding/users",
                json={
                    "client_id": client_id,
                    "name": home["user"],
                    "username": USERNAME,
                    "password": PASSWORD,
                    "language": self.language,
                },
            ) as response:
                response.raise_for_status()
                code = (await response.json())["auth_code"]
            async with http.post(
                f"{self.url}/auth/token",
                data={"grant_type": "authorization_code", "code": code, "client_id": client_id},
            ) as response:
                response.raise_for_status()
                token = await response.json()
            headers = {"Authorization": f"Bearer {token['access_token']}"}
            ws = await http.ws_connect(f"{self.url}/api/websocket")
            await ws.receive_json()
            await ws.send_json({"type": "auth", "access_token": token["access_token"]})
            assert (await ws.receive_json())["type"] == "auth_ok"
            await _call(ws, 1, {"type": "http/config/promote"})  # keep the YAML http config
            await _call(
                ws,
                2,
                {
                    "type": "config/core/update",
                    "language": self.language,
                    "country": home["country"],
                    "unit_system": "metric",
                    "time_zone": "Asia/Shanghai" if self.language != "en" else "UTC",
                },
            )
            # The profile's language, as the frontend saves it when a person picks one.
            await _call(
                ws,
                3,
                {
                    "type": "frontend/set_user_data",
                    "key": "language",
                    "value": {"language": self.language, "number_format": "language"},
                },
            )
            # Started, so the frontend's "Home Assistant has started!" toast is over.
            deadline = time.monotonic() + STARTUP_SECONDS
            message_id = 4
            while (await _call(ws, message_id, {"type": "get_config"}))["state"] != "RUNNING":
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Home Assistant never finished starting:\n{self.tail()}")
                message_id += 1
                await asyncio.sleep(0.5)
            await ws.close()
            for step, body in (
                ("core_config", {}),
                ("analytics", {}),
                ("integration", {"client_id": client_id, "redirect_uri": client_id}),
            ):
                async with http.post(
                    f"{self.url}/api/onboarding/{step}", json=body, headers=headers
                ) as response:
                    response.raise_for_status()
        # What the frontend keeps in localStorage["hassTokens"] after a login.
        self.tokens = {
            "access_token": token["access_token"],
            "refresh_token": token["refresh_token"],
            "token_type": "Bearer",
            "expires_in": token["expires_in"],
            "expires": int(time.time() * 1000) + token["expires_in"] * 1000,
            "hassUrl": self.url,
            "clientId": client_id,
        }

    async def _fail_a_recognition(self) -> None:
        """Speak to the seeded engine whose model is gone, so that its repair is raised."""
        headers = {"Authorization": f"Bearer {self.tokens['access_token']}"}
        async with aiohttp.ClientSession(headers=headers) as http:
            async with http.get(f"{self.url}/api/states") as response:
                states = await response.json()
            [entity_id] = [
                state["entity_id"]
                for state in states
                if state["entity_id"].startswith("stt.")
                and GONE_MODEL.replace("-", "_") in state["entity_id"]
            ]
            silence = bytes(3200)
            wav = (
                b"RIFF" + (36 + len(silence)).to_bytes(4, "little") + b"WAVEfmt "
                + (16).to_bytes(4, "little") + (1).to_bytes(2, "little")
                + (1).to_bytes(2, "little") + (16000).to_bytes(4, "little")
                + (32000).to_bytes(4, "little") + (2).to_bytes(2, "little")
                + (16).to_bytes(2, "little") + b"data" + len(silence).to_bytes(4, "little")
                + silence
            )  # fmt: skip
            speech = (
                "format=wav; codec=pcm; sample_rate=16000; bit_rate=16; channel=1; language=zh-CN"
            )
            async with http.post(
                f"{self.url}/api/stt/{entity_id}", data=wav, headers={"X-Speech-Content": speech}
            ) as response:
                await response.read()  # the recognition fails: that is the point

    async def _wait_until_up(self, http: aiohttp.ClientSession) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            for process in self.processes:
                if process.poll() is not None:
                    raise RuntimeError(f"{process.args} exited:\n{self.tail()}")
            try:
                async with http.get(f"{self.url}/api/onboarding") as response:
                    if response.status == HTTPStatus.OK:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.5)
        raise RuntimeError(f"Home Assistant did not come up in {STARTUP_SECONDS} s:\n{self.tail()}")


def _seed_accounts(config: Path, language: str, server_url: str) -> None:
    """Write the two accounts of `SEEDED_TITLES` into the config dir before the first start."""
    revoked, gone = SEEDED_TITLES[language]

    def account(number: int, title: str, key: str, model: str) -> dict[str, Any]:
        return {
            "entry_id": f"seeded{number:026d}",
            "domain": "dashscope",
            "title": title,
            "data": {"api_key": key, "region": "custom", "url": server_url},
            "options": {},
            "source": "user",
            "version": 1,
            "minor_version": 1,
            "unique_id": f"seeded-{number}",
            "disabled_by": None,
            "pref_disable_new_entities": False,
            "pref_disable_polling": False,
            "subentries": [
                {
                    "subentry_id": f"seededengine{number:020d}",
                    "subentry_type": "recognizer",
                    "title": f"DashScope {model}",
                    "unique_id": None,
                    "data": {"model": model, "language_hints": []},
                }
            ],
        }

    storage = config / ".storage"
    storage.mkdir()
    entries = [
        account(1, revoked, REVOKED_KEY, "fun-asr-realtime"),
        account(2, gone, API_KEY, GONE_MODEL),
    ]
    (storage / "core.config_entries").write_text(
        json.dumps(
            {
                "version": 1,
                "minor_version": 1,  # Home Assistant fills in what later versions added
                "key": "core.config_entries",
                "data": {"entries": entries},
            }
        ),
        "utf-8",
    )


async def _call(
    ws: aiohttp.ClientWebSocketResponse, message_id: int, message: dict[str, Any]
) -> Any:
    await ws.send_json({"id": message_id, **message})
    while True:
        answer = await ws.receive_json(timeout=30)
        if answer.get("id") == message_id and answer["type"] == "result":
            if not answer["success"]:
                raise RuntimeError(f"{message['type']} failed: {json.dumps(answer)}")
            return answer["result"]
