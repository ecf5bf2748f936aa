"""`topics refit` and `topics show`."""

from __future__ import annotations

import json
import sys

import click
from rich.console import Console

from pipeline.api import Corpus
from pipeline.cli.common import config_options, user_errors
from pipeline.cli.output import emit, format_option


@click.group()
def topics() -> None:
    """The topic model: refit it explicitly, show its topics and quotes."""


@topics.command("refit")
@config_options
@user_errors
def refit_cmd(config, db):
    """Fit a new topic model on every unique own text and make it the current one.

    The `topics` stage of `run` only assigns new documents to the current model; this
    is the separate, explicit refit. Needs the embed stage to have run.
    """
    s = Corpus(db, config).topics_refit()
    m = s["metrics"]
    lda = m.get("lda_baseline") or {}
    click.echo(f"topic model {s['model_run']}: {s['topics']} topics on {s['documents']} documents -> {s['model_path']}")
    click.echo(f"NPMI {m['npmi']} (LDA {lda.get('npmi', '-')}), diversity {m['diversity']} "
               f"(LDA {lda.get('diversity', '-')}), outliers {m['outlier_share_before']:.1%} before reduction, "
               f"{m['outlier_share_after']:.1%} after")


@topics.command("show")
@click.option("--run", "run_id", default=None, help="The run that fitted the model (default: the current model).")
@click.option("--quotes", "n_quotes", type=int, default=None, help="Quotes per topic to show (default: all stored).")
@format_option("table", "json")
@config_options
@user_errors
def show_cmd(run_id, n_quotes, fmt, config, db):
    """Labels, sizes, top terms and representative quotes of a topic model."""
    s = Corpus(db, config).topics_show(run_id)
    model, tops, quotes = s["model"], s["topics"], s["quotes"]
    if n_quotes is not None:
        quotes = quotes[quotes["rank"] <= n_quotes]
    if fmt == "json":
        out = {"run_id": model["run_id"], "is_current": bool(model["is_current"]),
               "metrics": json.loads(model["metrics"]), "topics": []}
        for t in tops.itertuples():
            q = quotes[quotes.topic_id == t.topic_id]
            out["topics"].append({"topic_id": int(t.topic_id), "label": t.label, "size": int(t.size),
                                  "top_terms": list(t.top_terms),
                                  "quotes": [{"doc_id": r.doc_id, "quote": r.quote} for r in q.itertuples()]})
        sys.stdout.write(json.dumps(out, ensure_ascii=False, default=str) + "\n")
        return
    console = Console()
    metrics = json.loads(model["metrics"])
    console.print(f"topic model {model['run_id']}{' (current)' if model['is_current'] else ''}: "
                  f"{model['n_documents']} documents at fit, NPMI {metrics.get('npmi')}, "
                  f"diversity {metrics.get('diversity')}, outliers {metrics.get('outlier_share_before')} -> "
                  f"{metrics.get('outlier_share_after')}")
    emit(["topic", "label", "size", "top terms"],
         [(t.topic_id, t.label, t.size, ", ".join(list(t.top_terms)[:10])) for t in tops.itertuples()], "table")
    for t in tops.itertuples():
        q = quotes[quotes.topic_id == t.topic_id]
        if len(q):
            console.print(f"\n[bold]{t.topic_id}: {t.label}[/bold]")
            for r in q.itertuples():
                console.print(f"  {r.rank}. \u201c{r.quote}\u201d [dim]({r.doc_id})[/dim]", highlight=False)
