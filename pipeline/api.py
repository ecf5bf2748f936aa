"""The Python API. The CLI is a thin shell over these functions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pipeline
from pipeline.config import Config, load_config
from pipeline.jobs import STAGES, JobContext
from pipeline.jobs.context import Progress, _no_progress
from pipeline.jobs.runlog import recorded_run
from pipeline.store import connect
from pipeline.store import queries

REPO_ROOT = Path(pipeline.__file__).resolve().parent.parent


def resolve_config(config_path: str | Path | None = None,
                   overrides: Mapping[str, Any] | Iterable[str] | None = None) -> Config:
    return load_config(config_path, overrides)


def _resolve(path: str | Path) -> str:
    """A relative default path: from the working directory, else from the checkout."""
    p = Path(path)
    if p.is_absolute() or p.exists() or not (REPO_ROOT / p).exists():
        return str(p)
    return str(REPO_ROOT / p)


def db_path(config: Config, db: str | Path | None = None) -> str:
    return str(db) if db else str(config.get("paths.db"))


def default_inputs(config: Config) -> list[str]:
    return [_resolve(config.get("paths.sample_corpus"))]


def run_stages(paths: Sequence[str] | None = None, db: str | Path | None = None,
               config: Config | None = None, stages: Sequence[str] | None = None,
               options: dict | None = None) -> dict:
    """The main job through the Prefect flow (Prefect's local mode unless a server is set)."""
    from pipeline.flows.main import main_flow  # Prefect is imported only here

    config = config or load_config()
    return main_flow(
        paths=list(paths) if paths else default_inputs(config),
        db_path=db_path(config, db),
        config_json=config.to_json(),
        stages=list(stages) if stages else None,
        options=options or {},
    )


def run_stage_direct(stage: str, paths: Sequence[str] = (), db: str | Path | None = None,
                     config: Config | None = None, options: dict | None = None,
                     progress: Progress = _no_progress) -> dict:
    """Run one stage without Prefect (used by `ingest` and for re-running a stage)."""
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}; stages: {', '.join(STAGES)}")
    config = config or load_config()
    path = db_path(config, db)
    params = {"paths": list(paths), "stage": stage, "options": options or {}}
    with recorded_run(path, stage, params, config) as (run_id, summary):
        ctx = JobContext(path, config, run_id, tuple(paths), options or {}, progress)
        summary.update(STAGES[stage](ctx))
        summary["run_id"] = run_id
    return summary


def ingest(paths: Sequence[str], db: str | Path | None = None, config: Config | None = None,
           format: str | None = None, reader_options: dict | None = None,
           progress: Progress = _no_progress) -> dict:
    opts: dict = {}
    if format:
        opts["format"] = format
    if reader_options:
        opts["reader_options"] = reader_options
    return run_stage_direct("ingest", paths, db, config, opts, progress)


def sql(query: str, db: str | Path | None = None, config: Config | None = None) -> tuple[list[str], list[tuple]]:
    config = config or load_config()
    conn = connect(db_path(config, db), read_only=True)
    try:
        return queries.run_sql(conn, query)
    finally:
        conn.close()


def status(db: str | Path | None = None, config: Config | None = None) -> dict:
    config = config or load_config()
    conn = connect(db_path(config, db), read_only=True)
    try:
        return queries.status(conn)
    finally:
        conn.close()
