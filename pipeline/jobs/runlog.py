"""Open and close a row in ``runs`` around any job or flow."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from pipeline.config import Config
from pipeline.store import connect
from pipeline.store.runs import finish_run, start_run


def begin(db_path: str, flow: str, params: dict, config: Config, run_id: str | None = None) -> str:
    conn = connect(db_path)
    try:
        return start_run(conn, flow, params, config.to_json(), run_id=run_id)
    finally:
        conn.close()


def end(db_path: str, run_id: str, status: str, summary: dict | None = None, error: str | None = None) -> None:
    conn = connect(db_path)
    try:
        finish_run(conn, run_id, status, summary, error)
    finally:
        conn.close()


@contextmanager
def recorded_run(db_path: str, flow: str, params: dict, config: Config) -> Iterator[tuple[str, dict]]:
    """Yields (run_id, summary); the caller fills summary. Failure is recorded, then re-raised."""
    run_id = begin(db_path, flow, params, config)
    summary: dict = {}
    try:
        yield run_id, summary
    except BaseException as exc:
        end(db_path, run_id, "failed", summary, f"{type(exc).__name__}: {exc}")
        raise
    end(db_path, run_id, "completed", summary)
