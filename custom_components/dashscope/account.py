"""What an account entry's data means."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .client import MODELS, Endpoint, Protocol, Timeouts
from .const import (
    CONF_FINISH_TIMEOUT,
    CONF_REGION,
    CONF_START_TIMEOUT,
    CONF_URL,
    CONF_WORKSPACE_ID,
)

# The model a custom realtime URL's account check and warm connection name (`?model=`).
REALTIME_CHECK_MODEL = next(
    model.name for model in MODELS.values() if model.protocol is Protocol.REALTIME
)


def endpoint_from_data(data: Mapping[str, Any]) -> Endpoint:
    """Return the endpoint described by an entry's (or a form's) data."""
    return Endpoint.resolve(
        data[CONF_REGION],
        workspace_id=data.get(CONF_WORKSPACE_ID),
        url=data.get(CONF_URL),
    ).naming(REALTIME_CHECK_MODEL)


def timeouts_from_options(options: Mapping[str, Any]) -> Timeouts:
    """Return the account's timeouts: the client's defaults unless the options change them."""
    defaults = Timeouts()
    return Timeouts(
        start=float(options.get(CONF_START_TIMEOUT, defaults.start)),
        finish=float(options.get(CONF_FINISH_TIMEOUT, defaults.finish)),
    )
