"""Reading coders' files: gold format, export CSV, resolution and all-or-nothing errors."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from pipeline.annotate.codes import CodeFileError, codes_frame, gold_locators, read_code_file, resolve
from pipeline.annotate.gold import consolidate

THEMES = ["napo", "pay", "workload"]
DOCS = pd.DataFrame([
    ("p_1", "post", "p_1", None, 0, "thread.txt"),
    ("c_a", "comment", "p_1", None, 1, "thread.txt"),
    ("c_b", "comment", "p_1", "c_a", 2, "thread.txt"),
    ("c_c", "comment", "p_1", None, 3, "thread.txt"),
], columns=["doc_id", "kind", "post_id", "parent_id", "position", "source"])


def _jsonl(tmp_path, rows, name="codes.jsonl"):
    p = tmp_path / name
    p.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return p


def test_gold_locators_number_comments_in_reading_order():
    loc = gold_locators(DOCS).set_index("doc_id")
    assert loc.loc["p_1", "doc"] == "post"
    assert list(loc.loc[["c_a", "c_b", "c_c"], "doc"]) == ["c1", "c2", "c3"]
    assert loc.loc["c_b", "parent"] == "c1"
    assert loc.loc["c_a", "parent"] is None


def test_gold_format_resolves_and_expands_absent_themes(tmp_path):
    p = _jsonl(tmp_path, [
        {"source": "thread.txt", "doc": "c2", "parent": "c1", "own_text_only": True,
         "themes": {"napo": "AGAINST"}, "sentiment": "NEGATIVE"},
        {"source": "some/dir/thread.txt", "doc": "post", "parent": None, "themes": {}, "sentiment": "neutral"},
    ])
    rows = read_code_file(p)
    resolved = resolve(rows, gold_locators(DOCS), set(DOCS.doc_id), p.name)[0]
    assert [d for _, d in resolved] == ["c_b", "p_1"]
    codes = codes_frame(resolved, THEMES, p.name)
    cb = codes[codes.doc_id == "c_b"].set_index(["label_kind", "label"])["value"]
    assert cb[("theme", "napo")] == "present" and cb[("stance", "napo")] == "AGAINST"
    assert cb[("theme", "pay")] == "absent" and ("stance", "pay") not in cb.index
    assert cb[("sentiment", "sentiment")] == "NEGATIVE"
    assert codes[(codes.doc_id == "p_1") & (codes.label_kind == "sentiment")].value.item() == "NEUTRAL"


def test_export_csv_columns(tmp_path):
    p = tmp_path / "codes.csv"
    pd.DataFrame([
        {"doc_id": "c_a", "own_text": "text", "theme:napo": "", "theme:pay": "favour", "theme:workload": "x",
         "sentiment": "POSITIVE"},
        {"doc_id": "c_c", "own_text": "not coded yet", "theme:napo": "", "theme:pay": "", "theme:workload": "",
         "sentiment": ""},
    ]).to_csv(p, index=False)
    rows = read_code_file(p)
    assert len(rows) == 1  # the uncoded row is skipped
    assert rows[0].themes == {"pay": "FAVOR", "workload": None}
    codes = codes_frame(resolve(rows, gold_locators(DOCS), set(DOCS.doc_id), p.name)[0], THEMES, p.name)
    assert set(codes[codes.label_kind == "stance"].label) == {"pay"}


@pytest.mark.parametrize("bad, message", [
    ({"doc_id": "c_a", "themes": {"napo": "MAYBE"}, "sentiment": "NEGATIVE"}, "stance"),
    ({"doc_id": "c_a", "themes": {}, "sentiment": "ANGRY"}, "sentiment"),
    ({"source": "thread.txt", "doc": "c2", "parent": None, "themes": {}, "sentiment": "NEGATIVE"}, "parent"),
    ({"doc_id": "c_a", "themes": {"weather": "NONE"}, "sentiment": "NEGATIVE"}, "unknown theme"),
])
def test_bad_rows_fail_the_whole_file(tmp_path, bad, message):
    good = {"doc_id": "c_c", "themes": {}, "sentiment": "NEUTRAL"}
    p = _jsonl(tmp_path, [good, bad])
    with pytest.raises(CodeFileError, match=message):
        rows = read_code_file(p)
        codes_frame(resolve(rows, gold_locators(DOCS), set(DOCS.doc_id), p.name)[0], THEMES, p.name)


def test_consolidate_majority_and_ties():
    codes = pd.DataFrame([
        ("d1", "a", "sentiment", "sentiment", "NEGATIVE"), ("d1", "b", "sentiment", "sentiment", "NEGATIVE"),
        ("d1", "c", "sentiment", "sentiment", "NEUTRAL"),
        ("d2", "a", "sentiment", "sentiment", "NEGATIVE"), ("d2", "b", "sentiment", "sentiment", "POSITIVE"),
    ], columns=["doc_id", "coder", "label_kind", "label", "value"])
    gold = consolidate(codes, "").set_index("doc_id")
    assert gold.loc["d1", "value"] == "NEGATIVE" and "d2" not in gold.index  # a tie is left out
    gold = consolidate(codes, adjudicator="b").set_index("doc_id")
    assert gold.loc["d2", "value"] == "POSITIVE"
    assert consolidate(codes, "", coders=["c"]).value.tolist() == ["NEUTRAL"]


def test_rows_for_documents_not_ingested_are_skipped_and_listed(tmp_path):
    p = _jsonl(tmp_path, [{"doc_id": "c_c", "themes": {}, "sentiment": "NEUTRAL"},
                          {"doc_id": "nope", "themes": {}, "sentiment": "NEGATIVE"},
                          {"source": "thread.txt", "doc": "c9", "themes": {}, "sentiment": "NEGATIVE"},
                          {"source": "other.xml", "doc": "c4", "starts_with": "Nothing like this",
                           "themes": {}, "sentiment": "NEGATIVE"}])
    heads = pd.DataFrame({"doc_id": ["c_a"], "source": ["thread.txt"], "blogger_id": [None],
                          "text": ["Hello there"], "own_text": ["Hello there"]})
    resolved, skipped = resolve(read_code_file(p), gold_locators(DOCS), set(DOCS.doc_id), p.name, heads)
    assert [d for _, d in resolved] == ["c_c"]
    assert len(skipped) == 3 and "unknown doc_id nope" in skipped[0]


def test_rows_resolve_by_blogger_id_and_text_start(tmp_path):
    heads = pd.DataFrame({"doc_id": ["c_a", "c_b", "c_c"], "source": ["feed.xml"] * 3,
                          "blogger_id": ["123", None, None],
                          "text": ["First comment here", "Second one, quite long", "Second thoughts"],
                          "own_text": ["First comment here", "Second one, quite long", "Second thoughts"]})
    p = _jsonl(tmp_path, [
        {"source": "feed.xml", "doc": "c7", "blogger_id": "123", "themes": {}, "sentiment": "NEUTRAL"},
        {"source": "feed.xml", "doc": "c8", "starts_with": "Second one,", "themes": {}, "sentiment": "NEUTRAL"},
    ])
    resolved, _ = resolve(read_code_file(p), gold_locators(DOCS), {"c_a", "c_b", "c_c"}, p.name, heads)
    assert [d for _, d in resolved] == ["c_a", "c_b"]
    ambiguous = _jsonl(tmp_path, [{"source": "feed.xml", "doc": "c8", "starts_with": "Second",
                                   "themes": {}, "sentiment": "NEUTRAL"}], "amb.jsonl")
    with pytest.raises(CodeFileError, match="2 documents"):
        resolve(read_code_file(ambiguous), gold_locators(DOCS), {"c_a"}, "amb.jsonl", heads)
