"""Run the local DashScope server: `python -m tests.dashscope_server --port 8765`.

It serves both real-time protocols on the one port: point a client at
`ws://127.0.0.1:8765/api-ws/v1/inference` (Fun-ASR/Paraformer; the integration's custom
endpoint) or `ws://127.0.0.1:8765/api-ws/v1/realtime?model=qwen3-asr-flash-realtime`
(Qwen3-ASR-Flash-Realtime). The sentences and pacing options apply to both.
"""

from __future__ import annotations

import argparse

from aiohttp import web

from .server import DashScopeServer


def main() -> None:
    """Parse arguments and serve until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--api-key", default="sk-test-key")
    parser.add_argument("--region", choices=("beijing", "singapore"), default="beijing")
    parser.add_argument("--text", action="append", help="sentence to recognize (repeatable)")
    parser.add_argument(
        "--finish-delay", type=float, default=0.0, help="the service's finishing time, seconds"
    )
    parser.add_argument(
        "--bytes-per-char", type=int, default=1600, help="audio bytes per recognized character"
    )
    parser.add_argument(
        "--pause-ms",
        type=int,
        default=None,
        help="pause between the sentences, ms (shorter than the VAD's silence: one sentence)",
    )
    args = parser.parse_args()
    server = DashScopeServer(args.api_key, region=args.region)
    if args.text:
        server.default_script.sentences = args.text
    server.default_script.finish_delay = args.finish_delay
    server.default_script.bytes_per_char = args.bytes_per_char
    server.default_script.pause_ms = args.pause_ms
    web.run_app(server.app(), host=args.host, port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
