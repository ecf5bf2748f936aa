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
