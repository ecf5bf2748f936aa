"""The Python API: a :class:`Corpus` is one corpus database with one config, in the style
of sqlite-utils' ``Database``. The CLI is a thin shell over its methods.

    from pipeline.api import Corpus
    corpus = Corpus("outputs/probation.duckdb")
    corpus.ingest(["my/copies/"])
    corpus.run(stages=["clean", "dedupe", "segment"])
    cols, rows = corpus.sql("SELECT kind, count(*) FROM documents GROUP BY kind")
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pipeline.config import Config, load_config, resolve_path
from pipeline.errors import UserError
from pipeline.jobs import STAGES, JobContext
from pipeline.jobs.context import Progress, _no_progress
from pipeline.jobs.runlog import recorded_run
from pipeline.store import connect
from pipeline.store import queries


class Corpus:
    """One corpus database (``db``, default ``paths.db``) and the config its work uses.

    ``config`` is a loaded :class:`~pipeline.config.Config`; or give ``config_path`` and
    ``overrides`` (``["dedupe.near_threshold=0.85"]``) to load one.
    """

    def __init__(self, db: str | Path | None = None, config: Config | None = None, *,
                 config_path: str | Path | None = None,
                 overrides: Mapping[str, Any] | Iterable[str] | None = None):
        self.config = config or load_config(config_path, overrides)
        self.db = str(db) if db else str(self.config.get("paths.db"))

    def __repr__(self) -> str:
        return f"Corpus({self.db!r})"

    def default_inputs(self) -> list[str]:
        """What ``run`` reads when given no paths: the bundled sample corpus."""
        return [str(resolve_path(self.config.get("paths.sample_corpus")))]

    # ---- running stages ------------------------------------------------------------

    def run(self, paths: Sequence[str] | None = None, stages: Sequence[str] | None = None,
            options: dict | None = None) -> dict:
        """The main job through the Prefect flow (Prefect's local mode unless a server is set)."""
        from pipeline.flows.main import main_flow  # Prefect is imported only here

        return main_flow(
            paths=list(paths) if paths else self.default_inputs(),
            db_path=self.db,
            config_json=self.config.to_json(),
            stages=list(stages) if stages else None,
            options=options or {},
        )

    def run_stage(self, stage: str, paths: Sequence[str] = (), options: dict | None = None,
                  progress: Progress = _no_progress) -> dict:
        """Run one stage without Prefect (used by ``ingest`` and to re-run a stage)."""
        if stage not in STAGES:
            raise UserError(f"unknown stage {stage!r}; stages: {', '.join(STAGES)}")
        params = {"paths": list(paths), "stage": stage, "options": options or {}}
        with recorded_run(self.db, stage, params, self.config) as (run_id, summary):
            ctx = JobContext(self.db, self.config, run_id, tuple(paths), options or {}, progress)
            summary.update(STAGES[stage](ctx))
            summary["run_id"] = run_id
        return summary

    def ingest(self, paths: Sequence[str], format: str | None = None, reader_options: dict | None = None,
               progress: Progress = _no_progress) -> dict:
        """Read files or folders into the database (no other stage)."""
        opts: dict = {}
        if format:
            opts["format"] = format
        if reader_options:
            opts["reader_options"] = reader_options
        return self.run_stage("ingest", paths, opts, progress)

    def _recorded_job(self, flow: str, job, options: dict) -> dict:
        """A job that is not a stage (train, evaluate, refit) with its own row in ``runs``."""
        with recorded_run(self.db, flow, {"options": options}, self.config) as (run_id, summary):
            summary.update(job(JobContext(self.db, self.config, run_id, (), options)))
            summary["run_id"] = run_id
        return summary

    # ---- reading ---------------------------------------------------------------------

    def sql(self, query: str) -> tuple[list[str], list[tuple]]:
        """A read-only query: ``(column names, rows)``."""
        conn = connect(self.db, read_only=True)
        try:
            return queries.run_sql(conn, query)
        finally:
            conn.close()

    def status(self) -> dict:
        """Counts by kind and source, quarantine, schema version and the last runs."""
        conn = connect(self.db, read_only=True)
        try:
            return queries.status(conn)
        finally:
            conn.close()

    def quotes(self, theme: str | None = None, stance: str | None = None, min_chars: int = 0,
               max_chars: int | None = None, limit: int = 20, kind: str | None = None):
        """A quote set: own words only, with date, permalink and pseudonym (a DataFrame)."""
        from pipeline.store.quotes import quote_set, themes_known

        conn = connect(self.db, read_only=True)
        try:
            if theme and theme not in themes_known(conn):
                known = ", ".join(themes_known(conn)) or "none yet: run the classify stage"
                raise UserError(f"no quotes for theme {theme!r}; themes with quotes: {known}")
            return quote_set(conn, theme, stance, min_chars, max_chars, limit, kind)
        finally:
            conn.close()

    # ---- topics ------------------------------------------------------------------------

    def topics_refit(self) -> dict:
        """Fit a new topic model on every unique own text and make it current (its own run)."""
        from pipeline.jobs.topics import refit_job

        with recorded_run(self.db, "topics-refit", {}, self.config) as (run_id, summary):
            summary.update(refit_job(JobContext(self.db, self.config, run_id)))
            summary["run_id"] = run_id
        return summary

    def topics_show(self, run_id: str | None = None) -> dict:
        """A topic model (default: the current one): its row, its topics and their quotes."""
        from pipeline.store.errors import StoreError
        from pipeline.store.topics import current_model, model_row, quotes_frame, topics_frame

        conn = connect(self.db, read_only=True)
        try:
            model = model_row(conn, run_id) if run_id else current_model(conn)
            if model is None:
                raise StoreError(f"no topic model {run_id}" if run_id else
                                 "no topic model yet: run `probation-corpus run` or `probation-corpus topics refit`")
            return {"model": model, "topics": topics_frame(conn, model["run_id"]),
                    "quotes": quotes_frame(conn, model["run_id"])}
        finally:
            conn.close()

    # ---- themes, stance, sentiment: the human-coding loop, training, evaluation ---------

    def annotate_export(self, n: int | None = None, strategy: str | None = None, coder: str | None = None,
                        out_dir: str | None = None) -> dict:
        """Write a sample of documents to code (CSV and JSON Lines)."""
        from pipeline.jobs.annotate import export_sample

        return export_sample(self.db, self.config, n, strategy, coder, out_dir)

    def annotate_import(self, path: str | Path, coder: str) -> dict:
        """Store one coder's codes from a CSV or JSON Lines file."""
        from pipeline.jobs.annotate import import_codes

        return import_codes(self.db, self.config, path, coder)

    def agreement(self, coders: Sequence[str] | None = None):
        """Cohen's kappa per coder pair and Krippendorff's alpha per label (a DataFrame)."""
        from pipeline.jobs.annotate import agreement

        return agreement(self.db, self.config, list(coders) if coders else None)

    def train(self, kinds: Sequence[str] | None = None, coders: Sequence[str] | None = None,
              models_dir: str | None = None) -> dict:
        """Fit the theme, sentiment and stance models from the stored codes and save them."""
        from pipeline.jobs.classify import train_job

        options = {"kinds": list(kinds or []), "coders": list(coders or []), "models_dir": models_dir}
        return self._recorded_job("train", train_job, options)

    def evaluate(self, kinds: Sequence[str] | None = None, coders: Sequence[str] | None = None,
                 report: str | None = None) -> dict:
        """Cross-validate every model and baseline on the stored codes; write the report."""
        from pipeline.jobs.classify import evaluate_job

        options = {"kinds": list(kinds or []), "coders": list(coders or []), "report": report}
        return self._recorded_job("evaluate", evaluate_job, options)


__all__ = ["Corpus"]
