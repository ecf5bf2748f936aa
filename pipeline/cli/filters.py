"""The filters shared by `search` and `kwic`: theme, stance, dates, kind."""

from __future__ import annotations

import functools

import click

STANCES = click.Choice(["FAVOR", "AGAINST", "NONE"], case_sensitive=False)
DAY = click.DateTime(formats=["%Y-%m-%d"])


def filter_options(fn):
    """--theme, --stance, --since, --until, --kind; passes ``filters`` (a dict for the api)."""

    @click.option("--theme", default=None, help="Only documents with this theme (latest classify run), e.g. napo.")
    @click.option("--stance", type=STANCES, default=None,
                  help="Only documents with this stance (toward --theme's target, or any theme's).")
    @click.option("--since", type=DAY, default=None, help="Published on or after this day (YYYY-MM-DD).")
    @click.option("--until", type=DAY, default=None, help="Published on or before this day (YYYY-MM-DD).")
    @click.option("--kind", type=click.Choice(["post", "comment"]), default=None)
    @functools.wraps(fn)
    def wrapper(*args, theme, stance, since, until, kind, **kwargs):
        filters = {"theme": theme, "stance": stance, "since": since.date() if since else None,
                   "until": until.date() if until else None, "kind": kind}
        return fn(*args, filters=filters, **kwargs)

    return wrapper


def short(text, n: int) -> str:
    """``text`` on one line, cut to ``n`` characters with … when longer."""
    flat = " ".join(str(text or "").split())
    return flat if len(flat) <= n else flat[: max(0, n - 1)].rstrip() + "…"
