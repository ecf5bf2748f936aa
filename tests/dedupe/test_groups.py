"""Only the duplicate groups a change touches are rebuilt, and the result equals a full
rebuild row for row: in memory (``build_duplicates`` is local to ``duplicate_groups``)
and through the store (a corpus added in several increments, with a document that
merges two groups, one that joins two clusters, one that becomes a group's new
canonical, and a date that changes). Every text here is SYNTHETIC (invented, or
``benchmarks.generate``)."""

from __future__ import annotations

import shutil

import pandas as pd

from pipeline.config import load_config
from pipeline.dedupe import DedupeOptions, chronological_rank, duplicate_groups
from pipeline.dedupe.relations import build_duplicates, duplicates_and_groups, pair_can_relate
from pipeline.store import connect
from tests.dedupe.test_vectorised import _generated_evidence
from tests.stagekit import run_stages

OPTS = DedupeOptions.of(load_config())
STAGES = ("ingest", "clean", "dedupe")

# Invented texts. BASE and its two variants (its first or last 11 words replaced): each
# variant is a near copy of BASE (Jaccard 0.80 and 0.82), but not of the other (0.70:
# alone, the later one "contains" the earlier), so BASE joins their clusters.
_WORDS = ("The hostel on the ring road lost its night cover again this week and the two of us left on the late "
          "shift spent most of it ringing round for agency staff who never came. Management tell us the rota is "
          "fully resourced on paper which is true only if paper can hold a set of keys and answer the door at "
          "three in the morning. The residents know it too and the calmer ones have started making tea for the "
          "new starters because nobody else has time to show them where the kettle is or how the fire panel "
          "works on the second floor.").split()
_NEW = "quite apart from that the regional office keeps sending more forms that ask the very same questions".split()
BASE = " ".join(_WORDS)
VAR_A = " ".join(_NEW[:11] + _WORDS[11:])
VAR_B = " ".join(_WORDS[:-11] + _NEW[-11:])
PAY = ("Nobody in the team has had a pay rise worth the name since the reorganisation, and the travel claims "
       "take three months to come through, so the younger officers are quietly applying to the police and the "
       "council instead of waiting for a career structure that never arrives.")
PAY_TYPO = PAY.replace("reorganisation", "reorganisaton").replace("quietly", "quietely")
# QUOTER quotes the first 20 of QUOTED's 33 words (61%) inside far more words of its own:
# it "contains" QUOTED when QUOTED is earlier, and is unrelated to it when QUOTED is later.
_QUOTED = ("the new case management system logs every contact twice and still loses the notes from home visits "
           "so the same risk assessment ends up being typed three times by three different people")
QUOTED = _QUOTED[0].upper() + _QUOTED[1:] + "."
QUOTER = ("Somebody on here said that " + " ".join(_QUOTED.split()[:20]) + " and that is only half of it. The "
          "real problem is that nobody who designed it ever sat through a supervision session or a breach "
          "hearing, so the screens follow the order a contractor imagined rather than the order in which a "
          "probation officer actually learns things about a person, and every workaround we invent is another "
          "place for information to hide from the next officer who picks up the case after we have gone.")
FILLER = "The car park barrier has been stuck open since Easter and nobody seems to mind very much at all."


def _rows(db: str) -> dict:
    conn = connect(db, read_only=True)
    try:
        return {
            "duplicate_rows": conn.execute("SELECT * EXCLUDE (run_id) FROM duplicate_rows ORDER BY ALL").fetchall(),
            "dedupe_groups": conn.execute("SELECT * FROM dedupe_groups ORDER BY ALL").fetchall(),
            **{t: conn.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
               for t in ("dedupe_spans", "dedupe_near_pairs", "dedupe_coverage")},
        }
    finally:
        conn.close()


def _doc(db: str, text: str, kind: str = "comment") -> str:
    """The earliest document with this clean text."""
    conn = connect(db, read_only=True)
    try:
        rows = conn.execute("SELECT c.doc_id FROM clean_docs c JOIN document_rows d USING (doc_id) "
                            "JOIN document_rows p ON p.doc_id = d.post_id WHERE c.clean_text = ? AND d.kind = ? "
                            "ORDER BY COALESCE(d.published_at, p.published_at)", [text, kind]).fetchall()
        return rows[0][0]
    finally:
        conn.close()


def test_duplicates_are_local_to_their_groups():
    """``build_duplicates`` over each group alone (its documents, its pairs, a rank of just
    its documents) gives exactly the rows of the whole corpus's build; every row links
    two documents of one group."""
    ev, info, rank, docs = _generated_evidence()
    near, cov = pair_can_relate(ev.near, ev.coverage, OPTS.relations)
    whole, groups = duplicates_and_groups(info, near, cov, rank, OPTS.relations)
    pd.testing.assert_frame_equal(whole, build_duplicates(info, near, cov, rank, OPTS.relations))
    sizes = groups.groupby("group_id").size()
    assert (sizes >= 2).sum() >= 5 and (sizes == 1).sum() >= 5 and len(whole)
    assert set(groups["doc_id"]) == set(near["a"]) | set(near["b"]) | set(cov["doc_a"]) | set(cov["doc_b"]) | set(
        info[info["n_tokens"].gt(0) & info["clean_hash"].duplicated(keep=False)]["doc_id"])
    group_of = dict(zip(groups["doc_id"], groups["group_id"]))
    assert all(group_of[a] == group_of[b] for a, b in zip(whole["doc_id"], whole["canonical_id"]))
    assert all(g == min(m) for g, m in groups.groupby("group_id")["doc_id"])
    parts = []
    for _, members in groups.groupby("group_id")["doc_id"]:
        ids = set(members)
        part_docs = docs[docs["doc_id"].isin(ids)]
        part = build_duplicates(info[info["doc_id"].isin(ids)], near[near["a"].isin(ids) & near["b"].isin(ids)],
                                cov[cov["doc_a"].isin(ids) & cov["doc_b"].isin(ids)], chronological_rank(part_docs),
                                OPTS.relations)
        parts.append(part)
    pd.testing.assert_frame_equal(pd.concat(parts).sort_values(["doc_id", "canonical_id"]).reset_index(drop=True),
                                  whole, check_dtype=False)


def test_groups_link_only_what_takes_part():
    """Exact copies with words and pairs classified as a relation join groups; a pair
    classified as unrelated leaves its two documents in groups of their own."""
    info = pd.DataFrame({"doc_id": ["a", "b", "c", "d", "e", "f"], "clean_hash": ["h1", "h1", "h2", "h0", "h0", "h3"],
                         "n_tokens": [20, 20, 20, 0, 0, 20]})
    rank = pd.Series(range(6), index=list("abcdef"))
    empty_near = pd.DataFrame({"a": pd.Series(dtype=object), "b": pd.Series(dtype=object), "jaccard": []})
    cov = pd.DataFrame({"doc_a": ["c", "b", "f", "c"], "doc_b": ["b", "c", "c", "f"], "cov_a": [0.6, 0.7, 0.55, 0.1],
                        "cov_b": [0.7, 0.6, 0.1, 0.55], "gap_a": [6, 6, 5, 15]})
    got = duplicate_groups(info, empty_near, cov.iloc[:0], rank, OPTS.relations, nodes=["f"])
    assert got.values.tolist() == [["a", "a"], ["b", "a"], ["f", "f"]]  # no words: no exact copies
    got = duplicate_groups(info, empty_near, cov, rank, OPTS.relations)
    # c holds 70% of the earlier b: "contains" (a link); the later f holds 10% of c, and 55% of f is
    # in c (relatable, but neither a copy nor a quotation of c): nothing
    assert got.values.tolist() == [["a", "a"], ["b", "a"], ["c", "a"], ["f", "f"]]


def test_increments_equal_one_full_run(tmp_path, write_dump):
    """A generated corpus and invented threads added in three increments give the same
    duplicates, groups and evidence as one run over everything; the later runs rebuild
    only the groups they touch. The third increment brings an anthology post that holds
    two texts of two separate groups (the groups merge), the text two near-copy clusters
    both copy (the clusters merge), and an older copy of a text (the new canonical)."""
    from benchmarks.generate import generate, write_jsonl

    gen = generate(200, seed=5)
    cuts = [len(gen) // 2, len(gen) * 4 // 5, len(gen)]
    gen_files = [write_jsonl(gen[:c], tmp_path / f"gen{i}") for i, c in enumerate(cuts)]
    night = write_dump("night.txt", "Monday, 1 July 2019", "Night cover", "A post about staffing.\n\nAnon",
                       [VAR_A, FILLER])
    pay = write_dump("pay.txt", "Tuesday, 2 July 2019", "Pay", "A post about pay.\n\nAnon", [PAY, PAY_TYPO])
    later = write_dump("later.txt", "Wednesday, 3 July 2019", "More on cover", "Another post.\n\nAnon", [VAR_B])
    anthology = write_dump("anthology.txt", "Friday, 5 July 2019", "Two comments worth reading",
                           "Two comments from last week that deserve a wider audience:-\n\n" + VAR_A + "\n\n* * *\n\n"
                           + PAY, [BASE])
    older = write_dump("older.txt", "Saturday, 1 January 2011", "From the archive", "An old post.\n\nAnon",
                       [VAR_A])
    increments = [gen_files[0] + [night, pay], gen_files[1] + [night, pay, later],
                  gen_files[2] + [night, pay, later, anthology, older]]

    full, incr = str(tmp_path / "full.duckdb"), str(tmp_path / "incr.duckdb")
    run_stages(full, increments[-1], stages=STAGES)
    summaries = []
    for paths in increments:
        summaries.append(run_stages(incr, paths, stages=STAGES)["dedupe"])
        if len(summaries) == 2:  # before BASE: VAR_B only contains VAR_A
            conn = connect(incr, read_only=True)
            between = conn.execute("SELECT relation FROM duplicate_rows WHERE doc_id = ? AND canonical_id = ?",
                                   [_doc(incr, VAR_B), _doc(incr, VAR_A)]).fetchall()
            conn.close()
            assert between == [("contains",)]
    assert summaries[0]["groups_rebuilt"] == "all"
    n_docs = connect(incr, read_only=True).execute("SELECT count(*) FROM clean_docs").fetchone()[0]
    for s in summaries[1:]:
        assert s["groups_rebuilt"] == "changed" and 0 < s["rebuilt_docs"] < n_docs / 2 and s["hashed"]
    want, got = _rows(full), _rows(incr)
    assert len(want["duplicate_rows"]) >= 10 and want["dedupe_groups"]
    assert got == want

    # the cases the increments were built for
    old_a, var_b, base = _doc(incr, VAR_A), _doc(incr, VAR_B), _doc(incr, BASE)  # old_a: the 2011 copy
    conn = connect(incr, read_only=True)
    dup = {r[0]: (r[1], r[2]) for r in conn.execute(
        "SELECT doc_id, canonical_id, relation FROM duplicate_rows WHERE relation <> 'contains'").fetchall()}
    group = dict(conn.execute("SELECT doc_id, group_id FROM dedupe_groups").fetchall())
    post = conn.execute("SELECT doc_id FROM document_rows WHERE title = 'Two comments worth reading'").fetchone()[0]
    pay_id = _doc(incr, PAY)
    conn.close()
    copies = {d: rel for d, (c, rel) in dup.items() if c == old_a}
    # BASE joined VAR_B's cluster to VAR_A's, whose canonical is now the older copy
    assert copies[base] == copies[var_b] == "near" and sorted(copies.values()) == ["exact", "near", "near"]
    assert old_a not in dup  # the older copy is the canonical
    assert group[post] == group[old_a] == group[pay_id]  # the anthology merged two groups


def test_a_changed_date_rebuilds_its_group(tmp_path, write_dump):
    """A grouped document whose publication order changes (its time refined by a later
    ingest) is rebuilt with its group: the earlier copy becomes the canonical."""
    pay = write_dump("pay.txt", "Tuesday, 2 July 2019", "Pay", "A post about pay.\n\nAnon", [PAY, PAY_TYPO, FILLER])
    db = str(tmp_path / "a.duckdb")
    run_stages(db, [pay], stages=STAGES)
    first, second = _doc(db, PAY), _doc(db, PAY_TYPO)
    conn = connect(db)
    assert conn.execute("SELECT canonical_id FROM duplicate_rows WHERE doc_id = ?", [second]).fetchone()[0] == first
    # what ingest's upsert does when a date-only stamp is refined to a time
    conn.execute("UPDATE document_rows SET published_at = TIMESTAMP '2019-07-01 08:00:00' WHERE doc_id = ?", [second])
    conn.close()
    copy = str(tmp_path / "b.duckdb")
    shutil.copy(db, copy)
    s = run_stages(db, [], stages=("dedupe",))["dedupe"]
    assert s["hashed"] == 0 and s["groups_rebuilt"] == "changed" and s["rebuilt_docs"] == 2
    assert s["duplicates_added"] == 1 and s["duplicates_removed"] == 1
    again = run_stages(copy, [], stages=("dedupe",), dedupe={"full_rebuild": True})["dedupe"]
    assert again["groups_rebuilt"] == "all"
    assert _rows(db) == _rows(copy)
    conn = connect(db, read_only=True)
    assert conn.execute("SELECT canonical_id FROM duplicate_rows WHERE doc_id = ?", [first]).fetchone()[0] == second
    conn.close()
    # nothing new: nothing rebuilt
    s = run_stages(db, [], stages=("dedupe",))["dedupe"]
    assert s["rebuilt_docs"] == 0 and s["duplicates_added"] == s["duplicates_removed"] == 0


def test_a_date_that_turns_a_pair_into_a_relation_rebuilds_both(tmp_path, write_dump):
    """A pair that took no part (the quoting text was the earlier) becomes a "contains"
    when the quoted text's post is dated earlier: its two documents were in groups of
    their own, and are rebuilt together."""
    quoted = write_dump("quoted.txt", "Wednesday, 10 July 2019", "Systems", "A post.\n\nAnon", [QUOTED])
    quoter = write_dump("quoter.txt", "Friday, 5 July 2019", "More systems", "Another post.\n\nAnon", [QUOTER])
    db, copy = str(tmp_path / "a.duckdb"), str(tmp_path / "b.duckdb")
    run_stages(db, [quoted, quoter], stages=STAGES)
    a, b = _doc(db, QUOTED), _doc(db, QUOTER)
    conn = connect(db)
    assert conn.execute("SELECT count(*) FROM duplicate_rows").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM dedupe_groups WHERE doc_id = group_id AND doc_id IN (?, ?)",
                        [a, b]).fetchone()[0] == 2  # watched, each in a group of its own
    conn.execute("UPDATE document_rows SET published_at = TIMESTAMP '2019-07-01 09:00:00' "
                 "WHERE title = 'Systems'")  # what ingest does when a post's time becomes known
    conn.close()
    shutil.copy(db, copy)
    s = run_stages(db, [], stages=("dedupe",))["dedupe"]
    assert s["groups_rebuilt"] == "changed" and s["duplicates_added"] == 1
    run_stages(copy, [], stages=("dedupe",), dedupe={"full_rebuild": True})
    assert _rows(db) == _rows(copy)
    conn = connect(db, read_only=True)
    assert conn.execute("SELECT doc_id, canonical_id, relation FROM duplicate_rows").fetchall() == [(b, a, "contains")]
    conn.close()


def test_relation_settings_change_or_old_database_rebuilds_every_group(tmp_path, write_dump):
    pay = write_dump("pay.txt", "Tuesday, 2 July 2019", "Pay", "A post about pay.\n\nAnon", [PAY, PAY_TYPO])
    night = write_dump("night.txt", "Monday, 1 July 2019", "Night cover", "A post.\n\nAnon", [VAR_A, VAR_B])
    db, fresh = str(tmp_path / "a.duckdb"), str(tmp_path / "b.duckdb")
    run_stages(db, [pay], stages=STAGES)
    s = run_stages(db, [pay, night], stages=STAGES, dedupe={"near_threshold": 0.7})["dedupe"]
    assert s["groups_rebuilt"] == "all" and not s["full_rehash"]
    run_stages(fresh, [pay, night], stages=STAGES, dedupe={"near_threshold": 0.7})
    assert _rows(db) == _rows(fresh)
    # a database from before the groups were kept: its first run rebuilds them all
    conn = connect(db)
    conn.execute("DELETE FROM dedupe_groups")
    conn.execute("DELETE FROM dedupe_build")
    conn.close()
    s = run_stages(db, [], stages=("dedupe",), dedupe={"near_threshold": 0.7})["dedupe"]
    assert s["groups_rebuilt"] == "all" and s["duplicates_added"] == s["duplicates_removed"] == 0
    assert _rows(db) == _rows(fresh)


def test_duckdb_memory_limit_from_the_config(tmp_path, write_dump):
    import pytest

    from pipeline.config import ConfigError
    from pipeline.store import dedupe as store

    pay = write_dump("pay.txt", "Tuesday, 2 July 2019", "Pay", "A post about pay.\n\nAnon", [PAY, PAY_TYPO])
    limited, plain = str(tmp_path / "a.duckdb"), str(tmp_path / "b.duckdb")
    s = run_stages(limited, [pay], stages=STAGES, dedupe={"duckdb_memory_mb": 300})["dedupe"]
    run_stages(plain, [pay], stages=STAGES, dedupe={"duckdb_background_flush": False})
    assert s["relations"] == {"near": 1} and _rows(limited) == _rows(plain)
    conn = connect(plain)
    try:
        before = conn.execute("SELECT current_setting('memory_limit')").fetchone()[0]
        store.set_memory(conn, 0, background_flush=False)
        assert conn.execute("SELECT current_setting('memory_limit')").fetchone()[0] == before
        store.set_memory(conn, 300, background_flush=False)
        assert conn.execute("SELECT current_setting('memory_limit')").fetchone()[0] == "286.1 MiB"  # 300 MB
        assert conn.execute("SELECT current_setting('allocator_background_threads')").fetchone()[0] is False
        store.set_memory(conn, 0, background_flush=True)
        assert conn.execute("SELECT current_setting('allocator_background_threads')").fetchone()[0] is True
    finally:
        conn.close()
    with pytest.raises(ConfigError, match="duckdb_memory_mb"):
        DedupeOptions.of(load_config(overrides={"dedupe": {"duckdb_memory_mb": -1}}))


def test_a_negative_token_cache_is_refused_with_its_key():
    import pytest

    from pipeline.config import ConfigError

    with pytest.raises(ConfigError, match="dedupe.token_cache_docs"):
        DedupeOptions.of(load_config(overrides={"dedupe": {"token_cache_docs": -1}}))
    assert DedupeOptions.of(load_config(overrides={"dedupe": {"token_cache_docs": 0}})).token_cache_docs == 0
