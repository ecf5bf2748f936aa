"""Passage alignment and duplicate relations on small hand-made documents."""

from __future__ import annotations

import re

import pandas as pd

from pipeline.config import load_config
from pipeline.dedupe import DedupeOptions, dedupe_frame
from pipeline.dedupe.align import AlignOptions, align_matches, extend_spans, source_matches
from pipeline.dedupe.relations import chronological_rank
from pipeline.dedupe.shingles import shingle_table, tokenize
from pipeline.textnorm import fingerprint

# Invented texts (no seed text in the repository).
A = ("Our area has been rated poorly for six years yet no senior leader has been asked to explain it, "
     "and most of the culprits now sit on the improvement board or have been promoted. Before every visit "
     "the managers have the corridors painted and the case files audited and tidied.")
B = ("The union reps told the branch that most members who faced a disciplinary after a serious further "
     "offence kept their posts in the end, though nobody forgets the months of waiting and the silence.")
NEG = ("Our ratings have been poor as well, and no senior leader ever had to explain them; the managers who "
       "presided over it were promoted while the corridors got a fresh coat of paint.")

OPTS = DedupeOptions.of(load_config())
SEPARATOR = load_config().section("segment")["separator_pattern"]


def _docs(rows):
    df = pd.DataFrame(rows, columns=["doc_id", "clean_text", "post_id", "kind", "position", "published_at"])
    df["published_at"] = pd.to_datetime(df["published_at"])
    df["post_published_at"] = df["published_at"]
    df["clean_hash"] = df["clean_text"].map(fingerprint)
    return df


def test_typo_copy_aligns_as_one_span():
    a = A
    b = A.replace("culprits", "culprts").replace("audited", "audted")
    sh = shingle_table(pd.DataFrame({"doc_id": ["a", "b"], "clean_text": [a, b]}), 5)
    m = source_matches(sh[sh.doc_id == "b"], sh, pd.Series({"a": 0, "b": 1}))
    spans = align_matches(m, AlignOptions(word_shingle=5, max_gap=10, max_shift=3, min_match_words=12))
    ab = spans[(spans.doc_a == "b") & (spans.doc_b == "a")]
    assert len(ab) == 1 and ab.iloc[0].a_end < len(A.split())  # the typo near the end cut the last shingles
    spans = extend_spans(spans, {"a": tokenize(a).words, "b": tokenize(b).words}, 5)
    ab = spans[(spans.doc_a == "b") & (spans.doc_b == "a")]
    assert len(ab) == 1 and ab.iloc[0].a_start == 0 and ab.iloc[0].a_end == len(A.split())


def test_max_sources_links_copies_to_the_first_ones():
    sh = shingle_table(pd.DataFrame({"doc_id": [f"d{i}" for i in range(6)], "clean_text": [A] * 6}), 5)
    order = pd.Series({f"d{i}": i for i in range(6)})
    m = source_matches(sh[sh.doc_id == "d5"], sh, order, max_sources=2)
    assert set(m["doc_b"][m["doc_a"] == "d5"]) == {"d0", "d1"}
    # a backfilled original is linked to every later holder
    m = source_matches(sh[sh.doc_id == "d0"], sh, order, max_sources=2)
    assert set(m["doc_b"][m["doc_a"] == "d0"]) == {"d1", "d2", "d3", "d4", "d5"}


def test_relations_exact_near_contained_contains_and_negative():
    trunc = " ".join(A.split()[:30]) + "..."
    docs = _docs([
        ("a", A, "p1", "comment", 1, "2021-01-01 10:00"),
        ("b", B, "p1", "comment", 2, "2021-01-01 11:00"),
        ("exact", A.replace(" ", "\n", 3).upper(), "p2", "comment", 1, "2021-01-02 10:00"),
        ("near", A.replace("culprits", "culprts").replace("painted", "pianted"), "p2", "comment", 2,
         "2021-01-02 11:00"),
        ("trunc", trunc, "p3", "comment", 1, "2021-01-03 10:00"),
        ("anth", "Best of the week:\n\n*******\n" + A + "\n\n*******\n" + B, "p4", "post", 0, "2021-01-04 10:00"),
        ("quote", "Well said: \"" + " ".join(B.split()[:20]) + "\" but I disagree entirely with it.", "p1",
         "comment", 3, "2021-01-01 12:00"),
        ("neg", NEG, "p5", "comment", 1, "2021-01-05 10:00"),
    ])
    res = dedupe_frame(docs, OPTS)
    rel = {(r.doc_id, r.canonical_id): r.relation for r in res.duplicates.itertuples()}
    assert rel[("exact", "a")] == "exact"
    assert rel[("near", "a")] == "near"
    assert rel[("trunc", "a")] == "contained_in"
    assert rel[("anth", "a")] == "contains" and rel[("anth", "b")] == "contains"
    assert rel[("quote", "b")] == "contains"
    assert not any("neg" in k for k in rel)
    assert not any(k[0] in ("a", "b") for k in rel)  # the originals are canonical
    sims = {(r.doc_id, r.canonical_id): r.similarity for r in res.duplicates.itertuples()}
    assert sims[("exact", "a")] == 1.0 and 0.8 <= sims[("near", "a")] < 1.0


def test_canonical_is_the_earliest_even_when_listed_last():
    docs = _docs([
        ("late", A, "p2", "comment", 1, "2022-01-01"),
        ("early", A, "p1", "comment", 1, "2020-01-01"),
    ])
    res = dedupe_frame(docs, OPTS)
    assert list(res.duplicates[["doc_id", "canonical_id", "relation"]].itertuples(index=False, name=None)) == [
        ("late", "early", "exact")]


def test_chronological_rank_places_untimed_comments_after_their_post():
    docs = pd.DataFrame({
        "doc_id": ["p", "c1", "c2", "q"], "post_id": ["p", "p", "p", "q"],
        "kind": ["post", "comment", "comment", "post"], "position": [0, 1, 2, 0],
        "published_at": pd.to_datetime(["2021-03-07", None, None, "2021-03-06"]),
        "post_published_at": pd.to_datetime(["2021-03-07", "2021-03-07", "2021-03-07", "2021-03-06"]),
    })
    rank = chronological_rank(docs)
    assert list(rank.sort_values().index) == ["q", "p", "c1", "c2"]


def test_options_validation():
    import pytest

    from pipeline.config import load_config

    cfg = load_config().section("dedupe")
    DedupeOptions.from_config(cfg, SEPARATOR)
    with pytest.raises(ValueError, match="near_threshold"):
        DedupeOptions.from_config({**cfg, "near_threshold": 1.5}, SEPARATOR)
    # verified pairs below lsh_threshold are not kept, so no lower near_threshold can see them
    with pytest.raises(ValueError, match="near_threshold must be at least dedupe.lsh_threshold"):
        DedupeOptions.from_config({**cfg, "lsh_threshold": 0.7, "near_threshold": 0.65}, SEPARATOR)
    DedupeOptions.from_config({**cfg, "lsh_threshold": 0.7, "near_threshold": 0.7}, SEPARATOR)
    with pytest.raises(ValueError, match="verify_min_estimate"):
        DedupeOptions.from_config({**cfg, "verify_min_estimate": 0.65}, SEPARATOR)
    with pytest.raises(ValueError, match="verify_min_estimate"):
        DedupeOptions.from_config({**cfg, "verify_min_estimate": -0.1}, SEPARATOR)


def test_short_comment_copied_as_an_anthology_section_is_found():
    short = '"A whale and a plankton are one meal." Brilliant, simply brilliant.'
    docs = _docs([
        ("short", short, "p1", "comment", 1, "2021-01-01 10:00"),
        ("b", B, "p1", "comment", 2, "2021-01-01 11:00"),
        ("anth", "*******\n" + short + "\n\n*******\n" + B, "p2", "post", 0, "2021-01-04 10:00"),
        ("para", "Someone wrote this earlier:\n\n" + short + "\n\nQuite.", "p3", "comment", 1, "2021-01-05 10:00"),
    ])
    res = dedupe_frame(docs, OPTS)
    rel = {(r.doc_id, r.canonical_id): r.relation for r in res.duplicates.itertuples()}
    assert rel[("anth", "short")] == "contains" and rel[("anth", "b")] == "contains"
    assert rel[("para", "short")] == "contains"
    span = res.spans[(res.spans.doc_id == "anth") & (res.spans.source_doc_id == "short")].iloc[0]
    # passages run from the first to the last word (edge punctuation is not a word)
    assert docs.set_index("doc_id").clean_text["anth"][span.start:span.end] == short[1:-1]


def test_blocks_are_sections_and_paragraphs():
    from pipeline.dedupe.blocks import blocks

    text = "Intro line.\n*******\nFirst para.\n\nSecond para.\n******\nLast."
    got = {text[s:e] for s, e in blocks(text, re.compile(SEPARATOR, re.MULTILINE))}
    assert {"Intro line.", "First para.\n\nSecond para.", "First para.", "Second para.", "Last."} <= got
