from __future__ import annotations

from pathlib import Path

import pytest

from tests.embed.tiny_model import build_tiny_model


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """A tiny local sentence-transformers folder built by the test (offline)."""
    return build_tiny_model(tmp_path_factory.mktemp("tiny_model"))
