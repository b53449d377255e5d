"""What an account entry's data means."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .client import Endpoint
from .const import CONF_REGION, CONF_URL, CONF_WORKSPACE_ID


def endpoint_from_data(data: Mapping[str, Any]) -> Endpoint:
    """Return the endpoint described by an entry's (or a form's) data."""
    return Endpoint.resolve(
        data[CONF_REGION],
        workspace_id=data.get(CONF_WORKSPACE_ID),
        url=data.get(CONF_URL),
    )
