"""The schema library Home Assistant validates with, for the forms, actions and trigger.

Home Assistant 2026.10 and later validate with probatio (voluptuous-compatible, and what
`import voluptuous` gives there); earlier releases with voluptuous. Schemas built with the
running release's library mix with its `config_validation` helpers and selectors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import probatio as vol
else:
    try:
        import probatio as vol
    except ImportError:  # Home Assistant before 2026.10
        import voluptuous as vol

__all__ = ["vol"]
