"""`annotate export|import|agreement`, `train` and `evaluate`."""

from __future__ import annotations

import math

import click

from pipeline.api import Corpus
from pipeline.classify.labels import KINDS
from pipeline.cli.common import config_options, user_errors
from pipeline.cli.output import emit, emit_frame, format_option


@click.group()
def annotate() -> None:
    """The human-coding loop: export a sample to code, import codes, measure agreement."""


@annotate.command("export")
@click.option("-n", "--size", "n", type=int, default=None, help="Documents to export (default annotate.sample_size).")
@click.option("--strategy", type=click.Choice(["stratified", "uncertain"]), default=None,
              help="stratified by theme and year, or the documents the models are least sure of.")
@click.option("--coder", default=None, help="Leave out documents this coder has already coded.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Folder for the files (default annotate.export_dir).")
@config_options
@user_errors
def export_cmd(n, strategy, coder, out_dir, config, db):
    """Write a sample of documents to code, as CSV and JSON Lines."""
    s = Corpus(db, config).annotate_export(n, strategy, coder, out_dir)
    click.echo(f"{s['documents']} documents ({s['strategy']}) -> {s['csv']} and {s['jsonl']}")


@annotate.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--coder", required=True, help="Who coded the file; codes are stored per coder.")
@config_options
@user_errors
def import_cmd(file, coder, config, db):
    """Store the codes in FILE (CSV or JSON Lines, export or gold format) for one coder."""
    s = Corpus(db, config).annotate_import(file, coder)
    click.echo(f"{s['documents']} documents coded by {s['coder']}: {s['codes']} codes stored")
    if s["skipped"]:
        click.echo(f"skipped {len(s['skipped'])} row(s) whose document is not in the database "
                   "(ingest it, then import again):", err=True)
        for note in s["skipped"][:10]:
            click.echo(f"  {note}", err=True)


@annotate.command("agreement")
@click.option("--coder", "coders", multiple=True, help="Only these coders (repeatable; default all).")
@format_option()
@config_options
@user_errors
def agreement_cmd(coders, fmt, config, db):
    """Cohen's kappa per pair of coders and Krippendorff's alpha, per label."""
    df = Corpus(db, config).agreement(coders)
    if fmt == "table":
        cols = ["kind", "label", "statistic", "coders", "value", "units", "observed agreement"]
        rows = [(r.label_kind, r.label, r.statistic, r.coders,
                 "undefined" if math.isnan(r.value) else f"{r.value:.3f}", r.units,
                 "" if math.isnan(r.agreement) else f"{r.agreement:.3f}") for r in df.itertuples()]
        emit(cols, rows, fmt)
    else:
        emit_frame(df, fmt)


def _print_scores(summary: dict) -> None:
    for k, v in summary.items():
        if k.count(".") == 2:
            click.echo(f"  {k} = {v}")


@click.command()
@click.option("--kind", "kinds", multiple=True, type=click.Choice(KINDS), help="Models to fit (default all).")
@click.option("--coder", "coders", multiple=True, help="Use only these coders' codes (default all).")
@click.option("--models-dir", default=None, type=click.Path(file_okay=False),
              help="Where to save (default paths.models_dir).")
@config_options
@user_errors
def train(kinds, coders, models_dir, config, db):
    """Fit the theme, sentiment and stance models from the stored codes and save them."""
    s = Corpus(db, config).train(kinds, coders, models_dir)
    click.echo(f"run {s['run_id']}: trained on {s['documents']} documents")
    for kind, folder in s["saved"].items():
        click.echo(f"  {kind} -> {folder}")
    _print_scores(s)


@click.command()
@click.option("--kind", "kinds", multiple=True, type=click.Choice(KINDS), help="Models to evaluate (default all).")
@click.option("--coder", "coders", multiple=True, help="Use only these coders' codes (default all).")
@click.option("--report", default=None, type=click.Path(dir_okay=False),
              help="Markdown report path (default <paths.reports_dir>/evaluation.md).")
@config_options
@user_errors
def evaluate(kinds, coders, report, config, db):
    """Cross-validated P/R/F1, macro-F1 and confusion matrices of every model and baseline."""
    s = Corpus(db, config).evaluate(kinds, coders, report)
    click.echo(f"run {s['run_id']}: {s['documents']} coded documents; report -> {s['report']}")
    _print_scores(s)
