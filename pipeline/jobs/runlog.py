"""Open and close a row in ``runs`` around any job or flow.

A run holds the database's writer lock (``<db>.lock``) from ``begin`` to ``end`` and ends
with a status: ``completed``, ``failed`` (with the error's first line) or ``interrupted``
(Ctrl-C, SIGTERM, a cancelled flow). A run killed outright leaves a ``running`` row; the
next run on the same host finds its process gone and marks it ``interrupted``."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from pipeline.config import Config
from pipeline.sections import StoreSettings
from pipeline.settings import typed
from pipeline.store import connect
from pipeline.store import lock
from pipeline.store.runs import finish_run, start_run

# Exceptions that mean the run was stopped from outside, not that it failed.
INTERRUPTIONS = ("KeyboardInterrupt", "SystemExit", "TerminationSignal", "Abort", "CancelledError",
                 "Cancelled", "RunInterrupted")


class RunInterrupted(KeyboardInterrupt):
    """SIGTERM arrived during a run."""


def ending(exc: BaseException) -> tuple[str, str]:
    """(status, one-line error) for a run that raised ``exc``."""
    first = (str(exc).strip().splitlines() or [""])[0]
    line = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    interrupted = any(t.__name__ in INTERRUPTIONS for t in type(exc).__mro__)
    return ("interrupted" if interrupted else "failed"), line


def _on_sigterm(signum, frame):
    raise RunInterrupted(f"signal {signum} (SIGTERM)")


def begin(db_path: str, flow: str, params: dict, config: Config, run_id: str | None = None) -> str:
    """Take the writer lock (waiting up to store.lock_wait_s) and open a ``running`` row."""
    lock.acquire(db_path, typed(config, StoreSettings).lock_wait_s)
    try:
        conn = connect(db_path)
        try:
            return start_run(conn, flow, params, config.to_json(), run_id=run_id)
        finally:
            conn.close()
    except BaseException:
        lock.release(db_path)
        raise


def end(db_path: str, run_id: str, status: str, summary: dict | None = None, error: str | None = None) -> None:
    """Close the row with its status and release the writer lock."""
    try:
        conn = connect(db_path)
        try:
            finish_run(conn, run_id, status, summary, error)
        finally:
            conn.close()
    finally:
        lock.release(db_path)


@contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """In the main thread, SIGTERM raises RunInterrupted (so the run can record it)
    unless something else already handles SIGTERM."""
    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        yield
        return
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


@contextmanager
def recorded_run(db_path: str, flow: str, params: dict, config: Config) -> Iterator[tuple[str, dict]]:
    """Yields (run_id, summary); the caller fills summary. A failure or interruption is
    recorded, then re-raised."""
    with sigterm_interrupts():
        run_id = begin(db_path, flow, params, config)
        summary: dict = {}
        try:
            yield run_id, summary
        except BaseException as exc:
            status, error = ending(exc)
            end(db_path, run_id, status, summary, error)
            raise
        end(db_path, run_id, "completed", summary)
