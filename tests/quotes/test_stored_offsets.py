"""Property: through the quotes stage and the store, every quote's pieces are verbatim
substrings of its document at the stored offsets (DuckDB's substr on the stored
clean_text), also with typographic quotes, accents and emoji; joined by " […] " they
give the quote; and no piece touches text the segmenter marked quote or pasted.
Invented sentences only."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.config import load_config
from pipeline.jobs import STAGES, JobContext
from pipeline.store import connect

pytestmark = pytest.mark.slow

OWN = st.sampled_from([
    "I’ve been a PO for nineteen years and I’ve never seen morale this low — not once.",
    "Café meetings with the “senior leadership team” are no substitute for staff 😀 on the ground.",
    "Nobody asked us, again.",
    "Why does every restructure end with fewer of us doing more of the same work?",
    "B:",
    "https://example.org/naïve/page",
])
OTHER = st.sampled_from([
    "THE MINISTER WELCOMED THE FINDINGS OF THE REVIEW TODAY, SAYING “LESSONS WILL BE LEARNT”.",
    "Dear colleague, thank you for your letter of the tenth, which the Secretary of State has read.",
])
SEP = st.sampled_from([" ", "\n", "\n\n"])


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("offsets") / "q.duckdb")
    connect(path).close()
    return path


def _store(db: str, text: str, own: list[tuple[int, int]], other: list[tuple[int, int]]) -> None:
    conn = connect(db)
    try:
        for t in ("quote_docs", "doc_segments", "doc_own", "clean_docs", "document_rows"):
            conn.execute(f"DELETE FROM {t}")
        conn.execute("INSERT INTO document_rows (doc_id, kind, post_id, position, text, flags, fingerprint, "
                     "source_id) VALUES ('c_1', 'comment', 'p_1', 1, ?, [], 'f', 's')", [text])
        conn.execute("INSERT INTO clean_docs (doc_id, text_md5, options_key, clean_text, clean_hash) "
                     "VALUES ('c_1', 'm', 'k', ?, 'h')", [text])
        conn.execute("INSERT INTO doc_own (doc_id, own_text, input_key) VALUES ('c_1', '', 'k')")
        segs = sorted([(s, e, "own") for s, e in own] + [(s, e, "pasted") for s, e in other])
        for i, (s, e, kind) in enumerate(segs):
            conn.execute("INSERT INTO doc_segments (doc_id, seg_no, start, \"end\", kind, source_doc_id, signal, author) "
                         "VALUES ('c_1', ?, ?, ?, ?, NULL, 'test', NULL)", [i, s, e, kind])
    finally:
        conn.close()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.booleans(), OWN, OTHER, SEP), min_size=1, max_size=8))
def test_stored_pieces_are_verbatim_at_their_offsets(db, parts):
    text, own, other = "", [], []
    for is_own, mine, theirs, sep in parts:
        sentence = mine if is_own else theirs
        text += sep if text else ""
        (own if is_own else other).append((len(text), len(text) + len(sentence)))
        text += sentence
    _store(db, text, own, other)
    STAGES["quotes"](JobContext(db, load_config(), "offsets"))
    conn = connect(db, read_only=True)
    try:
        row = conn.execute(
            """SELECT q.quote, q.reason,
                      [substr(c.clean_text, p.start + 1, p."end" - p.start) FOR p IN q.pieces] AS by_sql,
                      [[p.start, p."end"] FOR p IN q.pieces] AS offsets
               FROM quote_docs q JOIN clean_docs c USING (doc_id)""").fetchone()
    finally:
        conn.close()
    quote, reason, by_sql, offsets = row
    if quote is None:
        assert reason in ("no_own_words", "too_short") and offsets == []
        return
    assert by_sql == [text[s:e] for s, e in offsets]  # SQL and Python agree on the offsets
    assert " […] ".join(by_sql) == quote
    for s, e in offsets:
        assert not any(a < e and s < b for a, b in other), "a piece overlaps pasted text"
