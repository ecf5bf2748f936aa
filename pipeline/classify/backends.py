"""The registry of label backends: how themes, stance and sentiment are labelled.

Explicit, without import side effects: the built-in backends are the list
``BUILTIN_BACKENDS`` below; other packages add backends through the
``probation_corpus.label_backends`` entry-point group (each entry point names a
:class:`LabelBackend` object), so a new backend needs no edit of this package.
``register`` adds one at run time. Two backends of one kind with one name are an error.

Kinds and what ``run`` is called with (``models`` is ``apply.Models``):

- ``theme``: ``run(feats, taxonomy, prototypes, models, params) -> DataFrame`` with columns
  row, theme, score, present, method; chosen by ``classify.theme_backend``.
- ``stance``: ``run(feats, rows, themes, taxonomy, encoder, models) -> (labels, scores, method)``
  for the (row, theme) pairs judged present; chosen by ``classify.stance_backend``.
- ``sentiment``: ``run(feats, models) -> (labels, scores)``; every backend whose
  ``available(models)`` is true writes its rows (``doc_sentiment.method``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

import numpy as np

from pipeline.classify.errors import ClassifySettingError
from pipeline.classify.similarity import target_embeddings
from pipeline.classify.stance import NLI, SUPERVISED
from pipeline.classify.sentiment import DOMAIN, VADER
from pipeline.classify.themes import detect_themes
from pipeline.classify.vader import vader_predict

ENTRY_POINT_GROUP = "probation_corpus.label_backends"
KINDS = ("theme", "stance", "sentiment")
RULES_AND_SUPERVISED = "supervised"


@dataclass(frozen=True)
class LabelBackend:
    """One way of labelling a kind (see the module docstring for ``run``'s arguments)."""

    kind: str
    name: str
    run: Callable[..., Any]
    description: str
    available: Callable[[Any], bool] | None = None  # sentiment: written only when true

    def is_available(self, models: Any) -> bool:
        return self.available is None or bool(self.available(models))


# ---- built-in backends ----------------------------------------------------------------


def _themes(feats, taxonomy, prototypes, models, params):
    return detect_themes(feats, taxonomy, prototypes, models.theme, params.rules, params.theme_threshold)


def _stance_supervised(feats, rows, themes, taxonomy, encoder, models):
    if models.stance is None:
        return ["NONE"] * len(rows), np.zeros(len(rows)), "no_model"
    tvec = target_embeddings(taxonomy, encoder)
    targets = {t.name: tvec[j] for j, t in enumerate(taxonomy)}
    labels, scores = models.stance.predict(feats, rows, themes, targets)
    return labels, scores, SUPERVISED


def _stance_nli(feats, rows, themes, taxonomy, encoder, models):
    if models.nli is None:
        raise ClassifySettingError("classify.stance_backend = \"nli\" needs classify.nli_model_dir",
                                   "set classify.nli_model_dir to a local NLI model folder, or use "
                                   "classify.stance_backend = \"supervised\"")
    labels, scores = models.nli.predict([feats.texts[r] for r in rows], [taxonomy.get(t).target for t in themes])
    return labels, scores, NLI


def _sentiment_vader(feats, models):
    return vader_predict(feats.vader)


def _sentiment_domain(feats, models):
    return models.sentiment.predict(feats)


BUILTIN_BACKENDS: tuple[LabelBackend, ...] = (
    LabelBackend("theme", RULES_AND_SUPERVISED, _themes,
                 "the supervised theme model for the themes it was trained on; seed terms and prototype "
                 "similarity for the others"),
    LabelBackend("stance", SUPERVISED, _stance_supervised, "the supervised target-conditioned stance model"),
    LabelBackend("stance", NLI, _stance_nli, "zero-shot NLI (classify.nli_model_dir)"),
    LabelBackend("sentiment", VADER, _sentiment_vader, "VADER (the baseline, always written)"),
    LabelBackend("sentiment", DOMAIN, _sentiment_domain, "the domain sentiment model",
                 available=lambda models: models.sentiment is not None),
)

_extra: dict[tuple[str, str], LabelBackend] = {}


def _check(backend: object, where: str) -> LabelBackend:
    if not isinstance(backend, LabelBackend):
        raise TypeError(f"{where} is not a pipeline.classify.backends.LabelBackend: {backend!r}")
    if backend.kind not in KINDS:
        raise TypeError(f"label backend {backend.name!r} ({where}) has kind {backend.kind!r}; kinds: {', '.join(KINDS)}")
    return backend


def _plugins() -> list[tuple[LabelBackend, str]]:
    return [(_check(ep.load(), f"entry point {ep.value}"), f"entry point {ep.value}")
            for ep in entry_points(group=ENTRY_POINT_GROUP)]


def label_backends(kind: str) -> dict[str, LabelBackend]:
    """Every backend of ``kind`` by name: built-ins, then entry points, then ``register``-ed
    ones, in that order. Two of one kind with one name are an error."""
    out: dict[str, LabelBackend] = {}
    sources = ([(b, "built-in") for b in BUILTIN_BACKENDS] + _plugins()
               + [(b, "register()") for b in _extra.values()])
    for backend, where in sources:
        _check(backend, where)
        if backend.kind != kind:
            continue
        if backend.name in out:
            raise TypeError(f"two {kind} backends are called {backend.name!r} (the second from {where})")
        out[backend.name] = backend
    return out


def label_backend(kind: str, name: str) -> LabelBackend:
    """The ``kind`` backend called ``name``; a ClassifySettingError names the known ones."""
    backends = label_backends(kind)
    if name not in backends:
        raise ClassifySettingError(f"classify.{kind}_backend {name!r} is not a {kind} backend",
                                   f"use one of {', '.join(sorted(backends))}")
    return backends[name]


def register(backend: LabelBackend) -> LabelBackend:
    """Add a backend for this process (plugins should use the entry-point group)."""
    _check(backend, "register()")
    if backend.name in label_backends(backend.kind):
        raise TypeError(f"{backend.kind} backend {backend.name!r} registered twice")
    _extra[(backend.kind, backend.name)] = backend
    return backend
