"""Flows for deployments: the nightly sync, the weekly refit and a re-run of one stage.

A Prefect worker runs them with the project root as working directory (the ``pull``
step of ``prefect.yaml``), so every relative path -- parameters, ``schedule.sync_paths``,
``paths.db``, ``--config`` -- is read from the project root. Each flow loads the config
on the worker and hands paths and config JSON to :func:`pipeline.flows.main.main_flow`,
which records one row in ``runs`` (``flow`` = the deployment's name).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from pipeline.config import Config, ConfigError, load_config
from pipeline.errors import UserError
from pipeline.flows.main import main_flow
from pipeline.jobs import STAGES, JobContext
from pipeline.jobs.runlog import recorded_run
from pipeline.sections import PathsSettings, ScheduleSettings
from pipeline.settings import typed
from pipeline.sync.settings import SyncSettings

# The stage names, so the Prefect UI offers a choice instead of a free text field.
StageName = Literal[tuple(STAGES)]  # type: ignore[valid-type]
REFIT_STAGE = "topics"  # refit by the weekly-refit flow (option refit=true)


def _from_root(path: str | Path) -> str:
    """A relative path read from the working directory (the project root on a worker)."""
    p = Path(path).expanduser()
    return str(p if p.is_absolute() else Path.cwd() / p)


def _config(config_path: str | None, overrides: Sequence[str] | None) -> Config:
    return load_config(_from_root(config_path) if config_path else None, list(overrides or []),
                       cwd=Path.cwd())


def _inputs(config: Config, inputs: Sequence[str] | None, allow_none: bool = False) -> list[str]:
    """``inputs`` or ``schedule.sync_paths``, each resolved and checked to exist."""
    chosen = list(inputs) if inputs else list(typed(config, ScheduleSettings).sync_paths)
    if not chosen and not allow_none:
        raise ConfigError("no input folders: give `inputs` or set schedule.sync_paths (or sync.blogs)")
    resolved = [_from_root(p) for p in chosen]
    missing = [p for p, r in zip(chosen, resolved) if not Path(r).exists()]
    if missing:
        raise ConfigError(f"input path(s) not found under {Path.cwd()}: {', '.join(missing)}: fix schedule.sync_paths or the inputs given")
    return resolved


def _db(config: Config, db_path: str | None) -> str:
    return _from_root(db_path or typed(config, PathsSettings).db)


@task(name="sync", cache_policy=NO_CACHE, retries=0)
def sync_blog(url: str, db_path: str, config_json: str) -> dict:
    """Sync one blog (``pipeline.jobs.sync``), recorded in ``runs`` as ``nightly-sync:sync``."""
    from pipeline.jobs.sync import sync_job

    config = Config(json.loads(config_json))
    with recorded_run(db_path, "nightly-sync:sync", {"url": url}, config) as (run_id, summary):
        summary.update(sync_job(JobContext(db_path, config, run_id, (), {"url": url}), ingest=STAGES["ingest"]))
        summary["run_id"] = run_id
    return summary


@flow(name="nightly-sync", log_prints=True)
def nightly_sync(inputs: list[str] | None = None, db_path: str | None = None,
                 config_path: str | None = None, stages: list[StageName] | None = None,
                 overrides: list[str] | None = None, blogs: list[str] | None = None) -> dict:
    """Bring the database up to date with the live blog and the corpus folders.

    First syncs each blog in ``blogs`` (default ``sync.blogs``): what changed since the
    last sync is fetched and ingested. Then runs ``stages`` (default
    ``schedule.sync_stages``; empty means every stage) on ``inputs`` (default
    ``schedule.sync_paths``, which may be empty when blogs are synced) into ``db_path``
    (default ``paths.db``): the incremental stages pick up what the sync brought.
    ``config_path`` is a config file and ``overrides`` are ``section.key=value`` strings,
    as with ``--config`` and ``--set`` on the command line. A blog that fails to sync
    does not stop the others or the stages; the flow run then ends failed, saying which.
    """
    config = _config(config_path, overrides)
    chosen = list(stages) if stages else list(typed(config, ScheduleSettings).sync_stages)
    chosen_blogs = list(blogs) if blogs is not None else list(typed(config, SyncSettings).blogs)
    paths = _inputs(config, inputs, allow_none=bool(chosen_blogs))
    db = _db(config, db_path)
    synced: dict[str, dict] = {}
    failed: list[str] = []
    for url in chosen_blogs:
        try:
            synced[url] = sync_blog(url, db, config.to_json())
        except Exception as exc:  # noqa: BLE001 - reported below, after the stages ran
            failed.append(f"{url}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")
    summary = main_flow(paths=paths, db_path=db, config_json=config.to_json(), stages=chosen or None,
                        options={}, run_label="nightly-sync")
    summary["sync"] = synced
    if failed:
        from pipeline.sync.feeds import SyncError

        raise SyncError(f"sync failed for {len(failed)} blog(s): " + "; ".join(failed))
    return summary


@flow(name="weekly-refit", log_prints=True)
def weekly_refit(db_path: str | None = None, config_path: str | None = None,
                 then: list[StageName] | None = None, overrides: list[str] | None = None) -> dict:
    """Refit the topic model on every document in ``db_path`` (default ``paths.db``).

    Runs the ``topics`` stage in refit mode (a new model, made current), then the
    stages in ``then`` (default ``schedule.after_refit``), which must come after
    ``topics`` in run order: the stages that read the topics. Then, with
    ``schedule.compact_after_refit``, rewrites the database file without the space the
    week's runs left empty (``probation-corpus compact``).
    """
    config = _config(config_path, overrides)
    after = list(then) if then is not None else list(typed(config, ScheduleSettings).after_refit)
    order = list(STAGES)
    if REFIT_STAGE not in STAGES:
        raise UserError(f"no {REFIT_STAGE!r} stage to refit; stages: {', '.join(STAGES)}")
    early = [s for s in after if s not in STAGES or order.index(s) <= order.index(REFIT_STAGE)]
    if early:
        raise ConfigError(f"schedule.after_refit: {', '.join(early)} do not follow {REFIT_STAGE!r} "
                          f"(stages in order: {', '.join(order)})")
    db = _db(config, db_path)
    summary = main_flow(paths=[], db_path=db, config_json=config.to_json(),
                        stages=[REFIT_STAGE, *after], options={REFIT_STAGE: {"refit": True}},
                        run_label="weekly-refit")
    if typed(config, ScheduleSettings).compact_after_refit:
        summary["compact"] = compact_database(db, config.to_json())
    return summary


@task(name="compact", cache_policy=NO_CACHE, retries=0)
def compact_database(db_path: str, config_json: str) -> dict:
    """Rewrite the database file without the space the week's runs left empty
    (``pipeline.jobs.prune.compact_job``), recorded in ``runs`` as ``weekly-refit:compact``."""
    from pipeline.jobs.prune import compact_job

    config = Config(json.loads(config_json))
    with recorded_run(db_path, "weekly-refit:compact", {}, config) as (run_id, summary):
        summary.update(compact_job(JobContext(db_path, config, run_id)))
        summary["run_id"] = run_id
    return summary


@flow(name="run-stage", log_prints=True)
def run_stage(stage: StageName, inputs: list[str] | None = None, db_path: str | None = None,
              config_path: str | None = None, overrides: list[str] | None = None,
              options: dict[str, Any] | None = None) -> dict:
    """Re-run one stage.

    ``inputs`` (default ``schedule.sync_paths``) matter to ``ingest`` only; ``options``
    go to the stage's job, e.g. ``{"refit": true}`` for ``topics``.
    """
    if stage not in STAGES:
        raise UserError(f"unknown stage {stage!r}; stages: {', '.join(STAGES)}")
    config = _config(config_path, overrides)
    paths = _inputs(config, inputs) if stage == "ingest" else [_from_root(p) for p in inputs or []]
    return main_flow(paths=paths, db_path=_db(config, db_path), config_json=config.to_json(),
                     stages=[stage], options={stage: dict(options or {})}, run_label=f"run-stage:{stage}")
