"""Where the DashScope service lives: regions, workspace domains and custom URLs."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit


class Protocol(StrEnum):
    """The service's two real-time WebSocket protocols, by their path on a host."""

    INFERENCE = "/api-ws/v1/inference"  # run-task, binary audio, finish-task: Fun-ASR, Paraformer
    REALTIME = "/api-ws/v1/realtime"  # session.update, base64 audio events: Qwen3-ASR


WEBSOCKET_PATH = Protocol.INFERENCE.value
INFERENCE_SUFFIX, REALTIME_SUFFIX = "/inference", "/realtime"
_WORKSPACE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,62}$")


class Region(StrEnum):
    """An endpoint choice offered to the user."""

    BEIJING = "beijing"
    SINGAPORE = "singapore"
    BEIJING_WORKSPACE = "beijing_workspace"
    SINGAPORE_WORKSPACE = "singapore_workspace"
    CUSTOM = "custom"


class Deployment(StrEnum):
    """The deployment a region belongs to; models and API keys are per deployment."""

    BEIJING = "beijing"
    SINGAPORE = "singapore"


@dataclass(frozen=True, slots=True)
class RegionInfo:
    """Everything that differs between regions: one row each in `REGIONS`.

    Their names (in the region picker and in an account's title) are in the translations.
    """

    host: str | None  # `{workspace}` is replaced by the workspace id; None: a custom URL
    deployments: frozenset[Deployment]  # whose models and keys it serves
    hotwords: bool = True  # the customization (vocabulary) API is offered

    @property
    def needs_workspace(self) -> bool:
        """Return True when the host is a workspace's own domain."""
        return self.host is not None and "{workspace}" in self.host


REGIONS: dict[Region, RegionInfo] = {
    Region.BEIJING: RegionInfo("dashscope.aliyuncs.com", frozenset({Deployment.BEIJING})),
    Region.SINGAPORE: RegionInfo("dashscope-intl.aliyuncs.com", frozenset({Deployment.SINGAPORE})),
    Region.BEIJING_WORKSPACE: RegionInfo(
        "{workspace}.cn-beijing.maas.aliyuncs.com",
        frozenset({Deployment.BEIJING}),
    ),
    Region.SINGAPORE_WORKSPACE: RegionInfo(
        "{workspace}.ap-southeast-1.maas.aliyuncs.com",
        frozenset({Deployment.SINGAPORE}),
        hotwords=False,  # Singapore sub-workspaces have no customization API
    ),
    # A proxy or a test server may stand for either deployment.
    Region.CUSTOM: RegionInfo(None, frozenset(Deployment)),
}


class InvalidEndpointError(ValueError):
    """The endpoint settings cannot form a URL; `reason` names the field at fault."""

    def __init__(self, reason: str) -> None:
        """Keep the reason (`workspace_id` or `url`)."""
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Endpoint:
    """The URLs and headers that reach one DashScope deployment."""

    region: Region
    websocket_url: str
    http_base_url: str
    workspace_id: str | None = None
    # The protocol a custom URL's path names. A URL ending in /realtime serves the realtime
    # protocol only; any other path serves the inference protocol, the realtime one beside it.
    named_protocol: Protocol = Protocol.INFERENCE

    @property
    def info(self) -> RegionInfo:
        """Return the facts of this endpoint's region."""
        return REGIONS[self.region]

    @property
    def deployments(self) -> frozenset[Deployment]:
        """Return the deployments whose models this endpoint serves."""
        return self.info.deployments

    def serves(self, protocol: Protocol) -> bool:
        """Return True when this endpoint reaches `protocol` (a realtime URL only its own)."""
        return protocol is Protocol.REALTIME or self.named_protocol is Protocol.INFERENCE

    def naming(self, model: str) -> Endpoint:
        """Return this endpoint with its URL naming `model` if it is a realtime URL.

        The realtime protocol opens a socket only for a model (`?model=`): the account's
        check and its warm connection at load name one, as every recognition does.
        """
        if self.named_protocol is not Protocol.REALTIME:
            return self
        return replace(self, websocket_url=self.socket_url(Protocol.REALTIME, model))

    @classmethod
    def resolve(
        cls,
        region: Region | str,
        *,
        workspace_id: str | None = None,
        url: str | None = None,
    ) -> Endpoint:
        """Build the endpoint for a region, a workspace id or a custom WebSocket URL."""
        region = Region(region)
        workspace_id = (workspace_id or "").strip() or None
        if workspace_id is not None and not _WORKSPACE_ID.match(workspace_id):
            raise InvalidEndpointError("workspace_id")
        info = REGIONS[region]
        if info.host is None:
            return cls._custom(url, workspace_id)
        host = info.host
        if info.needs_workspace:
            if workspace_id is None:
                raise InvalidEndpointError("workspace_id")
            host = host.format(workspace=workspace_id.lower())
        return cls(
            region=region,
            websocket_url=f"wss://{host}{WEBSOCKET_PATH}",
            http_base_url=f"https://{host}",
            workspace_id=workspace_id,
        )

    @classmethod
    def _custom(cls, url: str | None, workspace_id: str | None) -> Endpoint:
        parts = urlsplit((url or "").strip())
        if parts.scheme not in ("ws", "wss") or not parts.hostname:
            raise InvalidEndpointError("url")
        path = parts.path or WEBSOCKET_PATH
        http_scheme = "https" if parts.scheme == "wss" else "http"
        named = (
            Protocol.REALTIME if path.rstrip("/").endswith(REALTIME_SUFFIX) else Protocol.INFERENCE
        )
        return cls(
            region=Region.CUSTOM,
            websocket_url=urlunsplit((parts.scheme, parts.netloc, path, parts.query, "")),
            http_base_url=urlunsplit((http_scheme, parts.netloc, "", "", "")),
            workspace_id=workspace_id,
            named_protocol=named,
        )

    def socket_url(self, protocol: Protocol, model: str) -> str:
        """Return the WebSocket URL of `protocol`; the realtime protocol names its model there.

        A custom URL names the inference path; the realtime path sits beside it (a proxy at
        `/asr` serves `/asr` for the inference protocol and `/api-ws/v1/realtime` for the other).
        A custom URL that names the realtime path is used as it is, with the model.
        """
        if protocol is Protocol.INFERENCE:
            return self.websocket_url
        parts = urlsplit(self.websocket_url)
        path = parts.path  # a realtime URL: its own path
        if self.named_protocol is Protocol.INFERENCE:
            if path.endswith(INFERENCE_SUFFIX):
                path = path.removesuffix(INFERENCE_SUFFIX) + REALTIME_SUFFIX
            else:
                path = Protocol.REALTIME.value
        query = [(k, v) for k, v in parse_qsl(parts.query) if k != "model"]
        query.append(("model", model))
        return urlunsplit((parts.scheme, parts.netloc, path, urlencode(query), ""))

    def headers(self, api_key: str) -> dict[str, str]:
        """Return the handshake and request headers for this endpoint."""
        headers = {"Authorization": f"Bearer {api_key}"}
        if self.workspace_id is not None:
            headers["X-DashScope-WorkSpace"] = self.workspace_id
        return headers
