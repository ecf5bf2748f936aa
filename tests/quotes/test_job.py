"""The quotes stage on an invented thread: verbatim pieces, nothing the segmenter marked
quote or pasted, incremental re-runs."""

from __future__ import annotations

import pytest

from pipeline.quotes import join_pieces
from pipeline.store import connect
from tests.stagekit import run_stages, write_dump  # noqa: F401  (fixture)

pytestmark = pytest.mark.slow

STAGES = ("ingest", "clean", "dedupe", "segment", "quotes")

LETTER = ("I wrote to my MP about caseloads and this is the reply I finally got after six weeks:-\n\n"
          "Dear Ms Fenwick,\n\nThank you for contacting me about the workload pressures facing probation staff "
          "in the constituency. I have raised your concerns with the Minister and will forward his response as "
          "soon as I receive it.\n\nYours sincerely,\n\nArthur Pengelly\n\n"
          "So that is another six weeks of waiting for a form letter that says nothing at all, again.")
REPORTED = ('The regional director told us at the away day that "accountability starts with each of us in every '
            'single team". She has never held a caseload in her life and it shows every week.')
PLAIN = ("Our office has lost four officers since Easter and none of the posts has been advertised yet. "
         "The rest of us are covering the cases.\n\nMerlin")


def test_quotes_stage_keeps_only_own_sentences_verbatim(tmp_path, write_dump):
    src = write_dump("thread.txt", "Monday, 3 March 2025", "Letters from on high",
                     "A post about what the letters from on high say this month, and what they leave out.",
                     [LETTER, REPORTED, PLAIN])
    db = str(tmp_path / "q.duckdb")
    first = run_stages(db, [src], STAGES)["quotes"]
    assert first["built"] == 4 and first["with_quote"] >= 3
    conn = connect(db, read_only=True)
    rows = conn.execute("SELECT q.doc_id, q.quote, q.pieces, c.clean_text, q.reason FROM quote_docs q "
                        "JOIN clean_docs c USING (doc_id)").fetchall()
    segs = conn.execute('SELECT doc_id, start, "end", kind FROM doc_segments').fetchall()
    conn.close()
    by_doc = {r[0]: r for r in rows}
    assert len(by_doc) == 4
    others = [(d, s, e) for d, s, e, k in segs if k != "own"]
    assert others, "the invented thread has pasted and quoted text"
    for doc_id, quote, pieces, text, _ in rows:
        if quote is None:
            continue
        spans = [(p["start"], p["end"]) for p in pieces]
        assert join_pieces(text, spans) == quote
        for d, s, e in others:
            if d == doc_id:
                assert not any(a < e and s < b for a, b in spans), "a quote overlaps text marked quote/pasted"
    letter = next(r for r in rows if "MP about caseloads" in r[3])
    # the pasted letter is left out, and so is the line that introduces it
    assert letter[1] == LETTER.split("\n\n")[-1]
    plain = next(r for r in rows if "Easter" in r[3])
    assert plain[1] == PLAIN.split("\n\n")[0]  # the sign-off is not quoted
    reported = next(r for r in rows if "away day" in r[3])
    # the first sentence holds a quotation: left out whole, never "... away day that . She ..."
    assert reported[1] == REPORTED.split(". ", 1)[1]
    # incremental: nothing changed, nothing rebuilt; a new setting rebuilds everything
    assert run_stages(db, [src], STAGES)["quotes"]["built"] == 0
    again = run_stages(db, [src], ("quotes",), quotes={"min_words": 12})["quotes"]
    assert again["built"] == 4


def test_the_stage_stores_the_tags_of_own_texts_it_parsed_whole(tmp_path, write_dump):
    """The quotes stage keeps the spaCy tags of every own text its parse read whole
    (``token_tags``, by the text's content hash, as the topics fit and classify store and
    read them): the bytes tagging that own text gives. A run that rebuilds nothing keeps
    nothing; tags already stored are kept as they are."""
    from pipeline.embed import content_hash
    from pipeline.nlp import english, tagged, tagger_key, tags_of

    src = write_dump("thread.txt", "Monday, 3 March 2025", "Letters from on high",
                     "A post about what the letters from on high say this month, and what they leave out.",
                     [LETTER, REPORTED, PLAIN])
    db = str(tmp_path / "q.duckdb")
    first = run_stages(db, [src], STAGES)["quotes"]
    conn = connect(db, read_only=True)
    stored = dict(conn.execute("SELECT content_hash, tags FROM token_tags WHERE tagger = ?",
                               [tagger_key(english())]).fetchall())
    owns = {content_hash(t): t for (t,) in conn.execute("SELECT own_text FROM doc_own").fetchall()}
    whole = {content_hash(t) for (t,) in conn.execute("SELECT o.own_text FROM doc_own o JOIN clean_docs c "
                                                      "USING (doc_id) WHERE o.own_text = c.clean_text").fetchall()}
    # the store's query keys the tags by DuckDB's sha256, which must be content_hash's, beyond ASCII too
    wide = "Caf\u00e9 \u2013 don\u2019t \U0001f600 \u0141\u00f3d\u017a"
    assert conn.execute("SELECT sha256(?)", [wide]).fetchone()[0] == content_hash(wide)
    conn.close()
    assert first["tags_kept"] == len(stored) and whole and whole <= set(stored)  # every text of own words only
    nlp = english()
    for h, tags in stored.items():
        assert bytes(tags) == tags_of(nlp, next(tagged(nlp, [owns[h]])))
    assert run_stages(db, [src], STAGES)["quotes"]["tags_kept"] == 0
    # a run that rebuilds nothing hashes no own text (the no-input run stays cheap)
    from pipeline.config import load_config
    from pipeline.quotes import LOGIC_VERSION, QuoteOptions
    from pipeline.settings import settings_key
    from pipeline.store.quotes import quote_inputs

    opts = QuoteOptions.from_config(load_config().section("quotes"))
    conn = connect(db, read_only=True)
    current = quote_inputs(conn, settings_key(LOGIC_VERSION, opts.stored_key()))
    stale = quote_inputs(conn, "another key")
    conn.close()
    assert not current.stale.any() and current.own_hash.isna().all()
    assert stale.stale.all() and set(stale.own_hash.dropna()) == set(owns) - {content_hash("")}
    assert run_stages(db, [src], ("quotes",), quotes={"min_words": 12})["quotes"]["tags_kept"] == 0


def test_the_sentence_recogniser_option_keeps_every_rule(tmp_path, write_dump):
    """`quotes.sentences = "senter"`: spaCy's sentence recogniser ends the sentences. The
    quotes keep every rule (verbatim pieces, nothing pasted or quoted, the sign-off out);
    switching rebuilds every quote, and the parser's key is the one it had before the
    option existed, so stored quotes stay current."""
    from pipeline.config import ConfigError
    from pipeline.quotes import LOGIC_VERSION, QuoteOptions
    from pipeline.settings import settings_key

    src = write_dump("thread.txt", "Monday, 3 March 2025", "Letters from on high",
                     "A post about what the letters from on high say this month, and what they leave out.",
                     [LETTER, REPORTED, PLAIN])
    db = str(tmp_path / "q.duckdb")
    run_stages(db, [src], STAGES)
    senter = run_stages(db, [src], ("quotes",), quotes={"sentences": "senter"})["quotes"]
    assert senter["built"] == 4 and senter["with_quote"] >= 3
    conn = connect(db, read_only=True)
    rows = conn.execute("SELECT q.quote, q.pieces, c.clean_text FROM quote_docs q JOIN clean_docs c USING (doc_id)"
                        " WHERE q.quote IS NOT NULL").fetchall()
    conn.close()
    for quote, pieces, text in rows:
        assert join_pieces(text, [(p["start"], p["end"]) for p in pieces]) == quote
    by_text = {t: q for q, _, t in rows}
    assert by_text[next(t for t in by_text if "MP about caseloads" in t)] == LETTER.split("\n\n")[-1]
    assert by_text[next(t for t in by_text if "Easter" in t)] == PLAIN.split("\n\n")[0]
    assert run_stages(db, [src], ("quotes",))["quotes"]["built"] == 4  # back to the parser: rebuilt
    # the parser's key: the options as they were before `sentences` existed
    assert settings_key(LOGIC_VERSION, QuoteOptions(8, "parser").stored_key()) == settings_key(LOGIC_VERSION,
                                                                                              {"min_words": 8})
    with pytest.raises(ConfigError, match="quotes.sentences must be one of parser, senter"):
        QuoteOptions(8, "regex")


def test_write_quotes_keeps_a_rare_flagged_name_and_empty_pieces(tmp_db):
    """DuckDB types a frame's list columns from a sample of its rows: when every sampled
    row had no flagged name (the rule at 150k documents), the column was typed a list
    of NULL and the one row with a name failed the whole stage ("VARCHAR -> NULL")."""
    import pandas as pd

    from pipeline.store import connect, transaction
    from pipeline.store.quotes import write_quotes

    n, rare = 20_000, 10_001
    rows = pd.DataFrame({
        "doc_id": [f"d{i:05d}" for i in range(n)], "input_key": ["k"] * n, "quote": [None] * n,
        "pieces": [[] for _ in range(n)], "n_words": [0] * n, "reason": ["no_own_words"] * n,
        "names_flagged": [[] for _ in range(n)], "first_sentence": [None] * n})
    rows.at[rare, "names_flagged"] = ["Mr Example"]
    rows.at[rare, "pieces"] = [{"start": 0, "end": 12}]
    rows.at[rare, "quote"], rows.at[rare, "reason"], rows.at[rare, "n_words"] = "Synthetic quote", "ok", 2
    conn = connect(tmp_db)
    try:
        with transaction(conn):
            assert write_quotes(conn, rows, "r1") == n
        got = conn.execute("SELECT names_flagged, pieces FROM quote_docs WHERE doc_id = ?", [f"d{rare:05d}"]).fetchone()
        assert got == (["Mr Example"], [{"start": 0, "end": 12}])
        assert conn.execute("SELECT count(*) FROM quote_docs WHERE len(names_flagged) = 0").fetchone()[0] == n - 1
    finally:
        conn.close()
