"""`probation-corpus prune` (what old runs, models and vectors hold, and removing them) and
`probation-corpus compact` (the file rewritten without its empty space)."""

from __future__ import annotations

import json

import click

from pipeline.api import Corpus
from pipeline.cli.common import config_options, user_errors, writer_options
from pipeline.cli.output import emit, format_option


@click.command("prune")
@click.option("--keep-classify-runs", type=click.IntRange(min=1), default=None, metavar="N",
              help="Classify runs to keep, newest first (default: prune.keep_classify_runs).")
@click.option("--keep-topic-models", type=click.IntRange(min=1), default=None, metavar="N",
              help="Topic models to keep, newest first; the current one always (default: prune.keep_topic_models).")
@click.option("--apply", is_flag=True, default=False, help="Remove them (without it, only list what would go).")
@format_option("table", "json")
@config_options
@writer_options
@user_errors
def prune(keep_classify_runs, keep_topic_models, apply, fmt, config, db):
    """Old classify runs, old topic models and vectors nothing current can use: list them,
    or remove them with --apply.

    Kept always: the latest classify run (and every row it carries from older runs), the
    current topic model, and the current embedder's vectors of texts in the corpus. What
    --apply removes is recorded in `prune_log`; cite or export a run before pruning it.
    The file keeps its size; later runs reuse the freed space.
    """
    s = Corpus(db, config).prune(keep_classify_runs, keep_topic_models, apply)
    if fmt == "json":
        click.echo(json.dumps(s, default=str, ensure_ascii=False))
        return
    emit(["kind", "item", "created", "rows"],
         [(i["kind"], i["item"], i["created_at"] or "", i["n_rows"]) for i in s["items"]], fmt)
    verb = "removed" if s["applied"] else "would remove"
    click.echo(f"{verb}: {len(s['items'])} item(s), {s['rows']} rows (keeping {s['keep_classify_runs']} classify "
               f"run(s), {s['keep_topic_models']} topic model(s)); database {s['database_used_mib']} MiB used, "
               f"{s['database_free_mib']} MiB free")
    for folder in s.get("folders_removed", []):
        click.echo(f"removed folder {folder}")
    for problem in s.get("folders_left", []):
        click.echo(f"could not remove {problem}", err=True)
    if not s["applied"] and s["items"]:
        click.echo("run again with --apply to remove them")


@click.command("compact")
@config_options
@writer_options
@user_errors
def compact(config, db):
    """Rewrite the database file without the space earlier runs left empty.

    DuckDB does not give space back to the file system, and every run leaves some behind
    (a few MB a night for a nightly sync); this copies everything into a new file, checks
    every table's rows, and puts it in the old file's place. Holds the writer lock.
    """
    s = Corpus(db, config).compact()
    click.echo(f"database {s['mib_before']} MiB ({s['mib_free_before']} MiB free) -> {s['mib_after']} MiB; "
               f"{s['tables']} tables, {s['rows']} rows checked, {s['seconds']} s")
