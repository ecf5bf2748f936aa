"""`probation-corpus quotes`: quote sets for writers."""

from __future__ import annotations

import json
import sys

import click
from rich.console import Console
from rich.table import Table

from pipeline.api import Corpus
from pipeline.cli.common import config_options, user_errors

STANCES = click.Choice(["FAVOR", "AGAINST", "NONE"], case_sensitive=False)


def to_markdown(df) -> str:
    """Each quote as a block quote followed by pseudonym, date, permalink and labels."""
    out = []
    for r in df.itertuples():
        when = "undated"
        if r.published_at is not None and str(r.published_at) != "NaT":
            when = r.published_at.date().isoformat() + (" (post date)" if r.date_is_post_date else "")
        link = r.permalink if isinstance(r.permalink, str) and r.permalink else "(no permalink)"
        quote = "\n".join("> " + line if line else ">" for line in r.quote.splitlines())
        out.append(f"{quote}\n\n— {r.pseudonym}, {when}, {link} ({r.theme}, {r.stance}, "
                   f"on \"{r.post_title or 'untitled post'}\")\n")
    return "\n".join(out)


@click.command("quotes")
@click.option("--theme", default=None, help="A theme (see docs/classify.md), e.g. napo.")
@click.option("--stance", type=STANCES, default=None, help="FAVOR, AGAINST or NONE toward the theme's target.")
@click.option("--min-chars", type=int, default=40, show_default=True, help="Shortest quote.")
@click.option("--max-chars", type=int, default=None, help="Longest quote.")
@click.option("--kind", type=click.Choice(["post", "comment"]), default=None)
@click.option("--limit", type=int, default=20, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["md", "table", "csv", "json"]), default="md", show_default=True)
@config_options
@user_errors
def quotes(theme, stance, min_chars, max_chars, kind, limit, fmt, config, db):
    """Quote sets by theme and stance: authors' own words (never pasted text), each with
    date, permalink and pseudonym, most confident first."""
    df = Corpus(db, config).quotes(theme, stance, min_chars, max_chars, limit, kind)
    cols = ["theme", "stance", "pseudonym", "published_at", "permalink", "post_title", "quote", "doc_id"]
    if fmt == "md":
        sys.stdout.write(to_markdown(df) if len(df) else "no quotes match\n")
    elif fmt == "csv":
        df[cols].to_csv(sys.stdout, index=False)
    elif fmt == "json":
        sys.stdout.write(json.dumps(json.loads(df[cols].to_json(orient="records", date_format="iso")),
                                    ensure_ascii=False, indent=1) + "\n")
    else:
        t = Table(*cols[:-2])
        for r in df[cols[:-2]].itertuples(index=False):
            t.add_row(*("" if v is None else str(v) for v in r))
        Console().print(t)
