"""`prune` and topic models and vectors: old models go with their rows and folders, the
current one and the newest stay; vectors of another embedder or of texts no document holds
go, the current embedder's stay. Rows are made up for the test; also the CLI."""

from __future__ import annotations

import json
from datetime import datetime

import duckdb
from click.testing import CliRunner

from pipeline.api import Corpus
from pipeline.cli.main import main
from pipeline.config import load_config
from pipeline.store import connect

MODEL, CHUNKING = "mini@000000000000", "sentences,tokens=model,overlap=32"


def _fill(db: str, models_dir) -> None:
    conn = connect(db)
    try:
        for day, run, current in ((1, "t1", False), (2, "t2", True), (3, "t3", False), (4, "t4", False)):
            conn.execute("INSERT INTO topic_model_rows VALUES (?, ?, ?, ?, ?, 'h', 2, '{}', '{}', 'v', ?)",
                         [run, str(models_dir / "topics" / run), datetime(2026, 1, day), MODEL, CHUNKING, current])
            conn.execute("INSERT INTO topic_rows VALUES (?, 0, 'pay', ['pay'], 2, 0.1)", [run])
            conn.execute("INSERT INTO doc_topic_rows VALUES (?, 'a', 0, 0.9, 'cluster', 'ha', ?), "
                         "(?, 'b', 0, 0.8, 'cluster', 'hb', ?)", [run, run, run, run])
            (models_dir / "topics" / run).mkdir(parents=True)
            (models_dir / "topics" / run / "card.json").write_text("{}")
        conn.execute("INSERT INTO embed_state VALUES ('current', 'mini', ?, ?, 'cpu', now(), 'e1')", [MODEL, CHUNKING])
        conn.execute("INSERT INTO doc_content_rows VALUES ('a', 'ha', 5, now()), ('b', 'hb', 5, now())")
        for h, model in (("ha", MODEL), ("hb", MODEL), ("old-text", MODEL), ("ha", "other@111111111111")):
            conn.execute("INSERT INTO embedding_rows VALUES (?, ?, ?, 2, [1.0, 0.0], 1, now(), 'e1')", [h, model, CHUNKING])
        for h, model in (("s1", MODEL), ("s2", MODEL), ("s1", "other@111111111111")):
            conn.execute("INSERT INTO sentence_embeddings VALUES (?, ?, ?, 2, [1.0, 0.0], now())", [h, model, CHUNKING])
    finally:
        conn.close()


def _count(db: str, sql: str):
    con = duckdb.connect(db, read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_old_topic_models_and_unused_vectors_go(tmp_path):
    db, models = str(tmp_path / "p.duckdb"), tmp_path / "models"
    _fill(db, models)
    config = load_config(overrides={"paths": {"models_dir": str(models)}})
    api = Corpus(db, config)
    plan = api.prune(keep_topic_models=2)
    kinds = sorted((i["kind"], i["item"]) for i in plan["items"])
    # newest two are t4 and t3; t2 is current (kept); t1 goes
    assert kinds == [("doc_vectors", f"{MODEL} {CHUNKING} (texts no longer in the corpus)"),
                     ("doc_vectors", f"other@111111111111 {CHUNKING}"),
                     ("sentence_vectors", f"other@111111111111 {CHUNKING}"),
                     ("topic_model", "t1")]
    assert (models / "topics" / "t1").is_dir()  # a preview removes nothing

    done = api.prune(keep_topic_models=2, apply=True)
    assert done["removed"]["topic_model_rows"] == 1 and done["removed"]["doc_topic_rows"] == 2
    assert done["removed"]["embedding_rows"] == 2 and done["removed"]["sentence_embeddings"] == 1
    assert done["folders_removed"] == [str((models / "topics" / "t1").resolve())]
    assert not (models / "topics" / "t1").exists() and (models / "topics" / "t2").is_dir()
    assert _count(db, "SELECT run_id FROM topic_model_rows ORDER BY 1") == [("t2",), ("t3",), ("t4",)]
    assert _count(db, "SELECT content_hash, model_id FROM embedding_rows ORDER BY 1") == [("ha", MODEL), ("hb", MODEL)]
    assert _count(db, "SELECT count(*) FROM sentence_embeddings WHERE model_id = ?".replace("?", f"'{MODEL}'")) == [(2,)]
    assert _count(db, "SELECT count(*), count(DISTINCT run_id) FROM prune_log") == [(4, 1)]
    # keeping one: the current model t2 is kept whatever its age, the newest (t4) too
    api.prune(keep_topic_models=1, apply=True)
    assert _count(db, "SELECT run_id FROM topic_model_rows ORDER BY 1") == [("t2",), ("t4",)]
    assert _count(db, "SELECT count(*) FROM runs WHERE flow = 'prune' AND status = 'completed'") == [(2,)]


def test_cli_lists_then_removes(tmp_path):
    db, models = str(tmp_path / "p.duckdb"), tmp_path / "models"
    _fill(db, models)
    args = ["--db", db, "--set", f"paths.models_dir={models}", "--keep-topic-models", "3"]
    runner = CliRunner()
    listed = runner.invoke(main, ["prune", *args])
    assert listed.exit_code == 0, listed.output
    assert "would remove: 4 item(s), 7 rows" in listed.output and "--apply" in listed.output
    out = runner.invoke(main, ["prune", *args, "--apply", "--format", "json"])
    assert out.exit_code == 0, out.output
    s = json.loads(out.output)
    assert s["applied"] and s["rows"] == 7 and [i["item"] for i in s["items"] if i["kind"] == "topic_model"] == ["t1"]
    assert s["folders_removed"] == [str((models / "topics" / "t1").resolve())]
    again = runner.invoke(main, ["prune", *args])
    assert "would remove: 0 item(s)" in again.output
    bad = runner.invoke(main, ["prune", "--db", db, "--keep-classify-runs", "0"])
    assert bad.exit_code != 0 and "0" in bad.output


def test_tags_of_another_spacy_pipeline_go(tmp_path):
    """Stored tags under another tagger key than the pipeline the stages load are listed
    and removed; the current pipeline's stay."""
    from pipeline.nlp import english, tagger_key
    from pipeline.store.tags import write_tags

    db = str(tmp_path / "t.duckdb")
    current = tagger_key(english())
    conn = connect(db)
    try:
        write_tags(conn, {"h1": b"\x01", "h2": b"\x02"}, current)
        write_tags(conn, {"h1": b"\x03", "h3": b"\x04"}, "en_core_web_sm-3.7.0/spacy-3.7.5/0123456789abcdef")
    finally:
        conn.close()
    api = Corpus(db, load_config(overrides={"paths": {"models_dir": str(tmp_path / "models")}}))
    plan = api.prune()
    assert [(i["kind"], i["item"], i["n_rows"]) for i in plan["items"]] == [
        ("token_tags", "en_core_web_sm-3.7.0/spacy-3.7.5/0123456789abcdef", 2)]
    done = api.prune(apply=True)
    assert done["removed"] == {"token_tags": 2}
    assert _count(db, "SELECT content_hash, tagger FROM token_tags ORDER BY 1") == [("h1", current), ("h2", current)]
    assert _count(db, "SELECT kind, item, rows FROM prune_log") == [
        ("token_tags", "en_core_web_sm-3.7.0/spacy-3.7.5/0123456789abcdef", 2)]
