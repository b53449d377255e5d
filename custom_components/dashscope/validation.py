"""The schema library Home Assistant validates with, and the forms' own number ranges.

Home Assistant 2026.10 and later validate with probatio (voluptuous-compatible, and what
`import voluptuous` gives there); earlier releases with voluptuous. Schemas built with the
running release's library mix with its `config_validation` helpers and selectors.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import probatio as vol
else:
    try:
        import probatio as vol
    except ImportError:  # Home Assistant before 2026.10
        import voluptuous as vol

__all__ = ["NumberRange", "format_number", "range_error", "vol"]


def format_number(value: float, unit: str | None = None) -> str:
    """Return a bound as people write it: 200 ms, -1, 0.5 (no trailing .0)."""
    text = f"{value:g}"
    return f"{text} {unit}" if unit else text


def range_error(
    user_input: Mapping[str, Any], ranges: Mapping[str, NumberRange]
) -> tuple[dict[str, str], dict[str, str]]:
    """Return the form error of the first number outside its range, and the range to show.

    The forms' number fields carry no minimum or maximum, so the schema accepts any number and
    the integration answers with its own translated error (`out_of_range`) that states the
    allowed range; Home Assistant's own ("Value 100.0 is too small") is English only and hides
    the field's help. One field at a time: the error's placeholders name one range.
    """
    for key, bounds in ranges.items():
        value = user_input.get(key)
        if value is None:
            continue
        if (bounds.minimum is not None and value < bounds.minimum) or (
            bounds.maximum is not None and value > bounds.maximum
        ):
            return {key: "out_of_range"}, {
                "min": format_number(bounds.minimum, bounds.unit)
                if bounds.minimum is not None
                else "-∞",
                "max": format_number(bounds.maximum, bounds.unit)
                if bounds.maximum is not None
                else "∞",
            }
    return {}, {}


@dataclass(frozen=True, slots=True)
class NumberRange:
    """The allowed range of a number field."""

    minimum: float | None
    maximum: float | None
    unit: str | None = None
