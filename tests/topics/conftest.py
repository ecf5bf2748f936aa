from __future__ import annotations

import pytest

from pipeline.config import load_config
from pipeline.topics import TopicSettings, fit_topics
from tests.topics.synthetic import synthetic_corpus


@pytest.fixture(scope="session")
def topic_settings() -> TopicSettings:
    return TopicSettings.from_config(load_config(None, cwd=None).section("topics"))


@pytest.fixture(scope="session")
def synthetic():
    return synthetic_corpus()


@pytest.fixture(scope="session")
def synthetic_fit(synthetic, topic_settings):
    ids, texts, emb, _ = synthetic
    return fit_topics(ids, texts, emb, topic_settings)
