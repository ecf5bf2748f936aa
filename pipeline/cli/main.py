"""`probation-corpus` command."""

from __future__ import annotations

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from pipeline import __version__
from pipeline.api import Corpus
from pipeline.cli.annotate import annotate, evaluate, train
from pipeline.cli.common import config_options, quiet_prefect, user_errors, writer_options
from pipeline.cli.export import export
from pipeline.cli.kwic import kwic
from pipeline.cli.output import emit, format_option
from pipeline.cli.progress import stage_progress
from pipeline.cli.prune import compact, prune
from pipeline.cli.quotes import quotes
from pipeline.cli.report import report
from pipeline.cli.schedule import schedule
from pipeline.cli.search import search
from pipeline.cli.serve import serve
from pipeline.cli.sync import sync
from pipeline.cli.topics import topics
from pipeline.records import UNPLACED_ROW
from pipeline.sections import ProgressSettings
from pipeline.settings import typed

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
    corpus = Corpus(db, config)
    with stage_progress(console, typed(config, ProgressSettings).log_interval) as progress:
        summary = corpus.run(paths or None, stages or None, progress=progress)
    _print_run(summary, corpus.db)


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

        summary = Corpus(db, config).ingest(list(paths), fmt, reader_options, progress)
    _print_ingest(summary)


@main.command()
@click.argument("query")
@format_option()
@config_options
@user_errors
def sql(query, fmt, config, db):
    """Run a read-only SQL QUERY against the database."""
    cols, rows = Corpus(db, config).sql(query)
    emit(cols, rows, fmt)


@main.command()
@format_option()
@config_options
@user_errors
def status(fmt, config, db):
    """Counts by kind and source, quarantine, the last runs, and the file's size."""
    corpus = Corpus(db, config)
    st = corpus.status()
    if fmt == "json":
        emit(["database", "schema_version", "size", "by_kind", "quarantine_total", "quarantine", "sources", "runs"],
             [(corpus.db, st["schema_version"], st["size"], st["by_kind"], st["quarantine_total"],
               dict(st["quarantine"]),
               [dict(zip(["source", "format", "documents", "declared_comments", "parsed_comments"], r))
                for r in st["by_source"]],
               [dict(zip(["run", "flow", "started", "finished", "status"], r)) for r in st["runs"]])], "json")
        return
    size = st["size"]
    click.echo(f"database {corpus.db} (schema v{st['schema_version']}; {size['bytes'] / 2**20:.1f} MiB, "
               f"{size['free_bytes'] / 2**20:.1f} MiB in free blocks; `compact` also packs part-filled ones)")
    click.echo("documents: " + (", ".join(f"{k}={v}" for k, v in st["by_kind"].items()) or "none"))
    emit(["format", "documents", "declared comments", "parsed comments", "source"],
         [(*counts, path) for path, *counts in st["by_source"]], fmt)
    click.echo(f"quarantine: {st['quarantine_total']} " + " ".join(f"{c}={n}" for c, n in st["quarantine"]))
    emit(["run", "flow", "started", "finished", "status"], st["runs"], fmt)


def _print_ingest(summary: dict) -> None:
    oc = summary.get("outcomes", {})
    click.echo(f"{summary.get('files', 0)} files: " + ", ".join(f"{k} {v}" for k, v in oc.items())
               + f"; {summary.get('new_documents', 0)} new documents")
    for err in summary.get("errors", []):
        click.echo(f"  quarantined {err}", err=True)
    if summary.get("unplaced_rows"):
        click.echo(f"  {summary['unplaced_rows']} table rows wait for a post or parent comment not read yet "
                   f"(quarantine code {UNPLACED_ROW}): ingest their files again once it is", err=True)


def _print_run(summary: dict, db: str) -> None:
    click.echo(f"run {summary['run_id']} -> {db}")
    for stage, s in summary["stages"].items():
        if stage == "ingest":
            click.echo("ingest: ", nl=False)
            _print_ingest(s)
        else:
            click.echo(f"{stage}: " + ", ".join(f"{k}={v}" for k, v in s.items() if not isinstance(v, (list, dict))))
    if "report" in summary:
        click.echo(f"report: {summary['report']['report']}")


# Commands that live in their own modules.
for command in (schedule, annotate, train, evaluate, topics, quotes, search, kwic, export,
                sync, report, serve, prune, compact):
    main.add_command(command)


if __name__ == "__main__":
    main()
