"""`probation-corpus export`: public views to Parquet, CSV or JSON Lines, with a manifest."""

from __future__ import annotations

import click

from pipeline.api import EXPORT_FORMATS, Corpus
from pipeline.cli.common import config_options, user_errors
from pipeline.cli.output import format_option


@click.command("export")
@click.argument("views", nargs=-1, required=True)
@format_option(*EXPORT_FORMATS)
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Folder to write the files and manifest.json to (created if missing).")
@config_options
@user_errors
def export(views, fmt, out_dir, config, db):
    """Write each VIEW (a public view, docs/schema.md) to OUT as <view>.<format>, plus a
    manifest.json with the schema version, runs, model versions, row counts and the
    sha256 of each file."""
    manifest = Corpus(db, config).export(list(views), out_dir, fmt)
    for f in manifest["files"]:
        click.echo(f"{f['view']}: {f['rows']} rows -> {out_dir}/{f['file']}")
    click.echo(f"manifest: {out_dir}/manifest.json")
