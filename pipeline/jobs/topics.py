"""Topic jobs. ``topics_job`` (in ``STAGES``) assigns new or changed documents to the
current topic model without refitting, and fits one only when none exists.
``refit_job`` (the separate ``topics refit`` stage) fits a new model on every unique
own text and makes it current."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline.config import resolve_path
from pipeline.embed import content_hash
from pipeline.jobs.context import JobContext, Mapper, Start, apart, cores, shards_run_here, single_threaded_mapper
from pipeline.jobs.tagging import keep_tags, read_tags
from pipeline.nlp import tagger_key
from pipeline.sections import PathsSettings, ScaleSettings
from pipeline.settings import typed
from pipeline.shards import spans
from pipeline.store import connect, transaction
from pipeline.store.documents import now_utc
from pipeline.store.embed import embed_state, load_vectors, unique_own_texts
from pipeline.store.runs import add_model_versions, code_version
from pipeline.store.topics import (
    assigned_hashes,
    current_model,
    drop_doc_topics,
    write_doc_topics,
    write_model,
    write_quotes,
    write_topics,
)
from pipeline.topics import (
    LemmaShard,
    TopicSettings,
    TopicsError,
    assign_to_centroids,
    cluster_embeddings,
    fit_topics,
    lda_metrics,
    lemmatize_shard,
)
from pipeline.topics.compiled import keep_compiled
from pipeline.topics.text import spacy_pipeline
from pipeline.topics.persist import build_card, input_hash, load_centroids, save_fit, saved_model_dir


def _inputs(conn, settings: TopicSettings) -> tuple[pd.DataFrame, dict]:
    """Eligible documents with their content hashes, and the current embedder."""
    state = embed_state(conn)
    if state is None:
        raise TopicsError("no embeddings yet: run the embed stage first")
    docs = unique_own_texts(conn, settings.min_doc_chars)
    docs["content_hash"] = [content_hash(t) for t in docs.own_text]
    return docs, state


def topics_job(ctx: JobContext) -> dict:
    """Assign new documents to the current model (no refit); fit one if there is none.

    With no model and too few documents to fit one, the stage is skipped (the summary
    says why) rather than failing the whole run; ``topics refit`` raises instead.

    ``ctx.options["refit"]`` true (or "true") refits instead (what ``refit_job`` does).
    """
    if str(ctx.options.get("refit", "")).strip().lower() in ("1", "true", "yes"):
        return refit_job(ctx)
    settings = TopicSettings.from_config(ctx.config.section("topics"))
    conn = connect(ctx.db_path)
    try:
        current = current_model(conn)
        n_docs = len(_inputs(conn, settings)[0]) if current is None else 0
    finally:
        conn.close()
    if current is None:
        if n_docs < settings.min_documents():
            ctx.progress("topics", 0, 0)
            return {"action": "skipped", "documents": n_docs,
                    "reason": f"too few documents to fit topics ({n_docs} < {settings.min_documents()})"}
        return refit_job(ctx)
    conn = connect(ctx.db_path)
    try:
        docs, state = _inputs(conn, settings)
        if (state["model_id"], state["chunking"]) != (current["embedding_model_id"], current["embedding_chunking"]):
            raise TopicsError(
                f"the current topic model ({current['run_id']}) was fitted on embeddings from "
                f"{current['embedding_model_id']} but the stored ones are from {state['model_id']}: "
                "run `probation-corpus topics refit`"
            )
        done = assigned_hashes(conn, current["run_id"])
        todo = docs[[done.get(d) != h for d, h in zip(docs.doc_id, docs.content_hash)]]
        gone = sorted(set(done) - set(docs.doc_id))
        ctx.progress("topics", 0, len(todo))
        if len(todo):
            vectors = load_vectors(conn, list(todo.content_hash), state["model_id"], state["chunking"])
            topic_ids, sims = assign_to_centroids(*load_centroids(Path(current["model_path"])), vectors)
            rows = pd.DataFrame({"doc_id": todo.doc_id.values, "topic_id": topic_ids,
                                 "probability": np.clip(sims, 0.0, 1.0), "method": "assigned",
                                 "content_hash": todo.content_hash.values})
        with transaction(conn):
            assigned = write_doc_topics(conn, current["run_id"], rows, ctx.run_id) if len(todo) else 0
            dropped = drop_doc_topics(conn, current["run_id"], gone)
            add_model_versions(conn, ctx.run_id, {"topic_model": current["run_id"]})
    finally:
        conn.close()
    ctx.progress("topics", len(todo), len(todo))
    return {"action": "assign", "model_run": current["run_id"], "documents": len(docs), "assigned": assigned,
            "dropped": dropped, "unchanged": len(docs) - len(todo)}


def refit_job(ctx: JobContext) -> dict:
    """Fit a new topic model on every eligible unique own text; save it and make it current.

    The documents are tagged for their lemmas once: texts tagged before (by classify, an
    earlier fit) are rebuilt from their stored tags, and the tags of the others are
    stored with the fit (``pipeline.jobs.tagging``). The lemmas are made in shards of
    ``scale.shard_size`` texts by the mapper for single-threaded work (the default
    runner's worker processes, ``scale.processes``, or a Dask cluster's workers); while
    they are, this process reduces and clusters the embeddings (UMAP and HDBSCAN, which
    read only the vectors and run on one thread). Then, while BERTopic's steps run here,
    the same mapper fits the LDA baseline (``fit_topics``' ``baseline``; a worker process
    of its own under the default runner). When the shards run here (one process, or one
    shard), one is done after the other.

    The model folder is written first; if the database write then fails, the folder
    is removed, so a failed run leaves both as they were.
    """
    settings = TopicSettings.from_config(ctx.config.section("topics"))
    paths = typed(ctx.config, PathsSettings)
    if paths.compiled_dir:  # UMAP's and pynndescent's numba functions, compiled once for every process
        keep_compiled(resolve_path(paths.compiled_dir))
    conn = connect(ctx.db_path)
    try:
        docs, state = _inputs(conn, settings)
        vectors = load_vectors(conn, list(docs.content_hash), state["model_id"], state["chunking"])
        nlp = spacy_pipeline()
        known = read_tags(conn, nlp, list(docs.content_hash))
    finally:
        conn.close()
    ctx.progress("topics", 0, len(docs))
    mapper = single_threaded_mapper(ctx)
    shard_size = typed(ctx.config, ScaleSettings).shard_size
    make_lemmas = partial(_lemmas, list(docs.own_text), list(docs.content_hash), known, tagger_key(nlp), settings,
                          shard_size, mapper)
    cluster = partial(cluster_embeddings, list(docs.doc_id), vectors, settings, threads=cores())
    here = shards_run_here(mapper, len(docs), shard_size)
    if here:
        clustering = cluster()  # first: it refuses too few documents
        lemmas, fresh_tags = make_lemmas()
    else:  # the shards run elsewhere: UMAP and HDBSCAN (one thread) run here meanwhile
        stop = threading.Event()
        with ThreadPoolExecutor(1, thread_name_prefix="topic-terms") as pool:
            pending = pool.submit(make_lemmas, stop=stop)
            try:
                clustering = cluster()
            except BaseException:  # an error or an interrupt: hand out no more shards
                stop.set()
                raise
            lemmas, fresh_tags = pending.result()
    with apart(mapper) as start:  # the LDA baseline in a worker while the fit goes on here
        baseline = None if here else partial(_start_baseline, start, settings)
        fit = fit_topics(list(docs.doc_id), list(docs.own_text), vectors, settings, lemmas=lemmas,
                         clustering=clustering, baseline=baseline)
    folder = saved_model_dir(paths.models_dir, ctx.run_id)
    in_hash = input_hash(list(docs.doc_id), list(docs.content_hash), f"{state['model_id']}|{state['chunking']}")
    embedding = {"model": state["model"], "model_id": state["model_id"], "chunking": state["chunking"],
                 "device": state["device"]}
    card = build_card(fit, ctx.run_id, settings, embedding, in_hash, code_version(),
                      now_utc().isoformat(timespec="seconds"))
    save_fit(fit, folder, card)
    hashes = dict(zip(docs.doc_id, docs.content_hash))
    rows = fit.assignments.assign(content_hash=[hashes[d] for d in fit.assignments.doc_id])
    conn = connect(ctx.db_path)
    try:
        with transaction(conn):
            write_model(conn, ctx.run_id, str(folder), state["model_id"], state["chunking"], in_hash,
                        len(docs), asdict(settings), fit.metrics, code_version())
            write_topics(conn, ctx.run_id, fit.topics, fit.metrics.get("npmi_per_topic", {}))
            write_doc_topics(conn, ctx.run_id, rows, ctx.run_id)
            write_quotes(conn, ctx.run_id, fit.quotes)
            keep_tags(conn, nlp, fresh_tags)
            add_model_versions(conn, ctx.run_id, {"topic_model": ctx.run_id})
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    finally:
        conn.close()
    ctx.progress("topics", len(docs), len(docs))
    m = fit.metrics
    return {"action": "fit", "model_run": ctx.run_id, "documents": len(docs), "topics": m["n_topics"],
            "npmi": m["npmi"], "diversity": m["diversity"], "outlier_share_before": m["outlier_share_before"],
            "outlier_share_after": m["outlier_share_after"], "model_path": str(folder),
            "lda_npmi": (m.get("lda_baseline") or {}).get("npmi"), "worker_processes": getattr(mapper, "started", 0),
            "metrics": json.loads(json.dumps(m))}


def _start_baseline(start: Start, settings: TopicSettings,
                    lemmas: list[str], vocabulary: list[str], n_topics: int) -> Callable[[], Any]:
    """``fit_topics``' ``baseline``: :func:`lda_metrics` begun by ``start`` (of ``apart``)."""
    return start(partial(lda_metrics, lemmas, vocabulary, settings), n_topics)


def _lemmas(texts: list[str], hashes: list[str], known: dict[str, bytes], key: str | None, settings: TopicSettings,
            shard_size: int, mapper: Mapper, stop: threading.Event | None = None) -> tuple[list[str], dict[str, bytes]]:
    """The topic terms of ``texts`` (content hashes ``hashes``), ``shard_size`` texts per
    shard run by ``mapper``, each shard sent with the stored tags it has (``known``, made
    by tagger ``key``); and the tags of the texts the shards tagged, for the job to store
    (only those made by the same tagger). Once ``stop`` is set, no further shard is taken
    (what was made so far is returned, for a caller that is failing anyway)."""
    shards = (LemmaShard(texts[at:stop], {h: known[h] for h in hashes[at:stop] if h in known}, key)
              for at, stop in spans(len(texts), shard_size))
    lemmas: list[str] = []
    fresh: dict[str, bytes] = {}
    for terms, tags, tagger in mapper(partial(lemmatize_shard, settings=settings), shards):
        lemmas += terms
        if tagger is not None and tagger == key:
            fresh.update(tags)
        if stop is not None and stop.is_set():
            break
    return lemmas, fresh
