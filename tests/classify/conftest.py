from __future__ import annotations

import pytest

from pipeline.classify.similarity import target_embeddings, theme_prototypes
from pipeline.classify.taxonomy import taxonomy_from_config
from pipeline.classify.training import (
    TrainParams,
    fit_sentiment_model,
    fit_stance_model,
    fit_theme_model,
    labelled_set,
)
from pipeline.config import load_config
from tests.classify.fixture_data import fixture_frames, hash_encoder


@pytest.fixture(scope="session")
def taxonomy():
    return taxonomy_from_config(load_config().section("classify"))


def config_apply_params(**change):
    """The ``[classify]`` apply parameters of the shipped config, with ``change``."""
    from dataclasses import replace

    from pipeline.classify.models import apply_params

    return replace(apply_params(load_config().section("classify")), **change)


@pytest.fixture(scope="session")
def params():
    return TrainParams.from_config(load_config().section("classify"))


@pytest.fixture(scope="session")
def fixture_set(taxonomy):
    docs, gold = fixture_frames()
    return labelled_set(gold, docs, ["napo", "pay", "workload", "inspection"], hash_encoder)


@pytest.fixture(scope="session")
def targets(taxonomy):
    vec = target_embeddings(taxonomy, hash_encoder)
    return {t.name: vec[j] for j, t in enumerate(taxonomy)}


@pytest.fixture(scope="session")
def fitted(fixture_set, taxonomy, params, targets):
    protos = theme_prototypes(taxonomy, hash_encoder)
    return {"theme": fit_theme_model(fixture_set, taxonomy, protos, params),
            "sentiment": fit_sentiment_model(fixture_set, params),
            "stance": fit_stance_model(fixture_set, targets, params)}
