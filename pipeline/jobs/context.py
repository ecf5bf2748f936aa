from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from pipeline.config import Config

Progress = Callable[[str, int, int], None]  # (label, done, total)


def _no_progress(label: str, done: int, total: int) -> None:
    return None


@dataclass(frozen=True)
class JobContext:
    """Everything a stage job needs. Plain values only (paths, not connections)."""

    db_path: str
    config: Config
    run_id: str
    paths: tuple[str, ...] = ()
    options: dict = field(default_factory=dict)
    progress: Progress = _no_progress
