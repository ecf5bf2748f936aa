"""Issue 13: a thread's texts are folded and indexed once, so segmenting a thread is
linear in its length; the answers are exactly those of the old scan over every
earlier comment. Invented texts."""

from __future__ import annotations

import random

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

import pipeline.segment.core as core
from pipeline.segment import DocInput, segment_document, segment_frame
from pipeline.segment.core import ThreadIndex, _fold
from tests.stagekit import clean_settings, rules_options

ANONYMOUS = clean_settings().anonymous_authors

WORDS = ("the case was never allocated and nobody asked why staff left our office in march "
         "four reps have stood beside members after every review").split()


def naive_latest(needle: str, earlier: list[tuple[str, str]]) -> str | None:
    """The old lookup: fold every earlier document, scan backwards."""
    for doc_id, hay in reversed([(d, _fold(t)) for d, t in earlier]):
        if needle in hay:
            return doc_id
    return None


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.sampled_from(WORDS), min_size=0, max_size=30).map(" ".join), min_size=1, max_size=8),
       st.integers(0, 7), st.integers(0, 40), st.integers(1, 12), st.integers(0, 3), st.integers(0, 3))
def test_index_answers_exactly_as_the_scan(texts, which, start, length, cut_head, cut_tail):
    earlier = [(f"c{i}", t) for i, t in enumerate(texts)]
    src = _fold(texts[which % len(texts)])
    needle = src[min(start, len(src)):min(start, len(src)) + 8 * length]  # may cut words at both ends
    needle = needle[cut_head:len(needle) - cut_tail].strip()
    if not needle:
        return
    for gram in (1, 2, 4):
        index = ThreadIndex(gram)
        for d, t in earlier:
            index.add(d, t, 0)
        assert index.latest_containing(needle, 1) == naive_latest(needle, earlier)


def test_rank_limits_the_lookup_to_earlier_documents():
    index = ThreadIndex(2)
    index.add("c1", "Our reps have stood beside dozens of members", 1)
    index.add("c3", "our reps have stood beside dozens of members again", 3)
    assert index.latest_containing(_fold("reps have stood beside dozens"), 2) == "c1"
    assert index.latest_containing(_fold("reps have stood beside dozens"), 4) == "c3"
    assert index.latest_containing(_fold("reps have stood beside dozens"), 1) is None


def test_documents_added_after_a_lookup_are_indexed_for_the_next():
    """Texts are folded and indexed at the first lookup (most threads never have one);
    a document added after a lookup is found by the next."""
    index = ThreadIndex(2)
    index.add("c1", "Our reps have stood beside dozens of members", 1)
    assert index.latest_containing(_fold("stood beside dozens"), 9) == "c1"
    index.add("c2", "and our reps have stood beside dozens of members since", 2)
    assert index.latest_containing(_fold("stood beside dozens"), 9) == "c2"
    assert index.latest_containing(_fold("dozens of members since"), 9) == "c2"
    assert index.latest_containing(_fold("dozens of members since"), 2) is None


def _thread(n: int, seed: int = 3) -> pd.DataFrame:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        own = " ".join(rng.choice(WORDS) for _ in range(rng.randint(12, 30))).capitalize() + "."
        if i > 2 and rng.random() < 0.6:
            src = rows[rng.randrange(len(rows))][5]
            w = src.rstrip(".").split()
            k = rng.randrange(max(1, len(w) - 8))
            own = f'As someone said: "{" ".join(w[k:k + 8])}" and I agree. ' + own
        rows.append((f"c{i:03d}", "p1", "comment", i, pd.Timestamp("2021-01-01") + pd.Timedelta(minutes=i), own))
    df = pd.DataFrame(rows, columns=["doc_id", "post_id", "kind", "position", "published_at", "clean_text"])
    df["author"], df["title"] = None, None
    for c in ("signoff_raw", "signoff", "signoff_start", "signoff_end"):
        df[c] = None
    return df


def test_frame_results_unchanged_against_the_old_per_comment_scan():
    docs = _thread(60)
    rank = pd.Series(range(len(docs)), index=docs["doc_id"])
    spans = pd.DataFrame(columns=["doc_id", "start", "end", "source_doc_id", "src_start", "src_end"])
    opts = rules_options()
    segs, _ = segment_frame(docs, spans, rank, thread_docs=docs[["doc_id", "post_id", "clean_text"]],
                            anonymous=ANONYMOUS, opts=opts)
    assert (segs["signal"] == "thread_quote").sum() > 10  # the thread does quote itself
    # the old way: every comment gets the list of every earlier comment, folded anew
    texts = list(zip(docs["doc_id"], docs["clean_text"]))
    for i, (doc_id, text) in enumerate(texts):
        old = segment_document(DocInput(doc_id, "comment", text, earlier_thread=texts[:i]), opts)
        got = segs[segs["doc_id"] == doc_id]
        assert [(s.start, s.end, s.kind, s.source_doc_id, s.signal) for s in old.segments] == \
            [(a, b, k, src if isinstance(src, str) else None, sig)
             for a, b, k, src, sig in zip(got["start"], got["end"], got["kind"], got["source_doc_id"], got["signal"])]


def test_folding_is_linear_in_thread_length(monkeypatch):
    """Each comment is folded a bounded number of times however long the thread is
    (the old code folded every earlier comment for each comment: n²/2)."""
    calls = {"n": 0}
    real = core._fold

    def counting(s):
        calls["n"] += 1
        return real(s)

    monkeypatch.setattr(core, "_fold", counting)
    spans = pd.DataFrame(columns=["doc_id", "start", "end", "source_doc_id", "src_start", "src_end"])
    per_doc = []
    for n in (40, 160):
        calls["n"] = 0
        docs = _thread(n)
        rank = pd.Series(range(n), index=docs["doc_id"])
        segment_frame(docs, spans, rank, thread_docs=docs[["doc_id", "post_id", "clean_text"]], anonymous=ANONYMOUS,
                      opts=rules_options())
        per_doc.append(calls["n"] / n)
    assert per_doc[1] < 1.5 * per_doc[0] and per_doc[1] < 6
