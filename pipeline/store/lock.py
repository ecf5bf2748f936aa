"""One writer at a time: a lock file beside the database (``<db>.lock``), held by every
command that writes for the whole of its run. A second writer waits for it (and says so
in one line), up to ``store.lock_wait_s`` seconds (``--wait``), then stops with one line.

The lock is re-entrant within a process (a flow that runs stages holds it once)."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

from filelock import FileLock, Timeout

from pipeline.store.errors import StoreError

_LOCKS: dict[str, FileLock] = {}
_GUARD = threading.Lock()


def lock_path(db_path: str | Path) -> Path:
    p = Path(db_path)
    return p.with_name(p.name + ".lock")


def _lock_for(db_path: str | Path) -> FileLock:
    path = lock_path(db_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = os.path.realpath(path)
    with _GUARD:
        if key not in _LOCKS:
            _LOCKS[key] = FileLock(key, thread_local=False)
        return _LOCKS[key]


def acquire(db_path: str | Path, wait_s: float) -> None:
    """Take the writer lock of ``db_path``; wait up to ``wait_s`` seconds for another writer."""
    lock = _lock_for(db_path)
    try:
        lock.acquire(timeout=0)
        return
    except Timeout:
        pass
    print(f"another run is writing to {db_path}: waiting up to {wait_s:g} s for it to finish "
          "(--wait SECONDS, store.lock_wait_s)", file=sys.stderr, flush=True)
    try:
        lock.acquire(timeout=max(0.0, float(wait_s)))
    except Timeout:
        raise StoreError(
            f"another run is still writing to {db_path} after {wait_s:g} s: try again when it has "
            "finished, or wait longer with --wait SECONDS"
        ) from None


def release(db_path: str | Path) -> None:
    lock = _lock_for(db_path)
    if lock.is_locked:
        lock.release()


def held(db_path: str | Path) -> bool:
    """Whether this process holds the writer lock of ``db_path``."""
    return _lock_for(db_path).is_locked
