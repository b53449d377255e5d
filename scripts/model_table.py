"""Print the README's model table from the catalog (the one home of model facts).

.venv/bin/python scripts/model_table.py
"""

from __future__ import annotations

from pathlib import Path
import sys

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from custom_components.dashscope.client.catalog import (
    ANY_SAMPLE_RATE,
    MODELS,
    Bias,
    HintRule,
    ModelInfo,
)

_HINTS = {
    HintRule.ALL: "all hints",
    HintRule.FIRST: "first hint only",
    HintRule.NONE: "none",
}


_BIASING = {
    Bias.NONE: "none",
    Bias.VOCABULARY: "vocabulary",
    Bias.CONTEXT: "context",
    Bias.BOTH: "vocabulary and context",
}


def _biasing(model: ModelInfo) -> str:
    return _BIASING[model.biasing]


def model_table() -> str:
    """Return the Markdown table of models."""
    lines = [
        "| model | regions | sample rate | Home Assistant languages | language hints"
        " | hotwords | emotion |",
        "|---|---|---|---|---|---|---|",
    ]
    for model in MODELS.values():
        regions = ", ".join(sorted(str(d).capitalize() for d in model.deployments))
        if model.sample_rates == ANY_SAMPLE_RATE:
            rates = "any (8-48 kHz)"
        else:
            rates = ", ".join(f"{rate // 1000} kHz" for rate in model.sample_rates)
        tags = ", ".join(model.language_tags)
        emotion = "yes" if model.emotion else "no"
        lines.append(
            f"| `{model.name}` | {regions} | {rates} | {tags} | {_HINTS[model.hint_rule]}"
            f" | {_biasing(model)} | {emotion} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(model_table())
