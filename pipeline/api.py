"""The Python API. The CLI is a thin shell over these functions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pipeline.config import Config, load_config, resolve_path
from pipeline.jobs import STAGES, JobContext
from pipeline.jobs.context import Progress, _no_progress
from pipeline.jobs.runlog import recorded_run
from pipeline.store import connect
from pipeline.store import queries

def resolve_config(config_path: str | Path | None = None,
                   overrides: Mapping[str, Any] | Iterable[str] | None = None) -> Config:
    return load_config(config_path, overrides)


def db_path(config: Config, db: str | Path | None = None) -> str:
    return str(db) if db else str(config.get("paths.db"))


def default_inputs(config: Config) -> list[str]:
    return [str(resolve_path(config.get("paths.sample_corpus")))]


def run_stages(paths: Sequence[str] | None = None, db: str | Path | None = None,
               config: Config | None = None, stages: Sequence[str] | None = None,
               options: dict | None = None) -> dict:
    """The main job through the Prefect flow (Prefect's local mode unless a server is set)."""
    from pipeline.flows.main import main_flow  # Prefect is imported only here
    from pipeline.flows.startup import local_server_wait
    from pipeline.jobs.runlog import sigterm_interrupts

    config = config or load_config()
    with local_server_wait(config), sigterm_interrupts():
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
    """One read-only query (SELECT, WITH, DESCRIBE, SHOW, EXPLAIN, SUMMARIZE): (columns, rows).

    Anything else, or more than one statement, is refused with StoreError before it runs;
    the connection cannot write, read files or change its settings."""
    from pipeline.store.connection import connect_query

    config = config or load_config()
    queries.check_query(query)
    conn = connect_query(db_path(config, db), _reader_retry(config))
    try:
        return queries.run_sql(conn, query)
    finally:
        conn.close()


def _reader_retry(config: Config) -> float:
    return float(config.get("store.reader_retry_s"))


def status(db: str | Path | None = None, config: Config | None = None) -> dict:
    config = config or load_config()
    conn = connect(db_path(config, db), read_only=True, retry_s=_reader_retry(config))
    try:
        return queries.status(conn)
    finally:
        conn.close()


# ---- themes, stance, sentiment: the human-coding loop, training, evaluation ----------


def _recorded_job(flow: str, job, db: str | Path | None, config: Config | None, options: dict) -> dict:
    """Run a non-stage job (train, evaluate) with its own row in ``runs``."""
    config = config or load_config()
    path = db_path(config, db)
    with recorded_run(path, flow, {"options": options}, config) as (run_id, summary):
        summary.update(job(JobContext(path, config, run_id, (), options)))
        summary["run_id"] = run_id
    return summary


def annotate_export(db: str | Path | None = None, config: Config | None = None, n: int | None = None,
                    strategy: str | None = None, coder: str | None = None, out_dir: str | None = None) -> dict:
    """Write a sample of documents to code (CSV and JSON Lines)."""
    from pipeline.jobs.annotate import export_sample

    config = config or load_config()
    return export_sample(db_path(config, db), config, n, strategy, coder, out_dir)


def annotate_import(path: str | Path, coder: str, db: str | Path | None = None, config: Config | None = None) -> dict:
    """Store one coder's codes from a CSV or JSON Lines file."""
    from pipeline.jobs.annotate import import_codes
    from pipeline.store import lock

    config = config or load_config()
    path_db = db_path(config, db)
    lock.acquire(path_db, float(config.get("store.lock_wait_s")))  # one writer at a time
    try:
        return import_codes(path_db, config, path, coder)
    finally:
        lock.release(path_db)


def annotate_agreement(db: str | Path | None = None, config: Config | None = None,
                       coders: Sequence[str] | None = None):
    """Cohen's kappa per coder pair and Krippendorff's alpha per label (a DataFrame)."""
    from pipeline.jobs.annotate import agreement

    config = config or load_config()
    return agreement(db_path(config, db), config, list(coders) if coders else None)


def train(db: str | Path | None = None, config: Config | None = None, kinds: Sequence[str] | None = None,
          coders: Sequence[str] | None = None, models_dir: str | None = None) -> dict:
    """Fit the theme, sentiment and stance models from the stored codes and save them."""
    from pipeline.jobs.classify import train_job

    options = {"kinds": list(kinds or []), "coders": list(coders or []), "models_dir": models_dir}
    return _recorded_job("train", train_job, db, config, options)


def evaluate(db: str | Path | None = None, config: Config | None = None, kinds: Sequence[str] | None = None,
             coders: Sequence[str] | None = None, report: str | None = None) -> dict:
    """Cross-validate every model and baseline on the stored codes; write the report."""
    from pipeline.jobs.classify import evaluate_job

    options = {"kinds": list(kinds or []), "coders": list(coders or []), "report": report}
    return _recorded_job("evaluate", evaluate_job, db, config, options)


# ---- topics: explicit refit and a look at a fitted model ---------------------------


def topics_refit(db: str | Path | None = None, config: Config | None = None) -> dict:
    """Fit a new topic model on every unique own text and make it current (its own run)."""
    from pipeline.jobs.topics import refit_job

    config = config or load_config()
    path = db_path(config, db)
    with recorded_run(path, "topics-refit", {}, config) as (run_id, summary):
        summary.update(refit_job(JobContext(path, config, run_id)))
        summary["run_id"] = run_id
    return summary


def topics_show(db: str | Path | None = None, config: Config | None = None, run_id: str | None = None) -> dict:
    """A topic model (default: the current one): its row, its topics and their quotes."""
    from pipeline.store.errors import StoreError
    from pipeline.store.topics import current_model, model_row, quotes_frame, topics_frame

    config = config or load_config()
    conn = connect(db_path(config, db), read_only=True, retry_s=_reader_retry(config))
    try:
        model = model_row(conn, run_id) if run_id else current_model(conn)
        if model is None:
            raise StoreError(f"no topic model {run_id}" if run_id else
                             "no topic model yet: run `probation-corpus run` or `probation-corpus topics refit`")
        return {"model": model, "topics": topics_frame(conn, model["run_id"]),
                "quotes": quotes_frame(conn, model["run_id"])}
    finally:
        conn.close()


def quotes(theme: str | None = None, stance: str | None = None, min_chars: int = 0,
           max_chars: int | None = None, limit: int = 20, kind: str | None = None,
           db: str | Path | None = None, config: Config | None = None):
    """A quote set: own words only, with date, permalink and pseudonym (a DataFrame)."""
    from pipeline.store.quotes import quote_set, themes_known

    config = config or load_config()
    conn = connect(db_path(config, db), read_only=True, retry_s=_reader_retry(config))
    try:
        if theme and theme not in themes_known(conn):
            known = ", ".join(themes_known(conn)) or "none yet: run the classify stage"
            raise ValueError(f"no quotes for theme {theme!r}; themes with quotes: {known}")
        return quote_set(conn, theme, stance, min_chars, max_chars, limit, kind)
    finally:
        conn.close()
