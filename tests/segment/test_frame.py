"""segment_frame: publication order, pasted-ness and copies."""

from __future__ import annotations

import pandas as pd

from pipeline.clean import clean_frame
from pipeline.config import load_config
from pipeline.dedupe import COPY_RELATIONS, DedupeOptions, dedupe_frame
from pipeline.dedupe.relations import chronological_rank
from pipeline.segment import segment_frame
from tests.stagekit import clean_settings, rules_options

PRESS = ("Inspectors found that in too many cases the work being delivered was insufficient to support "
         "desistance or manage risk of harm, and leaders must now act urgently on every recommendation.")
OWN = "Caseloads are through the roof here and the new tool has made the whole thing far worse for everyone."


def _run(rows):
    df = pd.DataFrame(rows, columns=["doc_id", "text", "post_id", "kind", "position", "published_at", "author"])
    df["published_at"] = pd.to_datetime(df["published_at"])
    df["post_published_at"] = df["published_at"]
    df["title"] = None
    clean = clean_settings()
    docs = df.merge(clean_frame(df[["doc_id", "text"]], clean.clean_options(), clean.signoff_options()).docs,
                    on="doc_id")
    res = dedupe_frame(docs, DedupeOptions.of(load_config()))
    rank = chronological_rank(docs)
    copy_of = {r.doc_id: r.canonical_id for r in res.duplicates.itertuples() if r.relation in COPY_RELATIONS}
    segs, own = segment_frame(docs, res.spans, rank, thread_docs=docs[["doc_id", "post_id", "clean_text"]],
                              copy_of=copy_of, anonymous=clean.anonymous_authors, opts=rules_options())
    return docs.set_index("doc_id"), segs, own.set_index("doc_id")


def test_a_passage_pasted_by_its_source_stays_pasted_and_gets_the_source():
    docs, segs, own = _run([
        ("first", "Read this:\n\nhttps://example.gov.uk/press/1\n\n" + PRESS, "p1", "comment", 1,
         "2021-01-01 10:00", "Anonymous"),
        ("second", OWN + "\n\nAs the inspectors put it, " + PRESS.lower(), "p2", "comment", 1,
         "2021-02-01 10:00", "Jim Brown"),
    ])
    s1 = segs[segs.doc_id == "first"]
    assert list(s1.kind) == ["own", "pasted"] and s1.iloc[1].signal == "after_url"
    s2 = segs[(segs.doc_id == "second") & (segs.kind != "own")]
    assert list(s2.kind) == ["pasted"] and list(s2.source_doc_id) == ["first"]
    assert own.loc["second", "author_inferred"] == "Jim Brown"
    assert own.loc["first", "author_inferred"] == "Anonymous"  # nothing better known


def test_a_copy_of_a_comment_keeps_its_own_words():
    docs, segs, own = _run([
        ("orig", OWN + " Nobody listens.", "p1", "comment", 1, "2021-01-01 10:00", None),
        ("again", OWN.replace("through", "thru") + " Nobody listens.", "p2", "comment", 1, "2021-01-02 10:00", None),
        ("quoter", "Somebody said it best the other day. " + OWN + " I agree.", "p3", "comment", 1,
         "2021-01-03 10:00", None),
    ])
    assert set(segs[segs.doc_id == "again"].kind) == {"own"}
    q = segs[(segs.doc_id == "quoter") & (segs.kind != "own")]
    assert list(q.source_doc_id) == ["orig"] and list(q.kind) == ["quote"]


def test_signoff_becomes_the_author_of_an_anonymous_comment():
    _, segs, own = _run([
        ("c", OWN + "\n\n'Getafix", "p1", "comment", 1, "2021-01-01 10:00", "Anonymous"),
        ("d", OWN.upper() + "!\n\nBIONIC", "p2", "comment", 1, "2021-01-01 11:00", "Jim Brown"),
    ])
    assert own.loc["c", "author_inferred"] == "Getafix" and "Getafix" not in own.loc["c", "own_text"]
    assert own.loc["d", "author_inferred"] == "Jim Brown"  # a known author is kept
