"""Typed [classify] and [embed] settings: the TOML is the one source of every value."""

from __future__ import annotations

import dataclasses
import json

import pytest

from pipeline.classify.models import apply_params
from pipeline.classify.settings import ClassifySettings, classify_settings
from pipeline.classify.training import TrainParams
from pipeline.classify.labels import KINDS
from pipeline.config import ConfigError, load_config, resolve_path
from pipeline.embed.settings import EmbedSettings, embed_settings


def test_field_names_are_the_toml_keys():
    cfg = load_config()
    assert {f.name for f in dataclasses.fields(ClassifySettings)} == set(cfg.section("classify"))
    assert {f.name for f in dataclasses.fields(EmbedSettings)} == set(cfg.section("embed"))


def test_no_defaults_in_code():
    for cls in (ClassifySettings, EmbedSettings, TrainParams):
        with_default = [f.name for f in dataclasses.fields(cls)
                        if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING]
        assert not with_default, f"{cls.__name__} holds defaults: {with_default}"


def test_train_params_read_the_config():
    cfg = load_config(overrides=["classify.regularisation=7.5", "classify.cv_folds=3"])
    params = TrainParams.from_config(cfg.section("classify"))
    assert params.regularisation == 7.5 and params.cv_folds == 3
    assert TrainParams.from_config(load_config().section("classify")).regularisation == \
        load_config().get("classify.regularisation")


def test_shipped_models_were_trained_with_the_configured_regularisation():
    """The one source (the TOML) agrees with the C the shipped models' cards record."""
    cfg = load_config()
    models_dir = resolve_path(cfg.get("paths.models_dir"))
    cards = sorted(c for kind in KINDS for c in (models_dir / kind).glob("*/card.json"))
    assert cards, "no shipped model cards"
    for card in cards:
        assert json.loads(card.read_text())["params"]["C"] == cfg.get("classify.regularisation"), card


@pytest.mark.parametrize("build,section", [(classify_settings, "classify"), (embed_settings, "embed")])
def test_missing_or_unknown_key_is_a_config_error(build, section):
    values = dict(load_config().section(section))
    key = sorted(values)[0]
    missing = {k: v for k, v in values.items() if k != key}
    with pytest.raises(ConfigError, match=f"lacks {key}"):
        build(missing)
    with pytest.raises(ConfigError, match="unknown config key"):
        build({**values, "no_such_key": 1})


def test_wrong_type_is_a_config_error():
    with pytest.raises(ConfigError, match="classify.min_chars"):
        classify_settings({**load_config().section("classify"), "min_chars": "three"})


def test_apply_params_from_settings():
    p = apply_params(load_config(overrides=["classify.theme_threshold=0.9"]).section("classify"))
    assert p.theme_threshold == 0.9 and p.rules.phrase_attr == load_config().get("classify.phrase_attr")
