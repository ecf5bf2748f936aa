"""The report job: read the store, prepare the charts and tables, write one HTML file."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from pipeline.config import Config
from pipeline.jobs.context import JobContext
from pipeline.quotes.settings import QuoteSettings
from pipeline.report import data as prep
from pipeline.report.page import chart_ids, render
from pipeline.report.settings import ReportSettings
from pipeline.settings import typed
from pipeline.store import connect
from pipeline.store import report as reads


def report_path(db_path: str, config: Config, out: str | None = None) -> Path:
    """``out``, else ``report.out``, else ``report.html`` in the database's folder."""
    chosen = out or typed(config, ReportSettings).out
    return Path(chosen) if chosen else Path(db_path).parent / "report.html"


def build(db_path: str, config: Config) -> prep.ReportData:
    cfg = typed(config, ReportSettings)
    conn = connect(db_path, read_only=True)
    try:
        run_id = reads.latest_classify_run(conn)
        data = prep.ReportData(
            title=cfg.title,
            generated_at=dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            database=str(db_path),
            counts=reads.counts(conn),
            time_bin=cfg.time_bin,
            volume=prep.volume_series(reads.volume(conn), cfg.time_bin),
            undated=reads.undated(conn),
            topics=prep.topic_shares(reads.topics_over_time(conn), cfg.time_bin, cfg.top_topics),
            stance=prep.stance_series(reads.stance_by_theme(conn, run_id)),
            sentiment=prep.sentiment_shares(reads.sentiment_by_theme(conn, run_id)),
            quotes=reads.top_quotes(conn, cfg.quotes_per_theme, cfg.quote_min_chars, None,
                                    typed(config, QuoteSettings).min_confidence),
            quote_max_chars=cfg.quote_max_chars,
            evaluations=reads.evaluations(conn),
            sources=reads.sources(conn),
            quarantine=reads.quarantine(conn),
            runs=reads.runs(conn, cfg.runs_shown),
        )
    finally:
        conn.close()
    return data


def write_report(db_path: str, config: Config, out: str | None = None) -> dict:
    """Write the report; the file is replaced whole (a failure leaves the old one)."""
    path = report_path(db_path, config, out)
    data = build(db_path, config)
    html = render(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, path)
    return {"report": str(path), "charts": len(chart_ids(data)), "quotes": len(data.quotes),
            "evaluations": len(data.evaluations), "bytes": path.stat().st_size}


def report_job(ctx: JobContext) -> dict:
    return write_report(ctx.db_path, ctx.config, ctx.options.get("out"))
