from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("PROBATION_SHARED", REPO.parent / "shared"))
SAMPLE = REPO / "corpus" / "sample"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


@pytest.fixture
def seeds_dir() -> Path:
    d = SHARED / "seeds"
    if not d.is_dir() or not any(d.glob("*.txt")):
        pytest.skip("../shared/seeds not present")
    return d


@pytest.fixture
def formats_dir() -> Path:
    d = SHARED / "formats"
    if not d.is_dir():
        pytest.skip("../shared/formats not present")
    return d


@pytest.fixture
def sample_dir() -> Path:
    return SAMPLE


@pytest.fixture
def tmp_db(tmp_path) -> str:
    return str(tmp_path / "test.duckdb")
