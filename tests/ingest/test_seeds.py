"""The three real seed pages (read from ../shared/seeds; skipped when absent).

Expected values were read off the pages by hand: the post, the declared and shown
comment counts, the top-level/reply split and which comment each reply answers
(by reading position).
"""

from __future__ import annotations

import pytest

from tests.readkit import read_input
from pipeline.jobs.context import JobContext
from pipeline.jobs.ingest import ingest_job
from pipeline.config import load_config
from pipeline.store import connect

EXPECTED = {
    "000": dict(title="Guest Blog 90", date="2023-03-15", declared=8, parsed=8, top=6,
                replies={5: 4, 6: 4}),
    "003": dict(title="Dear Mr Jones", date="2024-10-27", declared=28, parsed=27, top=13,
                replies={5: 4, 8: 7, 11: 10, 12: 10, 13: 10, 14: 10, 15: 10, 17: 16, 18: 16,
                         20: 19, 21: 19, 24: 23, 25: 23, 27: 26}),
    "004": dict(title="Best of the Week", date="2021-03-07", declared=9, parsed=9, top=6,
                replies={5: 4, 6: 4, 7: 4}),
}

pytestmark = pytest.mark.seeds


def _seed(seeds_dir, prefix):
    matches = sorted(seeds_dir.glob(f"{prefix}_*.txt"))
    if not matches:
        pytest.skip(f"seed {prefix} absent")
    return matches[0]


@pytest.mark.parametrize("prefix", sorted(EXPECTED))
def test_seed_parses(seeds_dir, prefix):
    exp = EXPECTED[prefix]
    out = read_input(_seed(seeds_dir, prefix))
    assert out.error is None and out.format == "text_dump"
    res = out.result
    post = res.docs[0]
    assert post.kind == "post" and post.title == exp["title"]
    assert post.published_at.date().isoformat() == exp["date"]
    assert res.declared_comments == exp["declared"]
    assert res.parsed_comments == exp["parsed"]
    comments = res.docs[1:]
    assert [c.position for c in comments] == list(range(1, exp["parsed"] + 1))
    assert sum(c.parent_local is None for c in comments) == exp["top"]
    replies = {c.position: int(c.parent_local[1:]) for c in comments if c.parent_local}
    assert replies == exp["replies"]
    assert not res.rejects
    for c in comments:
        assert c.text and not c.text.startswith(" ")
        assert "ReplyDelete" not in c.text and "\nDelete" not in c.text


def test_seeds_ingest_into_documents(seeds_dir, tmp_db):
    cfg = load_config()
    summary = ingest_job(JobContext(tmp_db, cfg, "test", (str(seeds_dir),)))
    assert summary["outcomes"]["ingested"] == 3
    conn = connect(tmp_db)
    rows = conn.execute(
        "SELECT d.source, count(*) FILTER (kind='comment'), count(*) FILTER (kind='post'),"
        " count(*) FILTER (parent_id IS NOT NULL) FROM documents d GROUP BY d.source ORDER BY 1").fetchall()
    got = {r[0].split("/")[-1][:3]: r[1:] for r in rows}
    assert got == {k: (v["parsed"], 1, len(v["replies"])) for k, v in EXPECTED.items()}
    # every parent is a top-level comment of the same post, earlier in reading order
    bad = conn.execute(
        "SELECT count(*) FROM documents c JOIN documents p ON c.parent_id = p.doc_id "
        "WHERE p.post_id <> c.post_id OR p.parent_id IS NOT NULL OR p.position >= c.position").fetchone()[0]
    assert bad == 0
    warn = conn.execute("SELECT warnings FROM sources WHERE path_or_url LIKE '%003_%'").fetchone()[0]
    assert any("declared 28 comments, parsed 27" in w for w in warn)
    # re-ingesting changes nothing
    before = conn.execute("SELECT count(*), sum(hash(text)) FROM document_rows").fetchone()
    conn.close()
    again = ingest_job(JobContext(tmp_db, cfg, "test2", (str(seeds_dir),)))
    assert again["outcomes"] == {"unchanged": 3}
    conn = connect(tmp_db)
    assert conn.execute("SELECT count(*), sum(hash(text)) FROM document_rows").fetchone() == before
