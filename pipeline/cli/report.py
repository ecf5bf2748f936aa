"""`probation-corpus report`: the self-contained HTML report."""

from __future__ import annotations

import click

from pipeline.api import Corpus
from pipeline.cli.common import config_options, user_errors


@click.command("report")
@click.option("--out", "out", type=click.Path(dir_okay=False), default=None,
              help="HTML file to write (default: report.out, else report.html beside the database).")
@config_options
@user_errors
def report(out, config, db):
    """Write one offline HTML page: volume, topics, stance and sentiment over time, top quotes
    per theme, label accuracy and provenance."""
    summary = Corpus(db, config).report(out)
    click.echo(f"{summary['report']}: {summary['charts']} charts, {summary['quotes']} quotes, "
               f"{summary['evaluations']} evaluation rows, {summary['bytes'] // 1024} KiB")
