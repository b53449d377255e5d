"""The parameter table is the one home of every recognition option."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from custom_components.dashscope.client import MODELS, ModelInfo, Region
from custom_components.dashscope.client.parameters import PARAMETERS, ParameterSpec, task_options
from custom_components.dashscope.recognizer import default_recognizer
from custom_components.dashscope.settings_form import settings_schema

TRANSLATIONS = Path(__file__).parents[1] / "custom_components/dashscope/translations"
SETTINGS = [spec for spec in PARAMETERS if spec.setting]


def a_model_taking(spec: ParameterSpec) -> ModelInfo:
    return next(model for model in MODELS.values() if spec.parameter in model.parameters)


@pytest.mark.parametrize("spec", SETTINGS, ids=[spec.parameter.value for spec in SETTINGS])
def test_each_option_reaches_the_form_the_task_and_both_translations(spec: ParameterSpec) -> None:
    model = a_model_taking(spec)
    name = model.name
    schema = settings_schema(model, Region.BEIJING)
    assert spec.parameter.value in [str(key) for key in schema.schema], "offered in the form"
    data = default_recognizer(name)
    if spec.default is None:
        assert spec.parameter.value not in data, "the service's default: nothing stored"
    else:
        assert data[spec.parameter.value] == spec.default
    value = spec.maximum if spec.maximum is not None else True
    sent = dict(task_options(model.parameters, {**data, spec.parameter.value: value}))
    assert sent[spec.parameter.value] == spec.wire_value(value)
    assert type(sent[spec.parameter.value]).__name__ == spec.kind
    for language in ("en", "zh-Hans"):
        translations = json.loads((TRANSLATIONS / f"{language}.json").read_text())
        step = translations["config_subentries"]["recognizer"]["step"]["settings"]
        assert step["data"][spec.parameter.value]
        assert step["data_description"][spec.parameter.value]


def test_an_option_a_model_does_not_take_is_never_sent() -> None:
    assert task_options(frozenset(), {"max_sentence_silence": 300}) == ()


def test_options_that_exclude_each_other() -> None:
    every = frozenset(spec.parameter for spec in PARAMETERS)
    sent = dict(
        task_options(every, {"semantic_punctuation_enabled": True, "max_sentence_silence": 300})
    )
    assert "max_sentence_silence" not in sent, "only applies to VAD segmentation"
