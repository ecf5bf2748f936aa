"""The run log: every run records its config, code version and model versions."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import uuid
from functools import lru_cache
from pathlib import Path

import duckdb

import pipeline
from pipeline.store.documents import now_utc


@lru_cache(maxsize=1)
def code_version() -> str:
    """Package version plus the git commit (and '-dirty') when run from a checkout."""
    root = Path(pipeline.__file__).resolve().parent.parent
    try:
        sha = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=root, capture_output=True,
                             text=True, timeout=5).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        sha, dirty = "", ""
    v = pipeline.__version__
    return f"{v}+g{sha}{'-dirty' if dirty else ''}" if sha else v


def process_started(pid: int) -> str | None:
    """When process ``pid`` started (clock ticks since boot, Linux), or None if it is gone.
    With the pid, it tells a live run from a dead one whose pid was reused."""
    try:
        stat = open(f"/proc/{pid}/stat", "rb").read().decode(errors="replace")
    except OSError:
        if not os.path.isdir("/proc"):  # not Linux: whether the pid exists at all
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return None
            except PermissionError:
                return ""
            return ""
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def mark_interrupted(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """Mark ``running`` rows of this host whose process is gone (or is another process
    now) ``interrupted``; returns their run ids. Rows of other hosts are left alone."""
    host = socket.gethostname()
    stale = []
    for run_id, pid, started in conn.execute(
            "SELECT run_id, pid, proc_started FROM run_log WHERE status = 'running' AND hostname = ?",
            [host]).fetchall():
        if pid is None:
            continue
        now = process_started(int(pid))
        if now is None or (started and now and now != started):
            stale.append(run_id)
    for run_id in stale:
        conn.execute(
            "UPDATE run_log SET status = 'interrupted', finished_at = ?, error = COALESCE(error, ?)"
            " WHERE run_id = ? AND status = 'running'",
            [now_utc(), "interrupted: its process ended without finishing (killed?)", run_id])
    return stale


def start_run(conn: duckdb.DuckDBPyConnection, flow: str, params: dict, config_json: str,
              model_versions: dict | None = None, run_id: str | None = None) -> str:
    """Open a ``running`` row owned by this process (after marking stale ones interrupted)."""
    mark_interrupted(conn)
    run_id = run_id or uuid.uuid4().hex[:16]
    pid = os.getpid()
    conn.execute(
        "INSERT INTO run_log (run_id, flow, started_at, status, params, code_version, config, model_versions,"
        " pid, hostname, proc_started) VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (run_id) DO NOTHING",
        [run_id, flow, now_utc(), "running", json.dumps(params, default=str), code_version(), config_json,
         json.dumps(model_versions or {}), pid, socket.gethostname(), process_started(pid)],
    )
    return run_id


def finish_run(conn: duckdb.DuckDBPyConnection, run_id: str, status: str, summary: dict | None = None,
               error: str | None = None, model_versions: dict | None = None) -> None:
    conn.execute(
        "UPDATE run_log SET finished_at = ?, status = ?, summary = ?, error = ?,"
        " model_versions = COALESCE(?, model_versions) WHERE run_id = ?",
        [now_utc(), status, json.dumps(summary or {}, default=str), error,
         json.dumps(model_versions) if model_versions else None, run_id],
    )


def add_model_versions(conn: duckdb.DuckDBPyConnection, run_id: str, versions: dict) -> None:
    row = conn.execute("SELECT model_versions FROM run_log WHERE run_id = ?", [run_id]).fetchone()
    if row is None:
        return
    merged = {**json.loads(row[0] or "{}"), **versions}
    conn.execute("UPDATE run_log SET model_versions = ? WHERE run_id = ?", [json.dumps(merged), run_id])
