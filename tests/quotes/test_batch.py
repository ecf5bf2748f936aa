"""Quotes of many documents parsing only what a quote can use (lines with own words, the
recogniser on the pieces) give what the whole-text parse gives. Invented texts only
(synthetic)."""

from __future__ import annotations

from dataclasses import replace
from itertools import accumulate

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.config import load_config
from pipeline.quotes import QuoteOptions, build_quote, first_sentence
from pipeline.quotes.batch import QuoteInput, _pieces_context, parse_windows, quote_documents
from pipeline.quotes.build import _bad_prefix
from pipeline.quotes.sentences import analyse, names_in
from pipeline.sections import ScaleSettings
from pipeline.settings import typed

OPTS = QuoteOptions.from_config(load_config().section("quotes"))
BATCH_TOKENS = typed(load_config(), ScaleSettings).parse_batch_tokens


def _scale(**changed) -> ScaleSettings:
    return replace(typed(load_config(), ScaleSettings), **changed)

PASTED = ("THE SECRETARY OF STATE, Mr Desmond Farthing, said today that the reforms would be completed "
          "on time and within budget. He thanked every member of staff for their hard work.")
OWN = ("I spoke to Margaret Okonjo about the rota this morning and she agreed it was unworkable for "
       "everyone on the team. Nobody upstairs has asked us what we think of it.")
INLINE = ('The regional director told us that "accountability starts with each of us in every single team". '
          "She has never held a caseload in her life and it shows every week.")


def _own_of(text: str, *parts: str) -> tuple[tuple[int, int], ...]:
    out = []
    for p in parts:
        i = text.index(p)
        out.append((i, i + len(p)))
    return tuple(out)


def _docs() -> list[QuoteInput]:
    t1 = f"{PASTED}\n\n{OWN}\n\nRegards,\nJim"  # parsed without the pasted text before it, OWN splits elsewhere
    t2 = f"{OWN}\n{PASTED}\n\nAnd another thing: the new rota starts on Monday and nobody has seen it yet."
    t3 = f"{PASTED}\n\n{PASTED}"  # nothing own: its first sentence comes from a pasted line
    t4 = INLINE
    t5 = f"Jim:\n{PASTED}\nShort one."  # own words too short for a quote
    t6 = "   \n\n  "
    return [
        QuoteInput(t1, _own_of(t1, OWN, "Regards,\nJim"), ("Jim",)),
        QuoteInput(t2, _own_of(t2, OWN, "And another thing: the new rota starts on Monday and nobody has seen it yet.")),
        QuoteInput(t3, ()),
        QuoteInput(t4, _own_of(t4, 'The regional director told us that "', "She has never held a caseload in her "
                                                                            "life and it shows every week.")),
        QuoteInput(t5, _own_of(t5, "Jim:", "Short one."), ("Jim",)),
        QuoteInput(t6, ()),
        QuoteInput("", ()),
    ]


@pytest.mark.slow
def test_windows_give_what_the_whole_text_parse_gives():
    docs = _docs()
    got = quote_documents(docs, OPTS, batch_tokens=2)
    whole = analyse([d.text for d in docs])
    for d, g, a in zip(docs, got, whole):
        q = build_quote(d.text, d.own, a.sentences, OPTS, d.handles)
        assert g.quote == q, d.text
        assert g.first_sentence == first_sentence(d.text, d.own, a.sentences), d.text
        assert list(g.names) == names_in(d.text, a.persons, q.pieces), d.text
    # the invented documents do exercise each path
    assert got[0].quote.text == OWN and any("Okonjo" in n for n in got[0].names)
    assert not any("Farthing" in n for r in got for n in r.names)
    assert got[1].quote.elided
    assert got[2].quote.reason == "no_own_words" and got[2].first_sentence and got[2].first_sentence in PASTED
    assert got[2].first_sentence != PASTED.split("\n")[0]  # a sentence, not the whole pasted line
    assert got[3].quote.text == INLINE.split(". ", 1)[1]
    assert got[4].quote.reason == "too_short"
    assert got[5].first_sentence is None and got[6].first_sentence is None


def test_parse_windows_are_runs_of_lines_with_own_words():
    text = "pasted one\n\nown a\n\nown b\npasted two\n  \nown c"
    own = _own_of(text, "own a", "own b", "own c")
    windows, skipped = parse_windows(text, own)
    assert [text[s:e] for s, e in windows] == ["own a\n\nown b", "own c"]
    assert [text[s:e] for s, e in skipped] == ["pasted one", "pasted two"]
    # a line with one own word is parsed whole, with its other words
    text = "he said “no” and meant it"
    windows, skipped = parse_windows(text, _own_of(text, "he said "))
    assert windows == [(0, len(text))] and skipped == []


def test_recogniser_ranges_cut_at_blanks_and_merge():
    text = "aaaa bbbb cccc dddd eeee ffff gggg hhhh"
    assert _pieces_context(text, [(10, 14)], 0) == [(10, 14)]
    assert [text[s:e] for s, e in _pieces_context(text, [(10, 14)], 7)] == ["bbbb cccc dddd"]
    assert _pieces_context(text, [(10, 14), (20, 24)], 7) == [(5, 29)]
    assert _pieces_context(text, [(0, 4)], 100) == [(0, len(text))]


def _old_bad_prefix(text, own_spans):
    own = bytearray(len(text))
    for s, e in own_spans:
        own[max(0, s):max(0, min(e, len(text)))] = b"\x01" * max(0, min(e, len(text)) - max(0, s))
    return [0, *accumulate(0 if (own[i] or ch.isspace()) else 1 for i, ch in enumerate(text))]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab.“ \n\t\u00a0\u2003\u3000\u200b\x1c\x85é😀"))),
       st.lists(st.tuples(st.integers(-3, 40), st.integers(-3, 40)), max_size=4))
def test_bad_prefix_counts_like_the_character_loop(text, spans):
    assert list(_bad_prefix(text, spans)) == _old_bad_prefix(text, spans)


def _naive_windows(text, own):
    owned = {i for s, e in own for i in range(max(0, s), min(e, len(text)))}
    windows, skipped, run, pos = [], [], None, 0
    for line in text.split("\n"):
        s, e = pos, pos + len(line)
        pos = e + 1
        chars = [i for i in range(s, e) if not text[i].isspace()]
        if not chars:
            continue
        if any(i in owned for i in chars):
            run = (run[0], e) if run else (s, e)
        else:
            if run:
                windows.append(run)
                run = None
            skipped.append((s + len(line) - len(line.lstrip()), s + len(line.rstrip())))
    return windows + ([run] if run else []), skipped


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab. \n\u00a0\u2003")), max_size=40),
       st.lists(st.tuples(st.integers(-3, 40), st.integers(-3, 40)), max_size=4))
def test_parse_windows_match_a_character_loop(text, own):
    assert parse_windows(text, own) == _naive_windows(text, own)


def test_the_job_runs_its_shards_through_the_mapper_with_the_same_rows():
    """Quotes are shards of documents (``scale.quotes_shard_size``), run by the job's mapper
    (in process, or on Dask workers), the documents taken longest own words first; any
    shard size, and any parse batch, gives the same rows, in the documents' order."""
    import pandas as pd

    from pipeline.jobs.quotes import own_chars, quote_rows

    docs = _docs()
    frame = pd.DataFrame({"doc_id": [f"d{i}" for i in range(len(docs))], "clean_text": [d.text for d in docs],
                          "own_spans": [[list(s) for s in d.own] for d in docs],
                          "handles": [list(d.handles) for d in docs], "input_key": ["k"] * len(docs)})
    seen: list[int] = []

    lengths: list[int] = []

    def recording(fn, items):
        for item in items:
            seen.append(len(item))
            lengths.extend(own_chars(d) for d in item)
            yield fn(item)

    whole = quote_rows(frame, OPTS, _scale(quotes_shard_size=100))
    sharded = quote_rows(frame, OPTS, _scale(quotes_shard_size=3, parse_batch_tokens=7), mapper=recording)
    assert seen == [3, 3, 1]
    assert lengths == sorted((own_chars(d) for d in docs), reverse=True) != [own_chars(d) for d in docs]
    pd.testing.assert_frame_equal(sharded, whole)
    alone = [quote_documents([d], OPTS, batch_tokens=BATCH_TOKENS)[0] for d in docs]
    for column, values in (("quote", [r.quote.text for r in alone]), ("first_sentence", [r.first_sentence for r in alone])):
        assert [None if pd.isna(x) else x for x in whole[column]] == values
    assert whole["quote"].notna().sum() >= 3


def test_the_sentence_recogniser_leaves_the_shared_pipeline_as_it_was():
    """`quotes.sentences = "senter"` turns spaCy's `senter` on for the quotes' pass only;
    the process's one pipeline (also classify's) keeps it off afterwards. On the invented
    documents its quotes are the parser's."""
    from pipeline.nlp import english

    nlp = english()
    before = (list(nlp.pipe_names), list(nlp.disabled))
    parser = quote_documents(_docs(), OPTS, nlp, batch_tokens=BATCH_TOKENS)
    senter = quote_documents(_docs(), QuoteOptions(min_words=OPTS.min_words, sentences="senter"), nlp,
                             batch_tokens=BATCH_TOKENS)
    assert (list(nlp.pipe_names), list(nlp.disabled)) == before and "senter" in before[1]
    assert [r.quote for r in senter] == [r.quote for r in parser]
    assert [r.names for r in senter] == [r.names for r in parser]


def test_own_texts_parsed_whole_come_back_with_the_taggers_tags():
    """A document given with its own text's content hash whose parse window is exactly that
    text gets the tags :func:`pipeline.nlp.tagged` gives it (what the topics fit and
    classify store and reuse, ``token_tags``), in the same pass as the parse; a document
    whose parsed text is not its own text (pasted lines cut off, a quotation inside a
    line) gets none, and no quote, name or first sentence changes. With
    ``quotes.sentences = "senter"`` nothing is tagged."""
    from pipeline.embed import content_hash
    from pipeline.nlp import english, tagged, tagger_key, tags_of

    nlp = english()
    whole = f"{OWN}\n\nAnd another thing: the new rota starts on Monday and nobody has seen it yet."
    plain = [*_docs(), QuoteInput(whole, ((0, len(whole)),)), QuoteInput(PASTED, ((0, len(PASTED)),))]
    own_texts = ["\n\n".join(d.text[s:e] for s, e in d.own) for d in plain]
    docs = [replace(d, own_hash=content_hash(t) if t.strip() else None) for d, t in zip(plain, own_texts)]
    got = quote_documents(docs, OPTS, nlp, batch_tokens=BATCH_TOKENS)
    assert [(r.quote, r.names, r.first_sentence) for r in got] == [
        (r.quote, r.names, r.first_sentence) for r in quote_documents(plain, OPTS, nlp, batch_tokens=BATCH_TOKENS)]
    with_tags = [i for i, r in enumerate(got) if r.tags is not None]
    assert with_tags == [7, 8]  # the two texts of own words only; t1, t2, t4 and t5 are parsed otherwise
    key = tagger_key(nlp)
    for i in with_tags:
        assert got[i].tags == tags_of(nlp, next(tagged(nlp, [own_texts[i]]))) and got[i].tagger == key
    assert all(r.tagger is None for r in got if r.tags is None)
    senter = quote_documents(docs, replace(OPTS, sentences="senter"), nlp, batch_tokens=BATCH_TOKENS)
    assert all(r.tags is None and r.tagger is None for r in senter)
