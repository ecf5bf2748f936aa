"""`probation-corpus kwic`: keyword in context over authors' own words."""

from __future__ import annotations

import click

from pipeline.api import Corpus
from pipeline.cli.common import config_options, user_errors
from pipeline.cli.filters import filter_options
from pipeline.cli.output import emit, format_option, display
from pipeline.search import align

COLUMNS = ["doc_id", "kind", "published_at", "author", "left", "keyword", "right", "start", "end",
           "post_title", "permalink"]


@click.command("kwic")
@click.argument("term")
@click.option("--window", type=int, default=None, help="Words of context either side (default: search.kwic_window).")
@click.option("--regex", is_flag=True, help="TERM is a (Python) regular expression, matched case-insensitively.")
@filter_options
@click.option("--limit", type=int, default=None, help="Show at most this many lines (default: all).")
@format_option("aligned", "table", "csv", "json")
@config_options
@user_errors
def kwic(term, window, regex, filters, limit, fmt, config, db):
    """Every occurrence of TERM in the authors' own words (never pasted text), with its
    context: left context right-aligned, the keyword, the right context. TERM is matched as
    whole words, case-insensitively, unless --regex."""
    df = Corpus(db, config).kwic(term, window, regex, limit=limit, **filters)
    if fmt == "aligned":
        if df.empty:
            click.echo("no matches", err=True)
            return
        source = [f"{display(d)[:10]:<10} {doc}" for d, doc in zip(df["published_at"], df["doc_id"])]
        lines = align(list(zip(df["left"], df["keyword"], df["right"])))
        for src, line in zip(source, lines):
            click.echo(f"{src}  {line}")
        click.echo(f"{len(df)} matches in {df['doc_id'].nunique()} documents", err=True)
    else:
        emit(COLUMNS, df[COLUMNS].itertuples(index=False, name=None), fmt)
