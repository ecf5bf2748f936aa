"""The Python API object: one database, one config, the functions as its methods."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.api import Corpus
from pipeline.config import load_config
from pipeline.errors import UserError
from pipeline.store.errors import StoreError

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def test_db_and_config_defaults_and_overrides(tmp_path):
    c = Corpus()
    assert c.db == str(load_config().get("paths.db"))
    c = Corpus(tmp_path / "x.duckdb", overrides=["dedupe.near_threshold=0.85"])
    assert c.db == str(tmp_path / "x.duckdb") and c.config.get("dedupe.near_threshold") == 0.85
    assert repr(c) == f"Corpus({str(tmp_path / 'x.duckdb')!r})"


def test_methods_share_the_database(tmp_db):
    corpus = Corpus(tmp_db)
    summary = corpus.ingest([str(FIXTURES / "text_dump")])
    assert summary["new_documents"] > 0 and summary["run_id"]
    cols, rows = corpus.sql("SELECT count(*) AS n FROM documents")
    assert cols == ["n"] and rows[0][0] == summary["new_documents"]
    assert corpus.status()["by_kind"]
    with pytest.raises(StoreError):
        corpus.sql("DELETE FROM documents")
    with pytest.raises(UserError, match="unknown stage"):
        corpus.run_stage("nosuch")
