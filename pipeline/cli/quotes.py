"""`probation-corpus quotes`: quote sets for writers."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from pipeline.api import Corpus
from pipeline.cli.common import config_options, user_errors
from pipeline.cli.output import emit, format_option
from pipeline.errors import UserError
from pipeline.quotes.settings import QuoteSettings
from pipeline.settings import typed

STANCES = click.Choice(["FAVOR", "AGAINST", "NONE"], case_sensitive=False)


def _cell(column: str, value, fmt: str):
    """Lists (offsets, names) as JSON text in CSV and tables; as lists in JSON."""
    if isinstance(value, list) and fmt != "json":
        return json.dumps(value, ensure_ascii=False) if column == "pieces" else "; ".join(map(str, value))
    return value


@click.command("quotes")
@click.option("--theme", default=None, help="A theme (see docs/classify.md), e.g. napo.")
@click.option("--stance", type=STANCES, default=None, help="FAVOR, AGAINST or NONE toward the theme's target.")
@click.option("--since", default=None, metavar="YYYY-MM-DD", help="Only quotes dated on or after this day.")
@click.option("--until", default=None, metavar="YYYY-MM-DD", help="Only quotes dated on or before this day.")
@click.option("--topic", default=None, help="A topic id of the current topic model, or words of its label.")
@click.option("--search", default=None, metavar="TEXT", help="Only quotes containing every word of TEXT.")
@click.option("--min-words", type=int, default=0, help="Shortest quote in words.")
@click.option("--max-words", type=int, default=None, help="Longest quote in words.")
@click.option("--min-chars", type=int, default=40, show_default=True, help="Shortest quote in characters.")
@click.option("--max-chars", type=int, default=None, help="Longest quote in characters.")
@click.option("--all-labels", is_flag=True,
              help="Also labels whose precision on real text is under 0.8 (default: quotes.citable_only).")
@click.option("--min-confidence", type=float, default=None,
              help="Least label confidence (default: quotes.min_confidence).")
@click.option("--kind", type=click.Choice(["post", "comment"]), default=None)
@click.option("--per-post", type=int, default=None, metavar="N", help="At most N quotes from each post.")
@click.option("--sample", type=int, default=None, metavar="N",
              help="A random sample of N quotes instead of the most confident.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of --sample (same seed, same sample).")
@click.option("--context", is_flag=True, help="Show the comment each quote answers (first sentence, author).")
@click.option("--pseudonymise", is_flag=True,
              help="Replace every author and handle by a keyed-hash pseudonym (key: quotes.pseudonym_key_file).")
@click.option("--limit", type=int, default=20, show_default=True)
@format_option("md", "table", "csv", "json", "docx")
@click.option("--out", "out_path", type=click.Path(dir_okay=False), default=None,
              help="Write to FILE instead of the terminal (required for docx).")
@config_options
@user_errors
def quotes(theme, stance, since, until, topic, search, min_words, max_words, min_chars, max_chars,
           all_labels, min_confidence, kind, per_post, sample, seed, context, pseudonymise, limit, fmt, out_path, config, db):
    """Quote sets by theme and stance: authors' own words exactly as written (never pasted
    or quoted text; [...] marks words left out), each with date, post, permalink and author,
    most confident first."""
    from pipeline.quotes.render import header_lines, to_docx, to_markdown
    from pipeline.quotes.select import publication_frame, pseudonymise_frame

    if out_path and not Path(out_path).expanduser().parent.is_dir():
        raise UserError(f"--out {out_path}: its folder does not exist; create it or choose another file")
    if fmt == "docx" and not out_path:
        raise UserError("--format docx writes a file: add --out FILE.docx")
    for name, v in (("--sample", sample), ("--per-post", per_post), ("--limit", limit)):
        if v is not None and v < 1:
            raise UserError(f"{name} must be at least 1")
    corpus = Corpus(db, config)
    if out_path and pseudonymise and Path(out_path).expanduser().resolve() == corpus.quote_key_path():
        raise UserError("--out names the pseudonym key file: choose another file")
    settings = typed(config, QuoteSettings)
    floor = float(settings.min_confidence if min_confidence is None else min_confidence)
    df = corpus.quotes(theme, stance, min_chars, max_chars, limit, kind, since=since, until=until,
                       topic=topic, search=search, min_words=min_words, max_words=max_words, per_post=per_post,
                       sample=sample, seed=seed, min_confidence=floor,
                       citable_only=False if all_labels else None)
    table = publication_frame(df, context=context)
    if pseudonymise:
        table = pseudonymise_frame(table, corpus.quote_pseudonymiser())
    selection = {"theme": theme, "stance": stance and stance.upper(), "since": since, "until": until,
                 "topic": topic, "search": search, "kind": kind}
    citable = not all_labels and settings.citable_only
    header = header_lines(selection, len(table), floor, pseudonymise, (sample, seed) if sample else None,
                          citable_only=citable)
    if fmt == "docx":
        to_docx(table, header, context).save(out_path)
        click.echo(f"{len(table)} quotes -> {out_path}", err=True)
        return
    stream = open(out_path, "w", encoding="utf-8", newline="") if out_path else sys.stdout
    try:
        if fmt == "md":
            stream.write(to_markdown(table, header, context) if len(table) else
                         "no quotes match" + (" (only labels citable on real text are used: --all-labels "
                                              "shows the others)" if citable else "") + "\n")
        else:
            if fmt != "table":
                for h in header:
                    click.echo(h, err=True)
            cols = list(table.columns) if fmt != "table" else [
                c for c in ("theme", "stance", "pseudonym", "date", "post_title", "quote", "context_author",
                            "names_flagged") if c in table.columns]
            rows = [[_cell(c, v, fmt) for c, v in zip(cols, r)]
                    for r in table[cols].itertuples(index=False, name=None)]
            emit(cols, rows, fmt, out=stream, title=" ".join(header[:2]) if fmt == "table" else None)
    finally:
        if out_path:
            stream.close()
    if out_path:
        click.echo(f"{len(table)} quotes -> {out_path}", err=True)
