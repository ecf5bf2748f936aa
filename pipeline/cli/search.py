"""`probation-corpus search`: BM25, semantic or hybrid search over authors' own words."""

from __future__ import annotations

import click

from pipeline.api import Corpus
from pipeline.cli.common import config_options, user_errors
from pipeline.cli.filters import filter_options, short
from pipeline.cli.output import emit, format_option
from pipeline.search.settings import SearchSettings
from pipeline.settings import typed

COLUMNS = ["rank", "score", "bm25_rank", "semantic_rank", "doc_id", "kind", "published_at", "author",
           "post_title", "permalink", "themes", "own_text"]


@click.command("search")
@click.argument("query")
@click.option("--semantic", "mode", flag_value="semantic",
              help="Rank by meaning: cosine similarity of the query's embedding (same model as the stored vectors).")
@click.option("--hybrid", "mode", flag_value="hybrid",
              help="Fuse BM25 and semantic ranks (reciprocal rank fusion, k = search.rrf_k).")
@click.option("--bm25", "mode", flag_value="bm25", default=True, help="Full-text BM25 ranking (the default).")
@filter_options
@click.option("--limit", type=int, default=None, help="Results to show (default: search.limit).")
@format_option()
@config_options
@user_errors
def search(query, mode, filters, limit, fmt, config, db):
    """Search the authors' own words for QUERY: full text (BM25, stemmed) by default,
    --semantic by meaning, --hybrid both. Copies count once; pasted text is never searched."""
    df = Corpus(db, config).search(query, mode or "bm25", limit=limit, **filters)
    df["themes"] = [", ".join(t) for t in df["theme_stances"]]
    df = df.astype(object).where(df.notna(), None)  # nullable integers (<NA>) print as missing
    if fmt == "table":
        n = typed(config, SearchSettings).snippet_chars
        rows = [(r.rank, f"{r.score:.4f}", r.published_at, r.kind, r.author, r.themes, short(r.own_text, n),
                 r.doc_id) for r in df.itertuples()]
        emit(["rank", "score", "published_at", "kind", "author", "themes", "own words", "doc_id"], rows, fmt,
             title=f"{mode or 'bm25'} search: {query}")
        if not rows:
            click.echo("no documents match", err=True)
    else:
        emit(COLUMNS, df[COLUMNS].itertuples(index=False, name=None), fmt)
