"""Quote sets for writers: own words only, each with date, permalink (where the source
has one) and pseudonym."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from pipeline.api import Corpus
from pipeline.cli.main import main
from pipeline.store import connect

pytestmark = pytest.mark.slow


def test_quotes_are_own_words_with_date_and_pseudonym(sample_run):
    db, _ = sample_run
    df = Corpus(db).quotes(limit=100000)
    assert len(df) > 50
    assert df["pseudonym"].notna().all()
    assert df["permalink"].notna().mean() > 0.5
    conn = connect(db, read_only=True)
    # undated only where nothing dates it: a glued copy with no header, and no other form
    undated = df.loc[df["published_at"].isna(), "post_id"].unique().tolist()
    if undated:
        dated = conn.execute("SELECT count(*) FROM documents WHERE published_at IS NOT NULL AND post_id IN "
                             f"({','.join('?' * len(undated))})", undated).fetchone()[0]
        assert dated == 0
    assert df["published_at"].notna().mean() > 0.9
    pasted = conn.execute(
        "SELECT doc_id, substr(d.clean_text, s.start + 1, s.\"end\" - s.start) FROM segments s "
        "JOIN documents d USING (doc_id) WHERE s.kind <> 'own' AND s.\"end\" - s.start >= 40").fetchall()
    conn.close()
    by_doc: dict[str, list[str]] = {}
    for doc_id, span in pasted:
        by_doc.setdefault(doc_id, []).append(span.strip())
    for doc_id, quote in zip(df["doc_id"], df["quote"]):
        for span in by_doc.get(doc_id, []):
            assert span[:60] not in quote, f"pasted/quoted words in the quote of {doc_id}"
    # no copies: each text once
    assert df.groupby(["theme", "doc_id"]).size().max() == 1


def test_quotes_filter_and_formats(sample_run):
    db, _ = sample_run
    r = CliRunner()
    out = r.invoke(main, ["quotes", "--db", db, "--theme", "napo", "--stance", "against", "--format", "json",
                          "--limit", "5"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    assert 0 < len(rows) <= 5 and {x["theme"] for x in rows} == {"napo"} and {x["stance"] for x in rows} == {"AGAINST"}
    out = r.invoke(main, ["quotes", "--db", db, "--theme", "pay", "--limit", "3"])
    assert out.exit_code == 0 and out.output.count("\n— ") == 3
    out = r.invoke(main, ["quotes", "--db", db, "--theme", "weather"])
    assert out.exit_code == 1 and "themes with quotes" in out.output
