"""Progress reports as plain log lines (for logs, pipes and Prefect workers): one line when
a stage starts, then at most one every ``interval`` seconds, and one when it is done."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field


def format_elapsed(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"


def progress_line(label: str, done: int, total: int, elapsed: float) -> str:
    """``embed: 120/684 (17%), elapsed 0:00:12``; a stage with nothing to do says so."""
    if total <= 0:
        return f"{label}: nothing to do, elapsed {format_elapsed(elapsed)}"
    pct = int(100 * min(done, total) / total)
    return f"{label}: {done}/{total} ({pct}%), elapsed {format_elapsed(elapsed)}"


@dataclass
class LineProgress:
    """A ``Progress`` callback ``(label, done, total)`` that writes throttled lines."""

    write: Callable[[str], None]
    interval: float = 5.0
    clock: Callable[[], float] = time.monotonic
    _started: dict[str, float] = field(default_factory=dict)
    _last: dict[str, tuple[float, int, int]] = field(default_factory=dict)

    def __call__(self, label: str, done: int, total: int) -> None:
        now = self.clock()
        start = self._started.setdefault(label, now)
        last = self._last.get(label)
        finished = done >= total
        if last is not None:
            last_time, last_done, last_total = last
            if (last_done, last_total) == (done, total):
                return  # nothing new
            if not finished and now - last_time < self.interval:
                return
        self._last[label] = (now, done, total)
        self.write(progress_line(label, done, total, now - start))
