"""Choosing, shaping and rendering quote rows (invented rows)."""

from __future__ import annotations

import pandas as pd

from pipeline.quotes.pseudonym import Pseudonymiser, pseudonym
from pipeline.quotes.render import header_lines, to_docx, to_markdown
from pipeline.quotes.select import per_post, publication_frame, pseudonymise_frame, sample_order


def rows(n: int = 6) -> pd.DataFrame:
    return pd.DataFrame({
        "theme": ["napo"] * n, "stance": ["AGAINST"] * n, "theme_score": [0.9] * n, "stance_score": [None] * n,
        "quote": [f"Quote number {i} says the union went quiet. […] Wren_PO was right." for i in range(n)],
        "pseudonym": ["Wren_PO", None] + ["Anonymous"] * (n - 2),
        "published_at": [pd.Timestamp("2019-05-02 10:30"), pd.NaT] + [pd.Timestamp("2020-01-01")] * (n - 2),
        "date_is_post_date": [False, None] + [True] * (n - 2),
        "permalink": ["https://example.org/p#c1", None] + [""] * (n - 2),
        "permalink_is_post": [False, None] + [False] * (n - 2),
        "post_title": ["A post", None] + ["Another"] * (n - 2),
        "topic_label": [None] * n, "kind": ["comment"] * n,
        "doc_id": [f"c_{i}" for i in range(n)], "post_id": ["p_1", "p_1", "p_1", "p_2", "p_2", None][:n],
        "n_words": [12] * n, "pieces": [[{"start": 0, "end": 40}, {"start": 60, "end": 80}]] * n,
        "pieces_field": ["clean_text"] * n, "names_flagged": [["Margaret Okonjo"], None] + [[]] * (n - 2),
        "context_doc_id": ["p_1", None] + ["p_2"] * (n - 2), "context_kind": ["post", None] + ["comment"] * (n - 2),
        "context_author": ["Hedge Sparrow", None] + ["Anonymous"] * (n - 2),
        "context_text": ["Hedge Sparrow opened the thread.", None] + ["Earlier words."] * (n - 2),
    })


def test_sample_is_reproducible_and_independent_of_input_order():
    df = rows()
    a = sample_order(df, seed=7)["doc_id"].tolist()
    assert a == sample_order(df.iloc[::-1].reset_index(drop=True), seed=7)["doc_id"].tolist()
    assert sorted(a) == sorted(df["doc_id"])
    assert any(sample_order(df, seed=s)["doc_id"].tolist() != a for s in range(1, 6))


def test_per_post_keeps_the_first_n_of_each_post():
    got = per_post(rows(), 1)["doc_id"].tolist()
    assert got == ["c_0", "c_3", "c_5"]  # a document without a post is its own post


def test_publication_frame_spells_out_missing_values():
    out = publication_frame(rows(), context=True)
    r = out.iloc[1]
    assert r["date"] == "undated" and r["post_title"] == "untitled post" and r["pseudonym"] == "Anonymous"
    assert r["context_author"] == "" and r["published_at"] == "" and r["names_flagged"] == []
    assert out.iloc[0]["date"] == "2019-05-02" and out.iloc[2]["date"] == "2020-01-01 (post's date)"
    assert out.iloc[0]["pieces"] == [[0, 40], [60, 80]]
    text = out.astype(str).to_csv()
    for bad in ("nan", "NaT", "None"):
        assert bad not in text


def test_pseudonymised_frame_and_docx_hold_no_handle(tmp_path):
    from docx import Document

    p = Pseudonymiser(b"\x05" * 32, ["Wren_PO", "Hedge Sparrow", "Anonymous"], keep=["Anonymous"])
    out = pseudonymise_frame(publication_frame(rows(), context=True), p)
    assert out.iloc[0]["pseudonym"] == pseudonym("Wren_PO", p.key)
    assert out.iloc[0]["context_author"] == pseudonym("Hedge Sparrow", p.key)
    flagged = pseudonymise_frame(publication_frame(rows().assign(names_flagged=[["Wren_PO", "Ann Li"]] * 6)), p)
    assert flagged.iloc[0]["names_flagged"] == ["Ann Li"]  # the handle is replaced in the text already
    path = tmp_path / "q.docx"
    to_docx(out, header_lines({"theme": "napo"}, len(out), 0.7, True), context=True).save(path)
    text = "\n".join(par.text for par in Document(str(path)).paragraphs)
    assert "Wren_PO" not in text and "Hedge Sparrow" not in text
    assert "[Author-" in text and "Margaret Okonjo" in text  # names are flagged, not hidden
    md = to_markdown(out, header_lines({}, len(out), 0.7, True), context=True)
    assert "Wren_PO" not in md and "Hedge Sparrow" not in md


def test_docx_has_one_block_quote_per_quote_paragraph_and_a_source_line(tmp_path):
    from docx import Document

    df = publication_frame(rows(2), context=True)
    df.loc[0, "quote"] = "First paragraph of it.\n\nSecond paragraph,\nwith a line break."
    path = tmp_path / "q.docx"
    to_docx(df, header_lines({"theme": "napo"}, 2, 0.7, False), context=True).save(path)
    paras = Document(str(path)).paragraphs
    quotes = [p for p in paras if p.style.name == "Quote"]
    assert [q.text for q in quotes][:2] == ["First paragraph of it.", "Second paragraph,\nwith a line break."]
    after = paras[paras.index(quotes[1]) + 1].text
    assert after.startswith("— Wren_PO, 2019-05-02, on “A post”, https://example.org/p#c1")
    assert any(p.text.startswith("In reply to Hedge Sparrow (post): “Hedge Sparrow opened") for p in paras)
    assert any("Names of people in this quote: Margaret Okonjo" in p.text for p in paras)
    assert "0.70 confident" in "\n".join(p.text for p in paras)


def test_the_missing_value_check_catches_leaks_but_not_words_in_quotes():
    import pytest

    from tests.quotes.checks import assert_no_missing_values

    good = to_markdown(publication_frame(rows(), context=True), ["h"], context=True)
    assert_no_missing_values("md", good + "\n> None of us were asked.\n")
    for fmt, leak in (("md", "— Anonymous, nan, on “A post” (napo 0.90)"),
                      ("md", "— Anonymous, 2020-01-01, on “None” (napo 0.90)"),
                      ("md", "*In reply to None (post): “x”*"),
                      ("csv", "a,b\nNone,x\n"), ("json", '[{"a": "NaT"}]'), ("json", '[{"a": NaN}]'),
                      ("table", "│ theme │ None  │")):
        with pytest.raises(AssertionError):
            assert_no_missing_values(fmt, leak)
