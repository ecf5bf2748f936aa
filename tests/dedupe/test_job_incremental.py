"""The dedupe stage through the store: incremental runs equal the stage in memory, and a
second ingest links new copies to old canonicals without re-hashing old texts."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.config import load_config
from pipeline.dedupe import DedupeOptions, dedupe_frame
from pipeline.store import connect
from tests.stagekit import run_stages

ORIG = ("I have said this before and will say it again. The ministry has a long habit of failing at "
        "anything operational, and the frontline has been hollowed out by people who never ask those doing "
        "the work what would help.")
OTHER = ("Napo should be shouting about the pay award, which barely covers the cost of getting to the office, "
         "let alone the stress of caseloads nobody could manage in a normal working week.")


def test_job_in_two_ingests_equals_the_stage_in_memory(tmp_db, write_dump):
    """One implementation: the job, run incrementally through the store, gives the same
    duplicates and pair evidence as ``dedupe_frame`` over all documents at once."""
    p1 = write_dump("a.txt", "Monday, 1 July 2019", "First", ORIG, [OTHER, "Short reply here."])
    p2 = write_dump("b.txt", "Tuesday, 2 July 2019", "Second",
                    "A reader sent this in:-\n\n" + ORIG, ["Quoting: \"" + OTHER + "\" Indeed.",
                                                          ORIG.replace("hollowed", "holowed")])
    run_stages(tmp_db, [p1], stages=("ingest", "clean", "dedupe"))
    run_stages(tmp_db, [p2], stages=("ingest", "clean", "dedupe"))
    conn = connect(tmp_db, read_only=True)
    docs = conn.execute(
        "SELECT c.doc_id, c.clean_text, c.clean_hash, d.post_id, d.kind, d.position, d.published_at, "
        "p.published_at AS post_published_at FROM clean_docs c JOIN document_rows d USING (doc_id) "
        "LEFT JOIN document_rows p ON p.doc_id = d.post_id ORDER BY c.doc_id").df()
    job_dups = conn.execute("SELECT doc_id, canonical_id, relation FROM duplicate_rows").df()
    job_spans = conn.execute('SELECT doc_id, start, "end", source_doc_id FROM dedupe_spans').df()
    conn.close()
    mem = dedupe_frame(docs, DedupeOptions.of(load_config()))
    key = ["doc_id", "canonical_id", "relation"]
    assert len(job_dups) >= 2
    pd.testing.assert_frame_equal(job_dups[key].sort_values(key).reset_index(drop=True),
                                  mem.duplicates[key].sort_values(key).reset_index(drop=True))
    skey = ["doc_id", "start", "end", "source_doc_id"]
    got = job_spans[skey].astype({"start": "int64", "end": "int64"}).sort_values(skey).reset_index(drop=True)
    want = (mem.spans[skey].drop_duplicates().astype({"start": "int64", "end": "int64"})
            .sort_values(skey).reset_index(drop=True))
    pd.testing.assert_frame_equal(got, want)


def test_second_ingest_links_new_copies_to_old_canonicals(tmp_db, write_dump):
    first = write_dump("a.txt", "Monday, 1 July 2019", "First", "A post about rotas.\n\nAnon", [ORIG, OTHER])
    s1 = run_stages(tmp_db, [first])
    assert s1["dedupe"]["hashed"] == 3 and s1["dedupe"]["relations"] == {}
    conn = connect(tmp_db, read_only=True)
    old = dict(conn.execute("SELECT doc_id, run_id FROM dedupe_signatures").fetchall())
    orig_id = conn.execute("SELECT doc_id FROM clean_docs WHERE clean_text LIKE 'I have said this before%'").fetchone()[0]
    conn.close()

    second = write_dump("b.txt", "Friday, 5 July 2019", "Guest Blog 7",
                        "The following came in yesterday and deserves a post of its own:-\n\n" + ORIG,
                        [ORIG.replace("hollowed", "holowed").replace("operational", "operatonal"),
                         "Totally unrelated: the car park is shut again and nobody told us anything."])
    s2 = run_stages(tmp_db, [second])
    assert s2["dedupe"]["hashed"] == 3 and not s2["dedupe"]["full_rehash"]
    conn = connect(tmp_db, read_only=True)
    # old documents were not re-hashed
    assert dict(conn.execute("SELECT doc_id, run_id FROM dedupe_signatures WHERE doc_id IN "
                             f"({','.join(repr(d) for d in old)})").fetchall()) == old
    rows = conn.execute("SELECT d.doc_id, d.canonical_id, d.relation, x.kind FROM duplicates d "
                        "JOIN documents x USING (doc_id) ORDER BY relation").fetchall()
    assert {(r[1], r[2], r[3]) for r in rows} == {(orig_id, "near", "comment"), (orig_id, "contains", "post")}
    unique = conn.execute("SELECT copies FROM documents_unique WHERE doc_id = ?", [orig_id]).fetchone()[0]
    assert unique == 2
    assert conn.execute("SELECT count(*) FROM documents_unique").fetchone()[0] == 5
    post = conn.execute("SELECT own_text, post_own_intro, republished_from FROM documents "
                        "WHERE title = 'Guest Blog 7'").fetchone()
    assert post[0] == post[1] and post[0].startswith("The following came in") and post[2] == orig_id
    conn.close()

    # a third run with nothing new changes nothing
    s3 = run_stages(tmp_db, [second])
    assert s3["clean"]["cleaned"] == 0 and s3["dedupe"]["hashed"] == 0 and s3["segment"]["segmented"] == 0
    assert s3["dedupe"]["duplicates_added"] == 0 and s3["dedupe"]["duplicates_removed"] == 0


def test_settings_change_rehashes_everything(tmp_db, write_dump):
    p = write_dump("a.txt", "Monday, 1 July 2019", "First", ORIG, [OTHER])
    run_stages(tmp_db, [p])
    again = run_stages(tmp_db, [p], stages=("dedupe",), dedupe={"num_perm": 64})
    assert again["dedupe"]["full_rehash"] and again["dedupe"]["hashed"] == 2


def test_failed_stage_leaves_database_as_it_was(tmp_db, write_dump, monkeypatch):
    import pytest

    import pipeline.jobs.dedupe as job

    p = write_dump("a.txt", "Monday, 1 July 2019", "First", ORIG, [OTHER])
    run_stages(tmp_db, [p], stages=("ingest", "clean"))

    def boom(*a, **k):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(job, "duplicates_and_groups", boom)
    with pytest.raises(RuntimeError):
        run_stages(tmp_db, [p], stages=("dedupe",))
    conn = connect(tmp_db, read_only=True)
    assert conn.execute("SELECT count(*) FROM dedupe_signatures").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM shingle_index").fetchone()[0] == 0
    conn.close()


def _evidence(db):
    conn = connect(db, read_only=True)
    try:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
                for t in ("duplicate_rows", "dedupe_spans", "dedupe_near_pairs", "dedupe_coverage")}
    finally:
        conn.close()


def _strip_run(rows):
    return {t: [r[:-1] if t == "duplicate_rows" else r for r in v] for t, v in rows.items()}


def test_chunked_job_equals_one_chunk(tmp_path, write_dump):
    """``dedupe.chunk_size`` bounds memory without changing a result: the job in chunks
    of two documents stores the same evidence and duplicates as in one chunk, and so it
    does whatever ``dedupe.token_cache_docs`` keeps between chunks (none, one, all)."""
    p1 = write_dump("a.txt", "Monday, 1 July 2019", "First", ORIG, [OTHER, "Short reply here.", ORIG])
    p2 = write_dump("b.txt", "Tuesday, 2 July 2019", "Second",
                    "A reader sent this in:-\n\n" + ORIG, ["Quoting: \"" + OTHER + "\" Indeed.",
                                                          ORIG.replace("hollowed", "holowed"), OTHER + " Agreed."])
    # (chunk_size, token_cache_docs, link_max_postings): "postings_*" split the one hashing
    # chunk into link steps by the postings each document's linking reads
    runs = {"one": (5000, 50000, 0), "small": (2, 50000, 0), "small_no_cache": (2, 0, 0),
            "small_cache_1": (2, 1, 0), "postings_1": (5000, 50000, 1), "postings_200": (5000, 50000, 200)}
    steps = {}
    for name, (size, cache, budget) in runs.items():
        db = str(tmp_path / f"{name}.duckdb")
        settings = {"chunk_size": size, "token_cache_docs": cache, "link_max_postings": budget}
        s1 = run_stages(db, [p1], stages=("ingest", "clean", "dedupe"), dedupe=settings)
        run_stages(db, [p2], stages=("ingest", "clean", "dedupe"), dedupe=settings)
        assert (s1["dedupe"]["chunks"] == 1) == (size == 5000) and s1["dedupe"]["chunks"] >= 1
        steps[name] = s1["dedupe"]["link_steps"]
    # a budget of one posting: a step per document that reads any (a document sharing no
    # passage with another reads nothing and joins a step)
    assert steps["one"] == 1 and 1 < steps["postings_1"] <= s1["dedupe"]["hashed"], steps
    assert steps["postings_1"] >= steps["postings_200"] >= 1, steps
    want = _strip_run(_evidence(str(tmp_path / "one.duckdb")))
    assert want["duplicate_rows"] and want["dedupe_spans"] and want["dedupe_near_pairs"]
    for name in ("small", "small_no_cache", "small_cache_1", "postings_1", "postings_200"):
        assert _strip_run(_evidence(str(tmp_path / f"{name}.duckdb"))) == want, name


def test_bands_kept_between_runs_and_backfilled(tmp_db, write_dump):
    """The LSH bands are stored once per document; a database without them (from before
    m0015) gets them from its stored signatures, and finds the same duplicates."""
    p1 = write_dump("a.txt", "Monday, 1 July 2019", "First", ORIG, [OTHER])
    p2 = write_dump("b.txt", "Tuesday, 2 July 2019", "Second", "Intro line here.",
                    [ORIG.replace("hollowed", "holowed")])
    run_stages(tmp_db, [p1], stages=("ingest", "clean", "dedupe"))
    conn = connect(tmp_db)
    n_bands = conn.execute("SELECT count(*) FROM dedupe_lsh_bands").fetchone()[0]
    n_docs = conn.execute("SELECT count(*) FROM dedupe_signatures WHERE n_tokens > 0").fetchone()[0]
    assert n_bands and n_bands % n_docs == 0
    conn.execute("DELETE FROM dedupe_lsh_bands")
    conn.close()
    s2 = run_stages(tmp_db, [p2], stages=("ingest", "clean", "dedupe"))
    assert s2["dedupe"]["bands_backfilled"] == n_docs and s2["dedupe"]["hashed"] == 2
    assert s2["dedupe"]["relations"].get("near") == 1
    s3 = run_stages(tmp_db, [p2], stages=("ingest", "clean", "dedupe"))
    assert s3["dedupe"]["bands_backfilled"] == 0 and s3["dedupe"]["hashed"] == 0


def _pair_frames(shift: int, jaccard: float) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    spans = pd.DataFrame({"doc_id": ["d2", "d3"], "start": [0, 5 + shift], "end": [40, 60], "source_doc_id": ["d1", "d1"],
                          "src_start": [0, 5], "src_end": [40 + shift, 60], "n_tokens": [8, 11]})
    near = pd.DataFrame({"a": ["d1"], "b": ["d2"], "jaccard": [jaccard]})
    cov = pd.DataFrame({"doc_a": ["d2"], "doc_b": ["d1"], "cov_a": [jaccard], "cov_b": [0.5], "shared": [8.0],
                        "gap_a": [0.0]})
    return spans, near, cov


def _pair_tables(conn) -> dict:
    return {t: conn.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
            for t in ("dedupe_spans", "dedupe_near_pairs", "dedupe_coverage")}


def test_staged_pairs_store_what_writing_each_step_stores(tmp_path, monkeypatch):
    """Evidence staged on disk is written only when the block ends, step by step in order
    (a later step's row replaces an earlier one's with the same key, as with
    ``write_pairs`` per step); nothing before that; nothing, and no staging folder left,
    when the block fails."""
    import pytest

    from pipeline.store import dedupe as store

    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    steps = [_pair_frames(0, 0.9), _pair_frames(0, 0.95), _pair_frames(3, 0.7),
             (pd.DataFrame(columns=["doc_id"]), pd.DataFrame(columns=["a"]), pd.DataFrame(columns=["doc_a"]))]
    direct, staged = connect(str(tmp_path / "a.duckdb")), connect(str(tmp_path / "b.duckdb"))
    try:
        for step in steps:
            store.write_pairs(direct, *step)
        with store.staged_pairs(staged, None) as stage:
            for step in steps:
                stage.add(*step)
            assert list(tmp_path.glob("probation-dedupe-*/*.parquet"))
            assert not any(_pair_tables(staged).values())
        assert _pair_tables(staged) == _pair_tables(direct)
        assert len(_pair_tables(staged)["dedupe_spans"]) == 3  # the replaced row once, the shifted one added
        assert not list(tmp_path.glob("probation-dedupe-*"))

        fresh = connect(str(tmp_path / "c.duckdb"))
        try:
            with pytest.raises(RuntimeError), store.staged_pairs(fresh, None) as stage:
                stage.add(*steps[0])
                raise RuntimeError("linking failed")
            assert not any(_pair_tables(fresh).values())
        finally:
            fresh.close()
        assert not list(tmp_path.glob("probation-dedupe-*"))
    finally:
        direct.close()
        staged.close()


def test_failure_while_linking_leaves_database_as_it_was(tmp_path, write_dump, monkeypatch):
    """A run that fails after some link steps were staged stores none of their evidence,
    leaves no staging folder, and the same run again stores what one clean run stores."""
    import pytest

    import pipeline.jobs.dedupe as job

    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    p = write_dump("a.txt", "Monday, 1 July 2019", "First", ORIG, [ORIG + " Quite.", OTHER, ORIG])
    db, clean = str(tmp_path / "a.duckdb"), str(tmp_path / "b.duckdb")
    for target in (db, clean):
        run_stages(target, [p], stages=("ingest", "clean"))
    real, calls = job.link_new, []

    def fail_third(*a, **k):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("disk on fire")
        return real(*a, **k)

    monkeypatch.setattr(job, "link_new", fail_third)
    with pytest.raises(RuntimeError):
        run_stages(db, [p], stages=("dedupe",), dedupe={"chunk_size": 1})
    conn = connect(db, read_only=True)
    try:
        assert not any(_pair_tables(conn).values())
        assert conn.execute("SELECT count(*) FROM dedupe_signatures").fetchone()[0] == 0
    finally:
        conn.close()
    assert not list(tmp_path.glob("probation-dedupe-*"))
    monkeypatch.setattr(job, "link_new", real)
    run_stages(db, [p], stages=("dedupe",), dedupe={"chunk_size": 1})
    run_stages(clean, [p], stages=("dedupe",), dedupe={"chunk_size": 1})
    assert _strip_run(_evidence(db)) == _strip_run(_evidence(clean))
    assert _evidence(db)["dedupe_spans"]


def test_staging_dir_setting_places_the_evidence_and_changes_no_result(tmp_path, write_dump, monkeypatch):
    """``dedupe.staging_dir`` is where a run stages its pair evidence (created when
    missing, emptied after); the stored result is the one staged in the system's
    temporary folder; a path that is a file is refused before any work is done."""
    import pytest

    import pipeline.jobs.dedupe as job
    from pipeline.config import ConfigError

    system_tmp, mine = tmp_path / "system", tmp_path / "big disk" / "staging"
    system_tmp.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(system_tmp))
    p = write_dump("a.txt", "Monday, 1 July 2019", "First", ORIG, [ORIG + " Quite.", OTHER, ORIG])
    db, plain = str(tmp_path / "a.duckdb"), str(tmp_path / "b.duckdb")
    for target in (db, plain):
        run_stages(target, [p], stages=("ingest", "clean"))
    seen: list[list[Path]] = []
    real = job.link_new

    def watch(*a, **k):
        seen.append(list(mine.glob("probation-dedupe-*")) + list(system_tmp.glob("probation-dedupe-*")))
        return real(*a, **k)

    monkeypatch.setattr(job, "link_new", watch)
    run_stages(db, [p], stages=("dedupe",), dedupe={"chunk_size": 1, "staging_dir": str(mine)})
    assert seen and all(len(s) == 1 and s[0].parent == mine for s in seen)
    assert mine.is_dir() and not list(mine.iterdir())
    monkeypatch.setattr(job, "link_new", real)
    run_stages(plain, [p], stages=("dedupe",), dedupe={"chunk_size": 1})
    assert _strip_run(_evidence(db)) == _strip_run(_evidence(plain))
    assert _evidence(db)["dedupe_spans"]

    a_file = tmp_path / "not-a-folder"
    a_file.write_text("x")
    with pytest.raises(ConfigError, match="dedupe.staging_dir"):
        run_stages(str(tmp_path / "c.duckdb"), [p], stages=("ingest", "clean", "dedupe"),
                   dedupe={"staging_dir": str(a_file)})
