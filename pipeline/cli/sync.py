"""`probation-corpus sync URL`: fetch new and changed posts and comments from the blog."""

from __future__ import annotations

import click

from pipeline.api import Corpus
from pipeline.cli.common import config_options, user_errors


@click.command()
@click.argument("url")
@click.option("--format", "fmt", type=click.Choice(["atom", "json"]), default=None,
              help="Feed format to ask for (default: sync.format).")
@click.option("--full", is_flag=True,
              help="Fetch everything, not only what changed since the last sync, and every post's comments "
                   "(notices all deleted comments).")
@config_options
@user_errors
def sync(url, fmt, full, config, db):
    """Fetch what changed on the blog at URL (its address or a Blogger feed URL) and ingest it."""
    s = Corpus(db, config).sync(url, fmt, full)
    click.echo(f"sync {s['blog']}: {s['pages']} pages ({s['requests']} requests, {s['retries']} retries) "
               f"-> {s['raw_dir']}")
    click.echo(f"{s['new_documents']} new documents, {s['edited']} edited, {s['deleted']} newly deleted")
    for err in s["ingest"].get("errors", []):
        click.echo(f"  quarantined {err}", err=True)
    if s["watermark_held"]:
        click.echo(f"watermark held: {s['watermark_held']}", err=True)
    else:
        click.echo("watermarks: " + ", ".join(f"{k}={v or '-'}" for k, v in s["watermarks"].items()))
