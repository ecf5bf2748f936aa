"""Classify, train and evaluate jobs.

``classify_job`` is a stage (themes with stance, document and sentence sentiment of every
document's own text, with the shipped or latest trained models). ``train_job`` and
``evaluate_job`` are called by the CLI: they read the stored codes, cross-validate every
method and baseline, and (train) fit and save the models with model cards.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline.classify.errors import ClassifySettingError, TrainingDataError
from pipeline.annotate.gold import consolidate
from pipeline.classify.apply import classify_texts
from pipeline.classify.cards import label_quality_frame, library_versions, model_card
from pipeline.classify.encoder import check_same_embedder, reusing_encoder
from pipeline.classify.features import context_text
from pipeline.classify.incremental import input_hash, plan, run_key
from pipeline.classify.labels import KINDS
from pipeline.classify.models import apply_params, load_models, load_nli
from pipeline.classify.settings import classify_settings
from pipeline.classify.nli import NLIStance
from pipeline.classify.persist import save_model
from pipeline.classify.report import evaluation_rows, markdown_report
from pipeline.classify.shard import ClassifyShard, classify_shard, sentence_embedder, shard_requests
from pipeline.classify.similarity import Encoder, theme_vectors
from pipeline.classify.taxonomy import Taxonomy, taxonomy_from_config
from pipeline.classify.text import load_nlp
from pipeline.classify.training import (
    LabelledSet,
    TrainParams,
    cv_sentiment,
    cv_stance,
    cv_themes,
    fit_sentiment_model,
    fit_stance_model,
    fit_theme_model,
    labelled_set,
)
from pipeline.config import Config, resolve_path
from pipeline.embed import content_hash, model_id_for
from pipeline.embed.settings import embed_settings
from pipeline.jobs.context import JobContext, Mapper, shards_run_here, single_threaded_mapper
from pipeline.jobs.tagging import store_tagger
from pipeline.nlp import Tagger, tagger_key
from pipeline.store import connect, set_memory, transaction
from pipeline.store.annotate import read_codes
from pipeline.store.classify import (
    add_classification,
    carry_classification,
    classification_counts,
    classify_inputs,
    finish_classification,
    post_texts,
    previous_classification,
    sentence_vectors,
    start_classification,
    write_evaluations_of_kind,
    write_label_quality,
    write_sentence_vectors,
)
from pipeline.store.documents import now_utc
from pipeline.store.embed import embed_state, stored_vectors
from pipeline.store.runs import add_model_versions, code_version
from pipeline.store.tags import stored_tags, write_tags
from pipeline.annotate.settings import AnnotateSettings
from pipeline.sections import PathsSettings
from pipeline.settings import typed
from pipeline.shards import slices


SMALL_REQUEST = 512
"""Requests of at most this many texts (a batch's theme prototypes, examples and thread
contexts: the same few texts batch after batch) keep the vectors they read from the store
for the rest of the run. Each read scans the stored vectors (1.2 million sentences at
155,000 documents); a batch's own sentences (about eight per document) are one larger
request each and are not kept. Results do not depend on it."""


def make_encoder(config: Config, conn: Any = None, cache: bool = False) -> tuple[Encoder, str]:
    """An encoder with the ``[embed]`` settings, and the model's id.

    With a store connection, texts already embedded (by the embed stage: documents and,
    with ``embed.unit = "sentences"``, each of their sentences; or cached by an earlier
    classify run: same content hash, model and chunking) are read from the store, and
    only the others are embedded here, so each text is embedded once. With ``cache``,
    freshly embedded texts (thread contexts, prototypes, sentences the embed stage did not
    see) are kept in the store's sentence cache for later runs (inside the caller's
    transaction). The sentences of texts embedded here are remembered for the run.
    """
    reader = vector_reader(config, conn, cache)
    return reader.encoder, reader.model_id


@dataclass(frozen=True)
class VectorReader:
    """``make_encoder``'s encoder and model id; ``lookup(hashes) -> {hash: vector}``, the
    stored vectors it reads; and ``read_ahead(hashes)``, which reads the stored vectors of
    the coming batches in one lookup (replacing those read ahead before), so that the
    encoder's requests for them do not each scan the store."""

    encoder: Encoder
    model_id: str
    lookup: Callable[[Sequence[str]], dict[str, np.ndarray]]
    read_ahead: Callable[[Sequence[str]], None]


def vector_reader(config: Config, conn: Any, cache: bool) -> VectorReader:
    e = embed_settings(config.section("embed"))
    model_id = model_id_for(e.model)
    chunking = e.chunking
    if conn is not None:
        check_same_embedder(embed_state(conn), model_id, chunking)
    # seen: sentences of texts embedded in this process (unit "sentences"); the sentences of
    # a text to embed that are stored already (``lookup``, below) are not encoded again
    embed, seen = sentence_embedder(e, lambda hashes: lookup(hashes))
    small: dict[str, np.ndarray] = {}  # store vectors of small requests, kept for the run (SMALL_REQUEST)
    ahead: dict[str, np.ndarray] = {}  # store vectors read ahead for the coming batches (read_ahead)
    absent: set[str] = set()  # hashes read ahead and not stored: not looked for again

    def from_store(hashes: Sequence[str]) -> dict[str, np.ndarray]:
        got = stored_vectors(conn, hashes, model_id, chunking)
        rest = [h for h in hashes if h not in got]
        if rest:
            got.update(sentence_vectors(conn, rest, model_id, chunking))
        return got

    def known(h: str) -> np.ndarray | None:
        v = seen.get(h)
        if v is None:
            v = small.get(h)
        if v is None:
            v = ahead.get(h)
        return v

    def lookup(hashes):
        found: dict[str, np.ndarray] = {}
        rest: list[str] = []
        for h in hashes:
            v = known(h)
            if v is not None:
                found[h] = v
            elif h not in absent:
                rest.append(h)
        if conn is not None and rest:
            got = from_store(rest)
            if len(hashes) <= SMALL_REQUEST:
                small.update(got)
            found.update(got)
        return found

    def read_ahead(hashes):
        ahead.clear()
        absent.clear()
        want = [h for h in dict.fromkeys(hashes) if known(h) is None]
        if conn is not None and want:
            ahead.update(from_store(want))
            absent.update(h for h in want if h not in ahead)

    store = None
    if conn is not None and cache:
        def store(hashes, vectors):
            write_sentence_vectors(conn, hashes, vectors, model_id, chunking)
            ahead.update(zip(hashes, vectors))  # stored now: what a lookup of the store would return
            absent.difference_update(hashes)
    return VectorReader(reusing_encoder(embed, model_id, lookup, store), model_id, lookup, read_ahead)


def _run_vectors(encoder: Encoder, taxonomy: Taxonomy, contexts: Sequence[str]) -> dict[str, np.ndarray]:
    """What every batch of a run reads: the theme prototypes' and stance targets' vectors
    (content hash -> vector), embedded here once if not stored. The run's distinct
    thread contexts are embedded here too when not stored (and cached), before any
    batch, so that whatever runs the batches (in process or as shards) finds each
    context's one vector stored."""
    shared: dict[str, np.ndarray] = {}

    def recording(batch: Sequence[str]) -> np.ndarray:
        vectors = encoder(batch)
        shared.update(zip((content_hash(t) for t in batch), vectors))
        return vectors

    theme_vectors(taxonomy, recording)
    distinct = sorted({c or "" for c in contexts})
    for part in slices(distinct, SMALL_REQUEST):
        encoder(part)
    return shared


def thread_contexts(conn: Any, post_ids: Sequence[str | None]) -> list[str]:
    """Each document's thread context (``context_text`` of its post's title and own
    words), built once per post: the documents of one thread share one string."""
    posts = post_texts(conn, post_ids)  # it skips missing ids (None, NaN)
    by_post = {p: context_text(t, o) for p, t, o in zip(posts["post_id"], posts["title"], posts["own_text"])}
    none = context_text(None, "")
    return [by_post.get(p, none) if isinstance(p, str) else none for p in post_ids]


def _models(config: Config, embedding_model: str):
    return load_models(config.section("classify"), resolve_path(typed(config, PathsSettings).models_dir), embedding_model,
                       embed_settings(config.section("embed")).unit)


def classify_job(ctx: JobContext) -> dict:
    """Classify the own text of every new or changed document (every document when the
    settings, models or embedder changed since the latest classify run); the rows of
    unchanged documents are carried into this run. A run with nothing new writes nothing.
    All of a run's rows are written in one transaction, batch by batch
    (``classify.batch_documents``). Each batch is a shard (``_classify_in_shards``) run
    by the mapper for single-threaded work (``single_threaded_mapper``): the default
    runner's worker processes (``scale.processes``), or a Dask cluster's workers
    (``scale.runner = "dask"``). With one batch, or ``scale.processes = 1``, the batches
    are classified in this process instead (``_classify_here``), with the same labels."""
    section = ctx.config.section("classify")
    settings = classify_settings(section)
    taxonomy = taxonomy_from_config(section)
    params = apply_params(settings)
    chunking = embed_settings(ctx.config.section("embed")).chunking
    conn = connect(ctx.db_path)
    try:
        set_memory(conn, settings.duckdb_memory_mb)
        mapper = single_threaded_mapper(ctx)
        reader = vector_reader(ctx.config, conn, cache=True)
        encoder, embedding_model = reader.encoder, reader.model_id
        models, cards = _models(ctx.config, embedding_model)
        docs = classify_inputs(conn)
        ids, texts = docs["doc_id"].tolist(), docs["own_text"].tolist()
        contexts = thread_contexts(conn, docs["post_id"].tolist())
        hashes = [input_hash(o, c) for o, c in zip(texts, contexts)]
        key = run_key(settings, models.versions, embedding_model, chunking, taxonomy.to_list())
        todo = plan(ids, hashes, key, previous_classification(conn))
        if todo.nothing_to_do:
            ctx.progress("classify", 0, 0)
            return {"action": "unchanged", "documents": len(docs), "classified": 0, "carried": len(todo.keep),
                    "classify_run": todo.carry_from}
        where = {d: i for i, d in enumerate(ids)}
        rows = [where[d] for d in todo.todo]
        here = shards_run_here(mapper, len(rows), settings.batch_documents)
        info = {"theme_model": models.versions.get("classify.theme"),
                "sentiment_model": models.versions.get("classify.sentiment"),
                "stance_model": models.versions.get("classify.stance_nli" if params.stance_backend == "nli"
                                                    else "classify.stance"),
                "stance_backend": params.stance_backend, "sentiment_default": models.sentiment_default,
                "embedding_model": embedding_model, "taxonomy": taxonomy.to_list(), "documents": len(docs),
                "settings_key": key}
        ctx.progress("classify", 0, len(rows))
        with transaction(conn):
            start_classification(conn, ctx.run_id)
            if todo.keep:
                carry_classification(conn, ctx.run_id, todo.carry_from, todo.keep)
            shared = _run_vectors(encoder, taxonomy, [contexts[i] for i in rows])
            groups = [list(slices(group, settings.batch_documents))
                      for group in slices(rows, settings.batch_documents * settings.lookup_batches)]
            if here:
                _classify_here(conn, ctx, groups, ids, texts, contexts, taxonomy, models, params, reader,
                               store_tagger(conn, load_nlp()))
            else:
                _classify_in_shards(conn, ctx, mapper, groups, ids, texts, contexts, taxonomy, models, params,
                                    shared, reader.lookup, embedding_model)
            finish_classification(conn, ctx.run_id, info, pd.DataFrame({"doc_id": ids, "input_hash": hashes}))
            counts = classification_counts(conn, ctx.run_id)
            add_model_versions(conn, ctx.run_id, {**models.versions, "embed": embedding_model})
            write_label_quality(conn, label_quality_frame(cards))
    finally:
        conn.close()
    return {"action": "full" if todo.full else "incremental", "documents": len(docs), "classified": len(rows),
            "carried": len(todo.keep), "removed": len(todo.gone), "sentiment_default": models.sentiment_default,
            "worker_processes": getattr(mapper, "started", 0), **counts}


def _request_hashes(batch: Sequence[int], texts: list[str], contexts: list[str]) -> list[str]:
    """The content hashes of what a batch's encoder reads whatever the models
    (``shard_requests``: own texts, their sentences, thread contexts)."""
    return [content_hash(t) for t in shard_requests([texts[i] for i in batch], [contexts[i] for i in batch])]


def _classify_here(conn: Any, ctx: JobContext, groups: list[list[Sequence[int]]], ids: list[str], texts: list[str],
                   contexts: list[str], taxonomy: Taxonomy, models, params, reader: VectorReader,
                   tagger: Tagger) -> None:
    """Each batch classified in this process (one batch, or ``scale.processes = 1``).
    The stored vectors of a group of batches (``classify.lookup_batches``) are read in
    one lookup before its first batch; the encoder reads those, and the store only for
    what was not there. ``tagger`` reads and keeps the stored tags
    (``pipeline.jobs.tagging``)."""
    done, total = 0, sum(len(b) for group in groups for b in group)
    for group in groups:
        reader.read_ahead([h for batch in group for h in _request_hashes(batch, texts, contexts)])
        for batch in group:
            out = classify_texts([ids[i] for i in batch], [texts[i] for i in batch], taxonomy, reader.encoder, models,
                                 params, [contexts[i] for i in batch], tagger)
            add_classification(conn, ctx.run_id, out["themes"], out["sentiment"], out["sentences"])
            done += len(batch)
            ctx.progress("classify", done, total)


def _classify_in_shards(conn: Any, ctx: JobContext, mapper: Mapper, groups: list[list[Sequence[int]]],
                        ids: list[str], texts: list[str], contexts: list[str], taxonomy: Taxonomy, models, params,
                        shared: dict[str, np.ndarray], lookup, embedding_model: str) -> None:
    """Each batch is a shard (``pipeline.classify.shard``), run by ``mapper``, sent
    with the stored vectors it reads and ``shared`` (``_run_vectors``); vectors a shard
    had to embed come back and are cached here. The stored vectors of a group of batches
    (``classify.lookup_batches``) are read in one lookup, as the mapper takes the group's
    first shard. ``lookup``: the stored vectors of content hashes (``vector_reader``).
    Each shard also carries the stored tags of its texts and contexts, and the tags of
    what it tagged come back and are stored here."""
    parts = [batch for group in groups for batch in group]
    key = tagger_key(load_nlp())

    def shards():
        for group in groups:
            wanted = [_request_hashes(batch, texts, contexts) for batch in group]
            vectors = lookup(list(dict.fromkeys(h for hashes in wanted for h in hashes)))
            to_tag = [[content_hash(t or "") for t in [*(texts[i] for i in batch), *(contexts[i] for i in batch)]]
                      for batch in group]
            tags = stored_tags(conn, list(dict.fromkeys(h for hashes in to_tag for h in hashes)), key) if key else {}
            for batch, hashes, tag_hashes in zip(group, wanted, to_tag):
                own = {h: vectors[h] for h in hashes if h in vectors}
                yield ClassifyShard([ids[i] for i in batch], [texts[i] for i in batch], [contexts[i] for i in batch],
                                    {**shared, **own}, {h: tags[h] for h in tag_hashes if h in tags}, key)

    e = embed_settings(ctx.config.section("embed"))
    work = partial(classify_shard, taxonomy=taxonomy, models=models, params=params, embed=e,
                   model_id=embedding_model)
    done, total = 0, sum(len(batch) for batch in parts)
    for batch, res in zip(parts, mapper(work, shards())):
        if res.fresh:
            write_sentence_vectors(conn, list(res.fresh), np.stack(list(res.fresh.values())), embedding_model,
                                   e.chunking)
        if res.fresh_tags and res.tagger is not None:
            write_tags(conn, res.fresh_tags, res.tagger)
        add_classification(conn, ctx.run_id, res.frames["themes"], res.frames["sentiment"], res.frames["sentences"])
        done += len(batch)
        ctx.progress("classify", done, total)


# ---- training and evaluation -------------------------------------------------------


def _labelled(conn, config: Config, encoder: Encoder, coders: Sequence[str] | None) -> tuple[LabelledSet, Taxonomy, dict]:
    section = config.section("classify")
    taxonomy = taxonomy_from_config(section)
    codes = read_codes(conn)
    if codes.empty:
        raise TrainingDataError("no codes stored", "import some with `probation-corpus annotate import FILE --coder NAME`")
    adjudicator = typed(config, AnnotateSettings).adjudicator
    gold = consolidate(codes, adjudicator, coders)
    docs = classify_inputs(conn, gold["doc_id"].unique().tolist())
    docs["context"] = thread_contexts(conn, docs["post_id"].tolist())
    settings = classify_settings(section)
    params = TrainParams.from_settings(settings)
    synthetic = set(params.synthetic_coders)
    real_docs = set(codes.loc[~codes["coder"].isin(synthetic), "doc_id"])
    data = labelled_set(gold, docs, taxonomy.names, encoder, settings.min_chars, real_docs=real_docs,
                        real_weight=params.real_weight, sentences=params.needs_sentences)
    used = codes[codes["doc_id"].isin(data.doc_ids)]
    info = {"coders": sorted(used["coder"].unique().tolist()), "gold_rule": "majority vote; ties to "
            + (adjudicator or "nobody (left out)"),
            "left_out_short_or_missing": int(gold["doc_id"].nunique() - len(data.doc_ids)),
            **data.counts()}
    return data, taxonomy, info


def _cross_validate(data: LabelledSet, taxonomy: Taxonomy, protos, targets, params: TrainParams,
                    kinds: Sequence[str], nli: NLIStance | None = None) -> dict[str, dict]:
    results: dict[str, dict] = {}
    if "theme" in kinds:
        results["theme"] = cv_themes(data, taxonomy, protos, params)
    if "sentiment" in kinds:
        results["sentiment"] = cv_sentiment(data, params)
    if "stance" in kinds:
        results["stance"] = cv_stance(data, targets, params, nli, taxonomy, protos)
    return results


def _kinds(options: dict) -> list[str]:
    kinds = list(options.get("kinds") or KINDS)
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise ClassifySettingError(f"unknown model kind(s) {unknown}", f"use --kind with one of {', '.join(KINDS)}")
    return kinds


def _write_evaluations(conn, run_id: str, results: dict[str, dict], folds: int) -> None:
    for kind, reps in results.items():
        write_evaluations_of_kind(conn, run_id, kind, evaluation_rows(kind, reps, folds))


def train_job(ctx: JobContext) -> dict:
    """Cross-validate, fit on all coded documents, save each model with its card and
    store the cross-validated evaluations under this run id."""
    kinds = _kinds(ctx.options)
    section = ctx.config.section("classify")
    params = TrainParams.from_config(section)
    models_dir = Path(ctx.options.get("models_dir") or resolve_path(typed(ctx.config, PathsSettings).models_dir))
    conn = connect(ctx.db_path)
    try:
        encoder, embedding_model = make_encoder(ctx.config, conn)
        data, taxonomy, info = _labelled(conn, ctx.config, encoder, ctx.options.get("coders"))
        protos, targets = theme_vectors(taxonomy, encoder)
        results = _cross_validate(data, taxonomy, protos, targets, params, kinds)
        fitted = {}
        if "theme" in kinds:
            fitted["theme"] = fit_theme_model(data, taxonomy, protos, params)
        if "sentiment" in kinds:
            fitted["sentiment"] = fit_sentiment_model(data, params)
        if "stance" in kinds:
            fitted["stance"] = fit_stance_model(data, targets, params, taxonomy, protos)
        versions = library_versions(code_version())
        saved = {}
        for kind, model in fitted.items():
            card = model_card(kind, model, run_id=ctx.run_id, created_at=now_utc().isoformat(),
                              embedding_model=embedding_model, params=params, taxonomy=taxonomy.to_list(),
                              embedding_unit=embed_settings(ctx.config.section("embed")).unit,
                              info=info, cv=results[kind], versions=versions)
            saved[kind] = str(save_model(model, kind, ctx.run_id, models_dir, card))
        with transaction(conn):
            _write_evaluations(conn, ctx.run_id, results, params.cv_folds)
            add_model_versions(conn, ctx.run_id, {f"classify.{k}": ctx.run_id for k in saved} | {"embed": embedding_model})
    finally:
        conn.close()
    return {"documents": len(data.doc_ids), "saved": saved, **_headline(results)}


def _headline(results: dict[str, dict]) -> dict[str, float]:
    out = {}
    for kind, reps in results.items():
        for method, rep in reps.items():
            out[f"{kind}.{method}.macro_f1"] = round(rep["macro_f1"], 3)
            if kind == "theme":
                out[f"{kind}.{method}.micro_f1"] = round(rep["micro"]["f1"], 3)
    return out


def evaluate_job(ctx: JobContext) -> dict:
    """Cross-validate every method and baseline on the stored codes; store the results in
    model_evaluations and write the Markdown report."""
    section = ctx.config.section("classify")
    params = TrainParams.from_config(section)
    kinds = _kinds(ctx.options)
    nli = load_nli(section) if "stance" in kinds else None
    conn = connect(ctx.db_path)
    try:
        encoder, _ = make_encoder(ctx.config, conn)
        data, taxonomy, info = _labelled(conn, ctx.config, encoder, ctx.options.get("coders"))
        protos, targets = theme_vectors(taxonomy, encoder)
        results = _cross_validate(data, taxonomy, protos, targets, params, kinds, nli)
        with transaction(conn):
            _write_evaluations(conn, ctx.run_id, results, params.cv_folds)
    finally:
        conn.close()
    report = Path(ctx.options.get("report") or resolve_path(typed(ctx.config, PathsSettings).reports_dir) / "evaluation.md")
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(markdown_report(results, params.cv_folds, info, f"Evaluation run `{ctx.run_id}`."))
    return {"documents": len(data.doc_ids), "report": str(report), **_headline(results)}
