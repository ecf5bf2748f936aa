"""The classify, train and evaluate jobs and the annotate commands on a small corpus of
invented text copies, end to end through the store (a hashing encoder stands in for the
sentence-embedding model to keep this fast)."""

from __future__ import annotations

import json
import random

import duckdb
import pandas as pd
import pytest

from pipeline.api import Corpus
from pipeline.config import load_config
from tests.classify.fixture_data import TEMPLATES, use_hash_encoder

OWN = "The union did nothing for me again and the pay award is an insult."
PRESS = ("The Ministry of Justice today announced a generous new pay award for probation staff, with thanks to "
         "the excellent union partnership. Ministers said staff are fairly paid and that workloads are now "
         "manageable thanks to record recruitment. The award delivers outstanding value and a brilliant future "
         "for every practitioner, and ministers are delighted with the great progress made this year.")


def _thread(i: int, rng: random.Random) -> tuple[str, list[dict]]:
    """A numbered text copy with a post and six comments, and its gold rows."""
    lines = [f"Monday, {i + 1} July 2019", "", f"Office news {i}", "", "Another week in the office, friends.",
             "", "Anon", "", "6 comments:", ""]
    gold = [{"doc": "post", "parent": None, "themes": {}, "sentiment": "NEUTRAL"}]
    for k in range(6):
        labels, sentiment, pool = TEMPLATES[(i * 6 + k) % len(TEMPLATES)]
        text = " ".join(rng.sample(pool, 2))
        lines += [f"  {k + 1}. {text}", "", "    ReplyDelete"]
        gold.append({"doc": f"c{k + 1}", "parent": None, "themes": dict(labels), "sentiment": sentiment})
    return "\n".join(lines) + "\n", gold


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("classify_corpus")
    src = root / "inputs"
    src.mkdir()
    rng = random.Random(5)
    gold_rows = []
    for i in range(6):
        text, gold = _thread(i, rng)
        (src / f"thread_{i}.txt").write_text(text)
        gold_rows += [{"source": f"thread_{i}.txt", "own_text_only": True, **g} for g in gold]
    paste = ("Monday, 20 July 2020\n\nPay news\n\nWhat do you make of this?\n\nAnon\n\n2 comments:\n\n"
             f"  1. {OWN}\n\n    https://www.gov.uk/government/news/pay-award\n\n    {PRESS}\n\n    ReplyDelete\n"
             f"  2. {OWN}\n\n    ReplyDelete\n")
    (src / "paste.txt").write_text(paste)
    gold_file = root / "gold.jsonl"
    gold_file.write_text("\n".join(json.dumps(r) for r in gold_rows) + "\n")
    db = str(root / "test.duckdb")
    config = load_config(overrides={"paths": {"models_dir": str(root / "models"),
                                              "reports_dir": str(root / "reports")},
                                    "annotate": {"export_dir": str(root / "export")}})
    for stage in ("ingest", "clean", "dedupe", "segment"):
        Corpus(db, config).run_stage(stage, [str(src)])
    return {"db": db, "config": config, "gold": gold_file, "root": root}


@pytest.fixture(autouse=True)
def _hash_encoder(monkeypatch):
    use_hash_encoder(monkeypatch)


def test_import_agreement_train_evaluate_classify(corpus):
    db, config = corpus["db"], corpus["config"]
    s = Corpus(db, config).annotate_import(corpus["gold"], "author")
    assert s["documents"] == 42 and not s["skipped"]
    # a second coder who disagrees on sentiment for one thread
    second = [json.loads(line) for line in corpus["gold"].read_text().splitlines()][:7]
    second[1]["sentiment"] = "POSITIVE"
    f2 = corpus["root"] / "second.jsonl"
    f2.write_text("\n".join(json.dumps(r) for r in second) + "\n")
    Corpus(db, config).annotate_import(f2, "second")
    agree = Corpus(db, config).agreement()
    sent = agree[(agree.label == "sentiment") & (agree.statistic == "cohen_kappa")].iloc[0]
    assert sent.units == 7 and sent.value < 1.0

    trained = Corpus(db, config).train()
    for kind in ("theme", "sentiment", "stance"):
        folder = corpus["root"] / "models" / kind / trained["run_id"]
        assert (folder / "model.joblib").exists() and (folder / "MODEL_CARD.md").exists()
        card = json.loads((folder / "card.json").read_text())
        assert card["embedding_model"] == "hash-test@0" and card["cv"]
    evaluated = Corpus(db, config).evaluate()
    report = (corpus["root"] / "reports" / "evaluation.md").read_text()
    assert "### theme: keyword" in report and "### sentiment: vader" in report and "### stance: supervised" in report
    con = duckdb.connect(db, read_only=True)
    ev = con.execute("SELECT model_kind, method, count(*) FROM model_evaluations WHERE run_id = ? GROUP BY ALL",
                     [evaluated["run_id"]]).fetchall()
    assert {(k, m) for k, m, _ in ev} >= {("theme", "supervised"), ("theme", "keyword"), ("sentiment", "vader"),
                                          ("sentiment", "domain"), ("stance", "majority")}
    con.close()

    summary = Corpus(db, config).run_stage("classify")
    con = duckdb.connect(db, read_only=True)
    themes = con.execute("SELECT * FROM doc_themes WHERE run_id = ?", [summary["run_id"]]).df()
    assert set(themes.columns) >= {"run_id", "doc_id", "theme", "score", "stance", "stance_score", "method"}
    sent = con.execute("SELECT * FROM doc_sentiment WHERE run_id = ?", [summary["run_id"]]).df()
    n_docs = con.execute("SELECT count(*) FROM documents").fetchone()[0]
    assert len(sent) == n_docs  # one default row per document
    assert con.execute("SELECT count(*) FROM sentence_sentiment WHERE run_id = ?",
                       [summary["run_id"]]).fetchone()[0] > 0
    # pasted text never changes labels: the comment with the press release and its twin
    pair = con.execute("SELECT doc_id, text FROM documents WHERE kind = 'comment' AND own_text = ?", [OWN]).df()
    assert len(pair) == 2 and pair.text.str.contains("Ministry").sum() == 1
    a, b = pair.doc_id

    def labels(table, doc):
        cols = "theme, score, stance, stance_score, method" if table == "doc_themes" else "label, score, method"
        return con.execute(f"SELECT {cols} FROM {table} WHERE run_id = ? AND doc_id = ? ORDER BY 1",
                           [summary["run_id"], doc]).df()

    for table in ("doc_themes", "doc_sentiment"):
        pd.testing.assert_frame_equal(labels(table, a), labels(table, b))
    assert len(labels("doc_themes", a)) >= 1
    con.close()

    exported = Corpus(db, config).annotate_export(n=5, coder="nobody")
    rows = [json.loads(line) for line in open(exported["jsonl"])]
    assert len(rows) == 5 and all(r["own_text"] and r["doc_id"] for r in rows)
    header = open(exported["csv"]).readline()
    assert "theme:managerialism" in header and "sentiment" in header
    unsure = Corpus(db, config).annotate_export(n=3, strategy="uncertain")
    assert unsure["documents"] == 3
