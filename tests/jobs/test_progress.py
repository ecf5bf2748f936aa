"""Progress as plain log lines: first and last line of each stage, throttled between."""

from __future__ import annotations

from pipeline.jobs.progress import LineProgress, progress_line


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_lines_are_throttled_per_stage():
    lines: list[str] = []
    clock = Clock()
    p = LineProgress(lines.append, interval=5.0, clock=clock)
    p("embed", 0, 100)
    for done in range(1, 100):
        clock.now += 0.5  # 50 s in all: one line per 5 s
        p("embed", done, 100)
    p("embed", 100, 100)
    p("embed", 100, 100)  # a repeat says nothing new
    assert lines[0] == "embed: 0/100 (0%), elapsed 0:00:00"
    assert lines[-1] == "embed: 100/100 (100%), elapsed 0:00:49"
    assert 9 <= len(lines) <= 12
    p("index", 0, 0)
    assert lines[-1] == "index: nothing to do, elapsed 0:00:00"


def test_progress_line():
    assert progress_line("clean", 5, 20, 3725.2) == "clean: 5/20 (25%), elapsed 1:02:05"
