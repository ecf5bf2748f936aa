from __future__ import annotations

import json

from click.testing import CliRunner

from pipeline.cli.main import main
from tests.topics.helpers import add_documents, add_embeddings
from tests.topics.synthetic import synthetic_corpus


def test_topics_refit_and_show(tmp_path):
    db = str(tmp_path / "t.duckdb")
    ids, texts, emb, _ = synthetic_corpus(per_theme=20)
    add_documents(db, ids, texts)
    r = CliRunner()
    none = r.invoke(main, ["topics", "show", "--db", db])
    assert none.exit_code == 1 and "no topic model yet" in none.output
    no_emb_db = str(tmp_path / "empty.duckdb")
    add_documents(no_emb_db, ids[:3], texts[:3])
    res = r.invoke(main, ["topics", "refit", "--db", no_emb_db])
    assert res.exit_code == 1 and "embed stage" in res.output and "Traceback" not in res.output

    add_embeddings(db, texts, emb, ids)
    models = tmp_path / "models"
    res = r.invoke(main, ["topics", "refit", "--db", db, "--set", f"paths.models_dir={models}",
                          "--set", "topics.representative_quotes=2"])
    assert res.exit_code == 0, res.output
    assert "5 topics on 100 documents" in res.output and "NPMI" in res.output and "LDA" in res.output
    assert len(list((models / "topics").glob("*/card.json"))) == 1

    out = r.invoke(main, ["topics", "show", "--db", db, "--format", "json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["is_current"] and len([t for t in data["topics"] if t["topic_id"] >= 0]) == 5
    assert all(len(t["quotes"]) == 2 for t in data["topics"] if t["topic_id"] >= 0)
    table = r.invoke(main, ["topics", "show", "--db", db, "--quotes", "1", "--run", data["run_id"]])
    assert table.exit_code == 0 and data["topics"][-1]["label"] in table.output
    bad = r.invoke(main, ["topics", "show", "--db", db, "--run", "nope"])
    assert bad.exit_code == 1 and "no topic model nope" in bad.output
