"""How each model is biased, answered once by the catalog (`ModelInfo.bias`)."""

from __future__ import annotations

import pytest

from custom_components.dashscope.client import MODELS, Region, model_info
from custom_components.dashscope.client.catalog import Bias
from custom_components.dashscope.const import CONF_EXPOSED_NAMES, CONF_HOTWORDS
from custom_components.dashscope.recognizer_flow import settings_schema


@pytest.mark.parametrize(
    ("model", "region", "bias"),
    [
        ("fun-asr-realtime", Region.BEIJING, Bias.BOTH),
        ("paraformer-realtime-v2", Region.CUSTOM, Bias.VOCABULARY),
        ("fun-asr-realtime", Region.SINGAPORE_WORKSPACE, Bias.CONTEXT),  # no customization API
        ("paraformer-realtime-v1", Region.BEIJING, Bias.NONE),  # phrase_id: the older API
        ("qwen3-asr-flash-realtime", Region.BEIJING, Bias.CONTEXT),
        ("qwen3-asr-flash-realtime", Region.SINGAPORE_WORKSPACE, Bias.CONTEXT),  # no upload
        ("some-newer-model", Region.BEIJING, Bias.VOCABULARY),  # assumed like Fun-ASR
    ],
)
def test_bias(model: str, region: Region, bias: Bias) -> None:
    assert model_info(model).bias(region) is bias


@pytest.mark.parametrize("model", list(MODELS))
@pytest.mark.parametrize("region", list(Region))
def test_the_engine_form_asks_for_phrases_where_the_model_is_biased(
    model: str, region: Region
) -> None:
    info = MODELS[model]
    fields = {str(key) for key in settings_schema(info, region).schema}
    asked = {CONF_HOTWORDS, CONF_EXPOSED_NAMES} <= fields
    assert asked is (info.bias(region) is not Bias.NONE)
