"""Clean and segment in shards (``scale.shard_size``) through the run's mapper: the same
tables as in one piece, here, on every input form of the bundled (synthetic) sample."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from pipeline.clean import clean_frame
from pipeline.clean.frame import clean_rows
from pipeline.config import load_config
from pipeline.jobs import STAGES, JobContext
from pipeline.jobs.context import serial_map
from pipeline.segment import segment_frame
from pipeline.segment.core import TextSignals, text_signals
from tests.stagekit import clean_settings, rules_options

TABLES = {
    "clean": ("SELECT doc_id, clean_text, clean_hash, signoff_raw, signoff, signoff_start, signoff_end "
              "FROM clean_docs ORDER BY doc_id",
              "SELECT * FROM links ORDER BY doc_id, position",
              "SELECT doc_id, seq, raw, start, \"end\", target_doc_id FROM mentions ORDER BY doc_id, seq"),
    "segment": ("SELECT doc_id, seg_no, start, \"end\", kind, source_doc_id, signal, author, reason, score "
                "FROM segments ORDER BY doc_id, seg_no",
                "SELECT doc_id, own_text, post_own_intro, author_inferred, republished_from, republished_author, "
                "input_key FROM doc_own ORDER BY doc_id"),
}


def _build(db: str, paths, mapper, **overrides) -> tuple[dict, dict]:
    """Ingest, clean, dedupe and segment ``paths``; clean and segment with ``mapper``
    (every stage else as a run has it). Returns the summaries and the tables."""
    config = load_config(overrides=overrides or None)
    summaries = {}
    for name in ("ingest", "clean", "dedupe", "segment"):
        ctx = JobContext(db, config, f"run-{name}", tuple(paths) if name == "ingest" else (),
                         mapper=mapper if name in ("clean", "segment") else serial_map)
        summaries[name] = STAGES[name](ctx)
    conn = duckdb.connect(db, read_only=True)
    try:
        tables = {q: conn.execute(q).fetchall() for stage in TABLES.values() for q in stage}
    finally:
        conn.close()
    return summaries, tables


def test_clean_and_segment_shards_go_through_the_mapper_and_store_the_same_tables(tmp_path, sample_dir):
    paths = [str(sample_dir)]
    seen: list[tuple[str, int]] = []

    def recording(fn, items):
        items = list(items)
        seen.extend((fn.func.__name__, len(i)) for i in items)
        return serial_map(fn, items)

    whole, at_once = _build(str(tmp_path / "one.duckdb"), paths, serial_map, scale={"processes": 1})
    sharded, in_shards = _build(str(tmp_path / "shards.duckdb"), paths, recording, scale={"shard_size": 7})
    n = whole["clean"]["cleaned"]
    assert n > 50 and whole["segment"]["segmented"] == n
    assert whole["clean"]["links"] > 0 and whole["clean"]["mentions"] > 0 and whole["clean"]["signoffs"] > 0
    assert whole["segment"]["with_quotes"] > 0
    # every document in shards of seven, in order: clean's, then segment's text signals
    by = {name: [k for f, k in seen if f == name] for name in ("clean_rows", "text_signals_of")}
    assert by["clean_rows"] == [7] * (n // 7) + ([n % 7] if n % 7 else [])
    assert by["text_signals_of"] == by["clean_rows"]
    assert in_shards == at_once
    assert sharded["clean"] == whole["clean"] and sharded["segment"] == whole["segment"]


@pytest.mark.slow
def test_clean_and_segment_in_worker_processes_store_the_same_tables(tmp_path, sample_dir):
    """The run's own mapper with two worker processes (forked from the forkserver): the
    options (the paragraph model with them) and each text's signals pickle both ways."""
    paths = [str(sample_dir)]
    _, at_once = _build(str(tmp_path / "one.duckdb"), paths, serial_map, scale={"processes": 1})
    summaries, in_workers = _build(str(tmp_path / "workers.duckdb"), paths, serial_map,
                                   scale={"processes": 2, "shard_size": 9})
    assert summaries["clean"]["worker_processes"] == 2 and summaries["segment"]["worker_processes"] == 2
    assert in_workers == at_once


def test_clean_frame_in_shards_is_clean_frame_at_once():
    texts = ["Rotas again.\n\nhttps://www.example.org/x\n\nAnon", "@09:14 that is unfair.\nSee https://bbc.co.uk/n",
             "Agreed.\n\nBIONIC", "", "Nothing here", "@Anon 10:02 yes, and www.gov.uk/a too\n\n- Getafix"]
    docs = pd.DataFrame({"doc_id": [f"d{i}" for i in range(len(texts))], "text": texts})
    clean = clean_settings()
    one = clean_frame(docs, clean.clean_options(), clean.signoff_options())
    assert len(one.links) >= 3 and len(one.mentions) >= 2 and one.docs["signoff"].notna().sum() >= 2
    for size in (1, 2, 3, 100):
        calls = []

        def mapper(fn, items):
            items = list(items)
            calls.append([len(i) for i in items])
            return map(fn, items)

        shards = clean_frame(docs, clean.clean_options(), clean.signoff_options(), mapper=mapper, shard_size=size)
        for a, b in ((one.docs, shards.docs), (one.links, shards.links), (one.mentions, shards.mentions)):
            assert_frame_equal(a, b)
        assert calls == [[min(size, len(texts) - at) for at in range(0, len(texts), size)]]
    empty = clean_frame(docs.iloc[:0], clean.clean_options(), clean.signoff_options(), mapper=mapper, shard_size=3)
    assert list(empty.docs.columns) == list(one.docs.columns) and empty.docs.empty
    assert clean_rows([("x", "Agreed.\n\nBIONIC")], clean.clean_options(), clean.signoff_options())[0][0][4] == "BIONIC"


def test_segment_frame_with_text_signals_found_apart_is_the_same():
    """``segment_frame`` with each text's signals found by a mapper in shards gives the
    frames it gives finding them as it goes, and a document segmented with its text's
    signals given is the document segmented without."""
    from pipeline.dedupe import DedupeOptions, dedupe_frame
    from pipeline.dedupe.relations import chronological_rank

    press = ("Inspectors found that in too many cases the work being delivered was insufficient to support "
             "desistance or manage risk of harm, and leaders must now act urgently on every recommendation.")
    rows = [
        ("p1", "The following came in yesterday:-\n\n" + press, "p1", "post", 0, "2021-01-01 09:00", "Jim Brown"),
        ("c1", "Read this:\n\nhttps://example.gov.uk/press/1\n\n" + press, "p1", "comment", 1, "2021-01-01 10:00",
         "Anonymous"),
        ("c2", "As the inspectors put it, \"" + press.lower() + "\" Quite.\n\n'Getafix", "p1", "comment", 2,
         "2021-01-02 10:00", "Anonymous"),
        ("c3", "Caseloads are through the roof here and nobody listens. I said \"nobody listens\" twice.",
         "p1", "comment", 3, "2021-01-03 10:00", None),
        ("p2", "Best of:\n\n***\n\nFirst comment kept here.\n\n***\n\nSecond one, longer and angrier.", "p2", "post",
         0, "2021-02-01 09:00", "Jim Brown"),
    ]
    df = pd.DataFrame(rows, columns=["doc_id", "text", "post_id", "kind", "position", "published_at", "author"])
    df["published_at"] = pd.to_datetime(df["published_at"])
    df["post_published_at"] = df["published_at"]
    df["title"] = ["Guest comment", None, None, None, "Best of the week"]
    clean = clean_settings()
    docs = df.merge(clean_frame(df[["doc_id", "text"]], clean.clean_options(), clean.signoff_options()).docs,
                    on="doc_id")
    res = dedupe_frame(docs, DedupeOptions.of(load_config()))
    rank = chronological_rank(docs)
    opts = rules_options()
    kw = dict(thread_docs=docs[["doc_id", "post_id", "clean_text"]], anonymous=clean.anonymous_authors, opts=opts)
    segs, own = segment_frame(docs, res.spans, rank, **kw)
    assert set(segs["kind"]) >= {"own", "quote", "pasted"}
    for size in (1, 2, 4, 10):
        taken = []

        def mapper(fn, items):
            for shard in items:
                taken.append(len(shard))
                yield fn(shard)

        s2, o2 = segment_frame(docs, res.spans, rank, mapper=mapper, shard_size=size, **kw)
        assert_frame_equal(segs, s2)
        assert_frame_equal(own, o2)
        assert sum(taken) == len(docs) and max(taken) == min(size, len(docs))

    def short(fn, items):  # a mapper that loses a shard's results: an error, not fewer rows
        return [fn(shard)[:-1] for shard in items]

    with pytest.raises(ValueError):
        segment_frame(docs, res.spans, rank, mapper=short, shard_size=2, **kw)
    found = text_signals(docs["clean_text"][0], "post", "Guest comment", opts)
    assert isinstance(found, TextSignals) and found.sections  # the repost after its introduction
