"""The result line a benchmark's child process prints, and how the parent finds it.

A child prints ``RESULT {json}`` on a line of its own (it starts with a line break): a
progress bar on the same stream ends its lines with carriage returns only, and a result
printed after one shared its line, so a parent that looked only at line starts missed
it (the classify child of two 30k runs)."""

from __future__ import annotations

import json

PREFIX = "RESULT "


def find_result(stdout: str) -> dict | None:
    """The last result a child printed, wherever on its line it starts; None if none."""
    at = stdout.rfind(PREFIX + "{")
    if at < 0:
        return None
    line = stdout[at + len(PREFIX):].splitlines()[0]
    return json.loads(line)
