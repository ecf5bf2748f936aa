"""Housekeeping jobs. Prune: remove old classify runs, old topic models (with their
folders), and vectors and stored tags nothing current can use, in one transaction, and
record each thing removed in ``prune_log``; without ``apply`` it only says what it would
remove (a reader: no lock, no run row). Compact: rewrite the database file without its
empty space."""

from __future__ import annotations

import shutil
from dataclasses import asdict, replace
from typing import Any

from pipeline.config import Config
from pipeline.jobs.context import JobContext
from pipeline.nlp import english, tagger_key
from pipeline.sections import PathsSettings, PruneSettings, StoreSettings
from pipeline.settings import typed
from pipeline.store import connect, database_size, transaction
from pipeline.store.compact import compact
from pipeline.store.prune import Item, old_classify_runs, old_topic_models, remove, unused_tags, unused_vectors
from pipeline.topics.persist import saved_model_dir


def prune_settings(config: Config, options: dict) -> PruneSettings:
    """``[prune]``, with ``keep_classify_runs`` / ``keep_topic_models`` from ``options``
    where given (checked the same way)."""
    base = typed(config, PruneSettings)
    given = {k: int(options[k]) for k in ("keep_classify_runs", "keep_topic_models") if options.get(k) is not None}
    return replace(base, **given)


def plan(conn: Any, settings: PruneSettings) -> list[Item]:
    """Everything ``prune`` would remove under ``settings`` (stored tags: of another spaCy
    pipeline than the one the stages load, ``pipeline.nlp.english``)."""
    return (old_classify_runs(conn, settings.keep_classify_runs) + old_topic_models(conn, settings.keep_topic_models)
            + unused_vectors(conn) + unused_tags(conn, tagger_key(english())))


def _summary(items: list[Item], size: dict[str, int]) -> dict:
    return {"items": [{**{k: v for k, v in asdict(i).items() if k != "created_at"},
                       "created_at": str(i.created_at) if i.created_at is not None else None, "n_rows": i.n_rows}
                      for i in items],
            "rows": sum(i.n_rows for i in items), "database_used_mib": round(size["used_bytes"] / 2**20, 1),
            "database_free_mib": round(size["free_bytes"] / 2**20, 1)}


def preview(conn: Any, config: Config, options: dict) -> dict:
    """What ``prune_job`` would remove, read from ``conn`` (read-only is enough)."""
    settings = prune_settings(config, options)
    items = plan(conn, settings)
    return {"applied": False, **asdict(settings), **_summary(items, database_size(conn))}


def prune_job(ctx: JobContext) -> dict:
    """Remove what :func:`plan` finds, record it, then delete the removed topic models'
    folders (after the commit: a failed run leaves both the rows and the folders)."""
    settings = prune_settings(ctx.config, ctx.options)
    conn = connect(ctx.db_path)
    try:
        with transaction(conn):
            items = plan(conn, settings)
            removed = remove(conn, items, ctx.run_id)
        conn.execute("CHECKPOINT")  # freed blocks become reusable (the file does not shrink)
        size = database_size(conn)
    finally:
        conn.close()
    folders, left = [], []
    for i in items:
        if i.kind == "topic_model":
            folder = saved_model_dir(typed(ctx.config, PathsSettings).models_dir, i.item)
            if folder.is_dir():
                try:
                    shutil.rmtree(folder)
                    folders.append(str(folder))
                except OSError as exc:
                    left.append(f"{folder}: {exc}")
    return {"applied": True, **asdict(settings), **_summary(items, size), "removed": removed,
            "folders_removed": folders, "folders_left": left}


def compact_job(ctx: JobContext) -> dict:
    """Rewrite the database file densely (``pipeline.store.compact``); sizes in MiB."""
    out = compact(ctx.db_path, typed(ctx.config, StoreSettings).compact_memory_mb)
    return {"mib_before": round(out["bytes_before"] / 2**20, 1), "mib_free_before": round(out["free_before"] / 2**20, 1),
            "mib_after": round(out["bytes_after"] / 2**20, 1), "tables": out["tables"], "rows": out["rows"],
            "seconds": out["seconds"]}
