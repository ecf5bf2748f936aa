"""`probation-corpus` command."""

from __future__ import annotations

import csv
import io
import json
import sys

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from pipeline import __version__, api
from pipeline.cli.annotate import annotate, evaluate, train
from pipeline.cli.common import config_options, quiet_prefect, user_errors, writer_options
from pipeline.cli.quotes import quotes
from pipeline.cli.schedule import schedule
from pipeline.cli.topics import topics

console = Console(stderr=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="probation-corpus")
def main() -> None:
    """Turn the 'On Probation' blog into a corpus in DuckDB and study it."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--stage", "stages", multiple=True, help="Run only these stages (repeatable).")
@click.option("--verbose", is_flag=True, help="Show Prefect's logs.")
@config_options
@writer_options
@user_errors
def run(paths, stages, verbose, config, db):
    """The main job: the whole flow (every stage) on PATHS, by default the sample corpus."""
    if not verbose:
        quiet_prefect()
    summary = api.run_stages(paths or None, db, config, stages or None)
    _print_run(summary, api.db_path(config, db))


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--format", "fmt", default=None, help="Force a reader instead of sniffing (see docs/formats.md).")
@click.option("--map", "mapping", multiple=True, metavar="FIELD=COLUMN",
              help="CSV/JSONL column mapping, e.g. --map body=comment_text (repeatable).")
@config_options
@writer_options
@user_errors
def ingest(paths, fmt, mapping, config, db):
    """Ingest files or folders into the database (no other stage)."""
    reader_options = {}
    if mapping:
        reader_options["columns"] = dict(m.split("=", 1) for m in mapping)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=True, disable=not console.is_terminal) as bar:
        tid = bar.add_task("ingest", total=None)

        def progress(label: str, done: int, total: int) -> None:
            bar.update(tid, description=label, completed=done, total=total)

        summary = api.ingest(list(paths), db, config, fmt, reader_options, progress)
    _print_ingest(summary)


@main.command()
@click.argument("query")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
@config_options
@user_errors
def sql(query, fmt, config, db):
    """Run a read-only SQL QUERY against the database."""
    cols, rows = api.sql(query, db, config)
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(cols)
        w.writerows(rows)
        sys.stdout.write(buf.getvalue())
    elif fmt == "json":
        sys.stdout.write(json.dumps([dict(zip(cols, r)) for r in rows], default=str, ensure_ascii=False) + "\n")
    else:
        t = Table(*cols)
        for r in rows:
            t.add_row(*("" if v is None else str(v) for v in r))
        Console().print(t)


@main.command()
@config_options
@user_errors
def status(config, db):
    """Counts by kind and source, quarantine, and the last runs."""
    st = api.status(db, config)
    out = Console()
    out.print(f"database {api.db_path(config, db)} (schema v{st['schema_version']})")
    out.print("documents: " + ", ".join(f"{k}={v}" for k, v in st["by_kind"].items()) or "none")
    t = Table("format", "documents", "declared comments", "parsed comments")
    t.add_column("source", overflow="fold")
    for path, *counts in st["by_source"]:
        t.add_row(*("" if v is None else str(v) for v in counts), path)
    out.print(t)
    out.print(f"quarantine: {st['quarantine_total']} " + " ".join(f"{c}={n}" for c, n in st["quarantine"]))
    t = Table("run", "flow", "started", "finished", "status")
    for r in st["runs"]:
        t.add_row(*("" if v is None else str(v) for v in r))
    out.print(t)


def _print_ingest(summary: dict) -> None:
    oc = summary.get("outcomes", {})
    click.echo(f"{summary.get('files', 0)} files: " + ", ".join(f"{k} {v}" for k, v in oc.items())
               + f"; {summary.get('new_documents', 0)} new documents")
    for err in summary.get("errors", []):
        click.echo(f"  quarantined {err}", err=True)


def _print_run(summary: dict, db: str) -> None:
    click.echo(f"run {summary['run_id']} -> {db}")
    for stage, s in summary["stages"].items():
        if stage == "ingest":
            click.echo("ingest: ", nl=False)
            _print_ingest(s)
        else:
            click.echo(f"{stage}: " + ", ".join(f"{k}={v}" for k, v in s.items() if not isinstance(v, (list, dict))))


# Commands that live in their own modules.
for command in (schedule, annotate, train, evaluate, topics, quotes):
    main.add_command(command)


if __name__ == "__main__":
    main()
