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

from pipeline.clean.settings import CleanSettings
from pipeline.config import Config, load_config, resolve_path
from pipeline.errors import UserError
from pipeline.jobs import STAGES, JobContext
from pipeline.jobs.context import Progress, _no_progress
from pipeline.jobs.runlog import recorded_run
from pipeline.quotes.settings import QuoteSettings
from pipeline.search.settings import SearchSettings
from pipeline.sections import PathsSettings, StoreSettings
from pipeline.settings import typed
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
        self.db = str(db) if db else typed(self.config, PathsSettings).db

    def __repr__(self) -> str:
        return f"Corpus({self.db!r})"

    def _reader_retry(self) -> float:
        return typed(self.config, StoreSettings).reader_retry_s

    def _reader(self):
        """A read-only connection that retries briefly while a run is writing, then says so."""
        return connect(self.db, read_only=True, retry_s=self._reader_retry())

    def default_inputs(self) -> list[str]:
        """What ``run`` reads when given no paths: the bundled sample corpus."""
        return [str(resolve_path(typed(self.config, PathsSettings).sample_corpus))]

    # ---- running stages ------------------------------------------------------------

    def run(self, paths: Sequence[str] | None = None, stages: Sequence[str] | None = None,
            options: dict | None = None, progress: Progress | None = None) -> dict:
        """The main job through the Prefect flow (Prefect's local mode unless a server is set).

        ``progress(label, done, total)``, when given, receives every stage's progress; without
        it, progress goes to the flow run's log."""
        from pipeline.flows.startup import local_server_wait  # Prefect is imported only here
        from pipeline.jobs.runlog import sigterm_interrupts

        # In local mode Prefect's temporary server starts while the flow's modules load.
        with sigterm_interrupts(), local_server_wait(self.config, start_early=True) as server_ready:
            from pipeline.flows.main import main_flow, progress_to

            server_ready()
            with progress_to(progress):
                return main_flow(
                    paths=list(paths) if paths else self.default_inputs(),
                    db_path=self.db,
                    config_json=self.config.to_json(),
                    stages=list(stages) if stages else None,
                    options=options or {},
                )

    def run_stage(self, stage: str, paths: Sequence[str] = (), options: dict | None = None,
                  progress: Progress = _no_progress) -> dict:
        """Run one stage without Prefect's flow (used by ``ingest`` and to re-run a stage).

        Its shards run where ``scale.runner`` says, as in a flow run: with ``"dask"`` on a
        Dask cluster, started (or connected to) only when the stage first hands out a shard."""
        if stage not in STAGES:
            raise UserError(f"unknown stage {stage!r}; stages: {', '.join(STAGES)}")
        from pipeline.flows.dask import dask_for_run, run_mapper  # prefect-dask only when configured

        params = {"paths": list(paths), "stage": stage, "options": options or {}}
        with recorded_run(self.db, stage, params, self.config) as (run_id, summary), \
                dask_for_run(run_id, self.config):
            ctx = JobContext(self.db, self.config, run_id, tuple(paths), options or {}, progress, run_mapper(run_id))
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
        """One read-only query (SELECT, WITH, DESCRIBE, SHOW, EXPLAIN, SUMMARIZE): ``(columns, rows)``.

        Anything else, or more than one statement, is refused with StoreError before it runs;
        the connection cannot write, read files or change its settings. The search macros
        (the fts extension, loaded from its package) work here too."""
        from pipeline.store.connection import connect_query

        queries.check_query(query)
        conn = connect_query(self.db, self._reader_retry())
        try:
            return queries.run_sql(conn, query)
        finally:
            conn.close()

    def status(self) -> dict:
        """Counts by kind and source, quarantine, schema version and the last runs."""
        conn = self._reader()
        try:
            return queries.status(conn)
        finally:
            conn.close()

    def quotes(self, theme: str | None = None, stance: str | None = None, min_chars: int = 0,
               max_chars: int | None = None, limit: int | None = 20, kind: str | None = None, *,
               since: Any = None, until: Any = None, topic: str | int | None = None, search: str | None = None,
               min_words: int = 0, max_words: int | None = None, per_post: int | None = None,
               sample: int | None = None, seed: int = 0, min_confidence: float | None = None,
               citable_only: bool | None = None):
        """A quote set (a DataFrame of ``quotes`` view rows): own words only, verbatim pieces
        with their offsets, date, permalink and author. Labels below ``min_confidence``
        (default ``quotes.min_confidence``) are left out; without a theme each document
        appears once. ``sample`` draws that many rows at random, reproducibly for a ``seed``,
        instead of the most confident; ``per_post`` keeps at most N per post. ``citable_only``
        (default ``quotes.citable_only``) keeps only labels whose calibrated precision on real
        text is at least 0.8 (``label_quality``; docs/classify.md)."""
        from pipeline.quotes.select import per_post as keep_per_post
        from pipeline.quotes.select import sample_order
        from pipeline.store.quotes import QuoteFilter, has_quotes, quote_set, themes_known

        settings = typed(self.config, QuoteSettings)
        floor = float(settings.min_confidence if min_confidence is None else min_confidence)
        f = QuoteFilter(theme=theme, stance=stance, kind=kind, min_chars=min_chars or 0, max_chars=max_chars,
                        min_words=min_words or 0, max_words=max_words, since=_as_date(since, "--since"),
                        until=_as_date(until, "--until"), topic=None if topic is None else str(topic),
                        search=search, min_confidence=floor,
                        citable_only=bool(settings.citable_only if citable_only is None else citable_only))
        conn = self._reader()
        try:
            if not has_quotes(conn):
                raise UserError("no quotes stored yet: run the quotes stage (`probation-corpus run`, or "
                                "`probation-corpus run --stage quotes`)")
            if theme and theme not in themes_known(conn):
                known = ", ".join(themes_known(conn)) or "none yet: run the classify stage"
                raise UserError(f"no quotes for theme {theme!r}; themes with quotes: {known}")
            df = quote_set(conn, f)
        finally:
            conn.close()
        if sample:
            df = sample_order(df, seed)
        df = keep_per_post(df, per_post or 0)
        n = sample or limit
        return df.head(int(n)).reset_index(drop=True) if n else df

    def quote_pseudonymiser(self):
        """The pseudonymiser for quote exports: every author name the corpus holds, hashed
        with the key in ``quotes.pseudonym_key_file`` (created on first use, mode 0600)."""
        from pipeline.quotes.pseudonym import Pseudonymiser, load_or_create_key
        from pipeline.store.quotes import handles

        key = load_or_create_key(typed(self.config, QuoteSettings).pseudonym_key_file)
        conn = self._reader()
        try:
            names = handles(conn)
        finally:
            conn.close()
        return Pseudonymiser(key, names, keep=list(typed(self.config, CleanSettings).anonymous_authors))

    def quote_key_path(self) -> Path:
        """Where the pseudonym key lives (outside every export)."""
        return Path(typed(self.config, QuoteSettings).pseudonym_key_file).expanduser().resolve()

    # ---- search, keyword in context, export ---------------------------------------------

    def search(self, query: str, mode: str = "bm25", theme: str | None = None, stance: str | None = None,
               since=None, until=None, kind: str | None = None, limit: int | None = None):
        """Ranked documents (own words) for ``query`` (a DataFrame; see docs/search.md).

        ``mode``: ``bm25`` (full text), ``semantic`` (cosine similarity of the query's
        embedding to the stored ones, same model) or ``hybrid`` (reciprocal rank fusion).
        """
        from pipeline.store.errors import StoreError
        from pipeline.store.search import search as run_search

        if mode not in SEARCH_MODES:
            raise StoreError(f"unknown search mode {mode!r}; modes: {', '.join(SEARCH_MODES)}")
        if not query or not query.strip():
            raise StoreError("the query is empty: give the words to search for")
        cfg = typed(self.config, SearchSettings)
        conn = self._reader()
        try:
            _check_theme(conn, theme)
            vector = encode_query(query, conn, self.config) if mode in ("semantic", "hybrid") else None
            return run_search(conn, mode, query, vector, _filters(theme, stance, since, until, kind),
                              int(limit or cfg.limit), cfg.rrf_k, cfg.hybrid_candidates)
        finally:
            conn.close()

    def kwic(self, term: str, window: int | None = None, regex: bool = False, theme: str | None = None,
             stance: str | None = None, since=None, until=None, kind: str | None = None,
             limit: int | None = None):
        """Keyword in context over own words: one row per match (a DataFrame with ``left``,
        ``keyword``, ``right`` and the document's ``doc_id``, ``kind``, ``published_at``,
        ``author``, ``post_title``, ``permalink``, ``start``, ``end``)."""
        import pandas as pd

        from pipeline.search import compile_term
        from pipeline.search import kwic as find_kwic
        from pipeline.store.search import kwic_documents

        words = int(window if window is not None else typed(self.config, SearchSettings).kwic_window)
        pattern = compile_term(term, regex)
        conn = self._reader()
        try:
            _check_theme(conn, theme)
            filters = _filters(theme, stance, since, until, kind)
            # a cheap prefilter for a literal term; a regex is matched in Python only (RE2 differs)
            docs = kwic_documents(conn, filters, contains=None if regex else term.split()[0])
        finally:
            conn.close()
        hits = find_kwic(zip(docs.doc_id, docs.own_text), pattern, max(0, words))
        meta = docs.set_index("doc_id")[["kind", "published_at", "author", "post_title", "permalink"]]
        cols = ["doc_id", "kind", "published_at", "author", "left", "keyword", "right", "start", "end",
                "post_title", "permalink"]
        if not hits:
            return pd.DataFrame(columns=cols)
        df = pd.DataFrame([h.__dict__ for h in hits]).join(meta, on="doc_id")[cols]
        return df.head(int(limit)) if limit else df

    def export(self, views: Sequence[str], out_dir: str | Path, fmt: str = "parquet") -> dict:
        """Write each public view to ``out_dir`` (Parquet, CSV or JSON Lines) with a
        ``manifest.json``: schema version, runs, model versions, row counts, sha256 of each
        file, creation time and code version. Returns the manifest."""
        import hashlib
        import json
        from datetime import datetime, timezone

        from pipeline.store.errors import StoreError
        from pipeline.store.runs import code_version
        from pipeline.store.search import blob_columns, export_view, provenance, public_views

        if fmt not in EXPORT_FORMATS:
            raise StoreError(f"unknown export format {fmt!r}; formats: {', '.join(EXPORT_FORMATS)}")
        if not views:
            raise StoreError("name at least one view to export")
        conn = self._reader()
        try:
            known = public_views(conn)
            unknown = [v for v in views if v not in known]
            if unknown:
                raise StoreError(f"unknown view(s) {', '.join(unknown)}; views: {', '.join(known)}")
            out = Path(out_dir)
            out.mkdir(parents=True, exist_ok=True)
            files = []
            for view in dict.fromkeys(views):
                path = out / f"{view}.{fmt}"
                rows = export_view(conn, view, path, fmt)
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                entry = {"view": view, "file": path.name, "format": fmt, "rows": rows, "sha256": digest,
                         "bytes": path.stat().st_size}
                if fmt == "jsonl" and blob_columns(conn, view):
                    entry["base64_columns"] = blob_columns(conn, view)
                files.append(entry)
            manifest = {
                "manifest_version": 1,
                "created_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
                "code_version": code_version(),
                "database": str(Path(self.db).resolve()),
                **provenance(conn),
                "files": files,
            }
        finally:
            conn.close()
        (out / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n",
                                           encoding="utf-8")
        return manifest

    # ---- sync from the live blog ----------------------------------------------------------

    def sync(self, url: str, format: str | None = None, full: bool = False,
             progress: Progress = _no_progress) -> dict:
        """Fetch what changed on the blog at ``url`` since the last sync and ingest it (its own run)."""
        from pipeline.jobs.sync import sync_job

        options = {"url": url, "format": format, "full": full}
        with recorded_run(self.db, "sync", options, self.config) as (run_id, summary):
            summary.update(sync_job(JobContext(self.db, self.config, run_id, (), options, progress),
                                       ingest=STAGES["ingest"]))
            summary["run_id"] = run_id
        return summary

    # ---- the report and the local explorer ------------------------------------------------

    def report(self, out: str | Path | None = None) -> dict:
        """Write the self-contained HTML report (``out``, else ``report.out``, else beside the database)."""
        from pipeline.jobs.report import write_report

        return write_report(self.db, self.config, str(out) if out else None)

    def explore_facets(self) -> dict:
        """What the explorer's quote filters offer: themes, current topics, date range."""
        from pipeline.store.report import facets

        conn = self._reader()
        try:
            return facets(conn)
        finally:
            conn.close()

    def explore_quotes(self, theme: str | None = None, stance: str | None = None, topic: int | None = None,
                       since: str | None = None, until: str | None = None, limit: int = 25, offset: int = 0):
        """Quotes by theme, stance, topic and date for the explorer: (DataFrame, total matching)."""
        from pipeline.store.report import browse_quotes

        conn = self._reader()
        try:
            return browse_quotes(conn, theme, stance, topic, since, until, limit, offset,
                                 typed(self.config, QuoteSettings).min_confidence)
        finally:
            conn.close()

    def thread(self, doc_id: str):
        """The whole thread around a document (its post and every comment, reading order)."""
        from pipeline.store.errors import StoreError
        from pipeline.store.report import thread as read_thread

        conn = self._reader()
        try:
            df = read_thread(conn, doc_id)
        finally:
            conn.close()
        if df.empty:
            raise StoreError(f"no document {doc_id!r} in the database")
        return df

    # ---- housekeeping ------------------------------------------------------------------

    def prune(self, keep_classify_runs: int | None = None, keep_topic_models: int | None = None,
              apply: bool = False) -> dict:
        """Old classify runs (beyond the newest ``keep_classify_runs``), old topic models
        (beyond the newest ``keep_topic_models``, never the current one) and vectors of
        other embedders or of texts no document holds: what would go (``apply=False``,
        read-only), or remove them in one transaction of its own run, recorded in
        ``prune_log`` (``apply=True``). Defaults: ``[prune]``."""
        from pipeline.jobs.prune import preview, prune_job, prune_settings

        options = {"keep_classify_runs": keep_classify_runs, "keep_topic_models": keep_topic_models}
        prune_settings(self.config, options)  # bad counts are refused before anything is opened
        if apply:
            return self._recorded_job("prune", prune_job, options)
        from pipeline.store.migrations import latest_version

        conn = self._reader()
        if conn.execute("SELECT max(version) FROM schema_version").fetchone()[0] < latest_version():
            conn.close()  # a database of an older version: bring its schema up first
            connect(self.db).close()
            conn = self._reader()
        try:
            return preview(conn, self.config, options)
        finally:
            conn.close()

    def compact(self) -> dict:
        """Rewrite the database file densely, in its own run (``pipeline.store.compact``):
        the space earlier runs left empty goes back to the file system. Every table's rows
        are checked before the new file replaces the old one."""
        from pipeline.jobs.prune import compact_job

        return self._recorded_job("compact", compact_job, {})

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

        conn = self._reader()
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
        from pipeline.store import lock

        lock.acquire(self.db, typed(self.config, StoreSettings).lock_wait_s)  # one writer at a time
        try:
            return import_codes(self.db, self.config, path, coder)
        finally:
            lock.release(self.db)

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


SEARCH_MODES = ("bm25", "semantic", "hybrid")
EXPORT_FORMATS = ("parquet", "csv", "jsonl")


def encode_query(query: str, conn, config: Config) -> list[float]:
    """The query's vector from the embedder whose vectors are stored (refused when the
    configured embedder differs: vectors of two models are not comparable)."""
    from pipeline.embed import embed_texts, model_id_for, resolve_device
    from pipeline.embed.registry import cpu_flags
    from pipeline.embed.settings import embed_settings
    from pipeline.store.embed import embed_state
    from pipeline.store.errors import StoreError

    cfg = embed_settings(config.section("embed"))
    state = embed_state(conn)
    if state is None:
        raise StoreError("no stored embeddings: run `probation-corpus run` (the embed stage) first")
    model_id = model_id_for(cfg.model)
    chunking = cfg.chunking
    if (model_id, chunking) != (state["model_id"], state["chunking"]):
        raise StoreError(
            f"the stored embeddings come from {state['model_id']} ({state['chunking']}) but embed.model is "
            f"{model_id} ({chunking}): search with the same model and unit (--set embed.model={state['model']}) "
            "or re-embed with embed.on_model_change=recompute")
    device = resolve_device(cfg.device)
    res = embed_texts([query], cfg.model, 1, device, cfg.chunk_tokens, cfg.chunk_overlap, unit=cfg.unit,
                      precision=cfg.precision(device, cpu_flags()))
    return [float(x) for x in res.vectors[0]]


def _as_date(value: Any, what: str):
    """A date from a ``YYYY-MM-DD`` string (or a date); None stays None."""
    import datetime as _dt

    if value is None or value == "":
        return None
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    try:
        return _dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise UserError(f"{what} {value!r} is not a date: use YYYY-MM-DD, e.g. 2019-06-01") from None


def _filters(theme, stance, since, until, kind):
    from pipeline.store.search import Filters

    def day(v):
        return v.date() if hasattr(v, "date") and callable(v.date) else v

    return Filters(theme, stance.upper() if stance else None, day(since), day(until), kind)


def _check_theme(conn, theme: str | None) -> None:
    from pipeline.store.errors import StoreError
    from pipeline.store.search import known_themes

    if theme and theme not in known_themes(conn):
        known = ", ".join(known_themes(conn)) or "none yet: run the classify stage"
        raise StoreError(f"no document has the theme {theme!r}; themes: {known}")


__all__ = ["Corpus", "EXPORT_FORMATS", "SEARCH_MODES", "encode_query"]
