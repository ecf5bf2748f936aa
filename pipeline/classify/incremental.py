"""What a classify run must do: which documents are new or changed since the latest run,
and whether everything must be classified again (settings, models or embedder changed).
Pure: hashes and keys in, a plan out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

from pipeline.classify.settings import ClassifySettings
from pipeline.embed import content_hash
from pipeline.settings import settings_key

LOGIC_VERSION = 2
"""Bump when classify's logic changes what it writes for the same input (2: sentence
features from the document's one parse; sentence vectors cached)."""


def input_hash(own_text: str, context: str) -> str:
    """What a document's rows depend on: its own text and its thread context."""
    return content_hash(f"{own_text or ''}\x1f{context or ''}")


RUN_ONLY = frozenset({"duckdb_memory_mb", "lookup_batches"})
"""``[classify]`` keys that change how a run uses memory and reads the store, never a row
it writes: left out of :func:`run_key`, so changing one classifies nothing again."""


def run_key(settings: ClassifySettings, versions: Mapping[str, str], embedding_model: str, chunking: str,
            taxonomy: Sequence[Mapping[str, Any]]) -> str:
    """The digest of everything besides its input that a classify result depends on
    (every setting but :data:`RUN_ONLY`)."""
    kept = {f.name: getattr(settings, f.name) for f in fields(settings) if f.name not in RUN_ONLY}
    return settings_key(LOGIC_VERSION, kept, dict(versions), embedding_model, chunking, list(taxonomy))


@dataclass(frozen=True)
class Plan:
    """``todo``: documents to classify; ``keep``: documents whose rows the previous run
    (``carry_from``) already holds; ``gone``: documents of that run no longer present."""

    todo: list[str]
    keep: list[str]
    gone: list[str]
    carry_from: str | None
    full: bool

    @property
    def nothing_to_do(self) -> bool:
        return self.carry_from is not None and not self.todo and not self.gone


def plan(doc_ids: Sequence[str], hashes: Sequence[str], key: str, previous: Mapping[str, Any] | None) -> Plan:
    """Compare this run's inputs with the previous run's (``run_id``, ``settings_key``,
    ``inputs``: doc id -> input hash). A different key, or no previous run, means every
    document is classified again."""
    ids = list(doc_ids)
    if previous is None or previous.get("settings_key") != key:
        return Plan(ids, [], [], None, True)
    before = previous["inputs"]
    todo = [d for d, h in zip(ids, hashes) if before.get(d) != h]
    keep = [d for d, h in zip(ids, hashes) if before.get(d) == h]
    present = set(ids)
    gone = sorted(d for d in before if d not in present)
    return Plan(todo, keep, gone, previous["run_id"], False)
