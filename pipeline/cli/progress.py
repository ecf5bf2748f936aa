"""Per-stage progress of `run`: a live bar per stage on a terminal (rich), plain log lines
(``pipeline.jobs.progress.LineProgress``) when the output is not a terminal."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from pipeline.jobs.context import Progress as ProgressCallback
from pipeline.jobs.progress import LineProgress


@contextmanager
def stage_progress(console: Console, interval: float) -> Iterator[ProgressCallback]:
    """Yields the callback ``(label, done, total)`` to hand to the stages."""
    if not console.is_terminal:
        yield LineProgress(lambda line: click.echo(line, err=True), interval)
        return
    with Progress(TextColumn("{task.description:<9}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console) as bar:
        tasks: dict[str, int] = {}

        def report(label: str, done: int, total: int) -> None:
            if label not in tasks:
                tasks[label] = bar.add_task(label, total=total or None)
            bar.update(tasks[label], completed=done, total=total or None)
            if total <= 0 or done >= total:
                bar.update(tasks[label], total=max(total, done, 1), completed=max(total, done, 1))
                bar.stop_task(tasks[label])

        yield report
