"""Classify, train and evaluate jobs.

``classify_job`` is a stage (themes with stance, document and sentence sentiment of every
document's own text, with the shipped or latest trained models). ``train_job`` and
``evaluate_job`` are called by the CLI: they read the stored codes, cross-validate every
method and baseline, and (train) fit and save the models with model cards.
"""

from __future__ import annotations

import platform
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import sklearn

from pipeline.annotate.gold import consolidate
from pipeline.classify.apply import ApplyParams, Models, choose_sentiment_default, classify_texts
from pipeline.classify.features import context_text
from pipeline.classify.nli import NLIStance
from pipeline.classify.persist import load_model, resolve_model_dir, save_model
from pipeline.classify.report import evaluation_rows, markdown_report
from pipeline.classify.similarity import target_embeddings, theme_prototypes
from pipeline.classify.taxonomy import Taxonomy, taxonomy_from_config
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
from pipeline.jobs.context import JobContext
from pipeline.store import connect, transaction
from pipeline.store.errors import StoreError
from pipeline.store.annotate import read_codes
from pipeline.store.classify import classify_inputs, write_classification, write_evaluations, write_label_quality
from pipeline.store.documents import now_utc
from pipeline.store.runs import add_model_versions, code_version

KINDS = ("theme", "sentiment", "stance")

Encoder = Callable[[Sequence[str]], np.ndarray]


def make_encoder(config: Config, conn: Any = None) -> tuple[Encoder, str]:
    """An encoder with the ``[embed]`` settings, and the model's id.

    With a store connection, texts the embed stage already embedded (same content hash,
    model and chunking) are read from the store, and only the others (sentences, thread
    contexts, prototypes) are embedded here, so each text is embedded once.
    """
    from pipeline.embed import content_hash, embed_texts, model_id_for
    from pipeline.jobs.embed import chunking_key
    from pipeline.store.embed import embed_state, stored_vectors

    e = config.section("embed")
    model_id = model_id_for(e["model"])
    chunking = chunking_key(int(e["chunk_tokens"]), int(e["chunk_overlap"]))
    if conn is not None:
        check_same_embedder(embed_state(conn), model_id, chunking)

    def encoder(texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        hashes = [content_hash(t) for t in texts]
        found = stored_vectors(conn, hashes, model_id, chunking) if conn is not None else {}
        todo = [i for i, h in enumerate(hashes) if h not in found]
        fresh = None
        if todo:
            res = embed_texts([texts[i] for i in todo], e["model"], int(e["batch_size"]), e["device"],
                              int(e["chunk_tokens"]), int(e["chunk_overlap"]))
            if res.model_id != model_id:
                raise MixedEmbeddingsError(f"embedding model changed during the run ({model_id} -> {res.model_id})",
                                           "run classify again")
            fresh = res.vectors
            if found and fresh.shape[1] != len(next(iter(found.values()))):
                raise MixedEmbeddingsError(f"stored vectors and fresh {model_id} vectors differ in size",
                                           "re-run embed with embed.on_model_change = \"recompute\"")
        if not todo:
            return np.stack([found[h] for h in hashes]) if texts else np.zeros((0, 0), dtype=np.float32)
        out = np.empty((len(texts), fresh.shape[1]), dtype=np.float32)
        out[todo] = fresh
        for i, h in enumerate(hashes):
            if h in found:
                out[i] = found[h]
        return out

    return encoder, model_id


class MixedEmbeddingsError(StoreError):
    """Classify would mix vectors of two embedding models."""


def check_same_embedder(state: dict | None, model_id: str, chunking: str) -> None:
    """Refuse to classify when the store's current embeddings come from another model or
    chunking than ``embed.model`` gives: the stored document vectors and the freshly
    embedded sentences, contexts and prototypes would come from two models."""
    if state is None or (state["model_id"], state["chunking"]) == (model_id, chunking):
        return
    raise MixedEmbeddingsError(
        f"the stored embeddings come from {state['model_id']} ({state['chunking']}) but embed.model gives "
        f"{model_id} ({chunking}); classify will not mix vectors of two models",
        "run the embed stage with embed.on_model_change = \"recompute\" first, or restore the old embed settings")


def _apply_params(section: dict[str, Any]) -> ApplyParams:
    tp = TrainParams.from_config(section)
    backend = str(section["stance_backend"]).lower()
    if backend not in ("supervised", "nli"):
        raise ValueError(f"classify.stance_backend must be supervised or nli, got {backend!r}")
    return ApplyParams(theme_threshold=tp.theme_threshold, rules=tp.rules, stance_backend=backend,
                       min_chars=int(section["min_chars"]), sentences=bool(section["sentences"]))


def load_nli(section: dict[str, Any]) -> NLIStance | None:
    """The zero-shot backend when ``classify.nli_model_dir`` is set."""
    if not str(section["nli_model_dir"]).strip():
        return None
    return NLIStance(resolve_path(section["nli_model_dir"]), section["nli_entailment_label"],
                     section["nli_contradiction_label"], int(section["nli_batch_size"]),
                     int(section["nli_max_length"]), float(section["stance_min_confidence"]))


def load_models(config: Config, embedding_model: str) -> tuple[Models, dict[str, Any]]:
    """The models the config names, checked against the embedding model in use.
    Returns the models and the sentiment model's card (or None)."""
    section = config.section("classify")
    models_dir = resolve_path(config.get("paths.models_dir"))
    loaded: dict[str, Any] = {}
    cards: dict[str, Any] = {}
    versions: dict[str, str] = {}
    for kind in KINDS:
        folder = resolve_model_dir(models_dir, kind, str(section[f"{kind}_model"]))
        if folder is None:
            continue
        model, card = load_model(folder)
        if card.get("embedding_model") != embedding_model:
            raise ValueError(f"the {kind} model in {folder} was trained on {card.get('embedding_model')} "
                             f"embeddings but embed.model gives {embedding_model}: retrain "
                             f"(`probation-corpus train`) or set classify.{kind}_model = \"none\"")
        loaded[kind], cards[kind] = model, card
        versions[f"classify.{kind}"] = card.get("run_id", folder.name)
    nli = load_nli(section) if str(section["stance_backend"]).lower() == "nli" else None
    if nli is not None:
        versions["classify.stance_nli"] = nli.name
    default = choose_sentiment_default(str(section["sentiment_default"]), cards.get("sentiment"))
    versions["classify.sentiment_default"] = default
    return Models(loaded.get("theme"), loaded.get("sentiment"), loaded.get("stance"), nli, default, versions), cards


def label_quality_frame(cards: dict[str, dict]) -> "pd.DataFrame":
    """The ``label_quality`` rows the models' cards carry (measured on real text)."""
    import pandas as pd

    from pipeline.store.classify import LABEL_QUALITY_COLUMNS

    rows = []
    for kind, card in cards.items():
        for r in card.get("label_quality", []) or []:
            rows.append({"model_run_id": card.get("run_id"), **{k: r.get(k) for k in LABEL_QUALITY_COLUMNS[1:]}})
    return pd.DataFrame(rows, columns=LABEL_QUALITY_COLUMNS)


def classify_job(ctx: JobContext) -> dict:
    """Classify every document's own text; writes doc_themes, doc_sentiment and
    sentence_sentiment rows for this run in one transaction."""
    section = ctx.config.section("classify")
    taxonomy = taxonomy_from_config(section)
    params = _apply_params(section)
    conn = connect(ctx.db_path)
    try:
        encoder, embedding_model = make_encoder(ctx.config, conn)
        models, cards = load_models(ctx.config, embedding_model)
        docs = classify_inputs(conn)
        ctx.progress("classify", 0, len(docs))
        contexts = [context_text(t, o) for t, o in zip(docs["post_title"], docs["post_own_text"])]
        out = classify_texts(docs["doc_id"].tolist(), docs["own_text"].tolist(), taxonomy, encoder, models, params,
                             contexts)
        ctx.progress("classify", len(docs), len(docs))
        info = {"theme_model": models.versions.get("classify.theme"),
                "sentiment_model": models.versions.get("classify.sentiment"),
                "stance_model": models.versions.get("classify.stance_nli" if params.stance_backend == "nli"
                                                    else "classify.stance"),
                "stance_backend": params.stance_backend, "sentiment_default": models.sentiment_default,
                "embedding_model": embedding_model, "taxonomy": taxonomy.to_list(), "documents": len(docs)}
        with transaction(conn):
            counts = write_classification(conn, ctx.run_id, out["themes"], out["sentiment"], out["sentences"], info)
            add_model_versions(conn, ctx.run_id, {**models.versions, "embed": embedding_model})
            write_label_quality(conn, label_quality_frame(cards))
    finally:
        conn.close()
    themes = out["themes"]
    present = themes[themes["present"]] if not themes.empty else themes
    return {"documents": len(docs), "theme_assignments": int(len(present)),
            "sentiment_default": models.sentiment_default, **counts}


# ---- training and evaluation -------------------------------------------------------


def _labelled(conn, config: Config, encoder: Encoder, coders: Sequence[str] | None) -> tuple[LabelledSet, Taxonomy, dict]:
    section = config.section("classify")
    taxonomy = taxonomy_from_config(section)
    codes = read_codes(conn)
    if codes.empty:
        raise ValueError("no codes stored: import some with `probation-corpus annotate import FILE --coder NAME`")
    gold = consolidate(codes, str(config.get("annotate.adjudicator")), coders)
    docs = classify_inputs(conn, gold["doc_id"].unique().tolist())
    docs["context"] = [context_text(t, o) for t, o in zip(docs["post_title"], docs["post_own_text"])]
    params = TrainParams.from_config(section)
    synthetic = set(params.synthetic_coders)
    real_docs = set(codes.loc[~codes["coder"].isin(synthetic), "doc_id"])
    data = labelled_set(gold, docs, taxonomy.names, encoder, int(section["min_chars"]), real_docs=real_docs,
                        real_weight=params.real_weight, sentences=params.focus.scope == "sentences")
    used = codes[codes["doc_id"].isin(data.doc_ids)]
    info = {"coders": sorted(used["coder"].unique().tolist()), "gold_rule": "majority vote; ties to "
            + (config.get("annotate.adjudicator") or "nobody (left out)"),
            "left_out_short_or_missing": int(gold["doc_id"].nunique() - len(data.doc_ids)),
            **data.counts()}
    return data, taxonomy, info


def _cross_validate(data: LabelledSet, taxonomy: Taxonomy, encoder: Encoder, params: TrainParams,
                    kinds: Sequence[str], nli: NLIStance | None = None) -> dict[str, dict]:
    protos = theme_prototypes(taxonomy, encoder)
    tvec = target_embeddings(taxonomy, encoder)
    targets = {t.name: tvec[j] for j, t in enumerate(taxonomy)}
    results: dict[str, dict] = {}
    if "theme" in kinds:
        results["theme"] = cv_themes(data, taxonomy, protos, params)
    if "sentiment" in kinds:
        results["sentiment"] = cv_sentiment(data, params)
    if "stance" in kinds:
        results["stance"] = cv_stance(data, targets, params, nli, taxonomy, protos)
    return results


def _versions() -> dict[str, str]:
    return {"pipeline": code_version(), "scikit-learn": sklearn.__version__, "numpy": np.__version__,
            "python": platform.python_version()}


CARD_TEXT = {
    "theme": ("Multi-label theme detection on a document's own words (the author's text, pasted and quoted "
              "text removed): one balanced logistic regression per theme.",
              "embedding (chunk-pooled sentence embedding) + tf-idf words/bigrams + log seed-term counts + "
              "cosine similarity to each theme prototype (description and examples), of the own text; "
              "embedding, seed-term counts and prototype similarities of the thread context (post title and "
              "the post's own words), weighted by classify.context_weight", "supervised"),
    "sentiment": ("Document sentiment (NEGATIVE/NEUTRAL/POSITIVE) of a document's own words: balanced "
                  "multinomial logistic regression; VADER is the baseline stored beside it.",
                  "embedding + tf-idf words/bigrams + VADER neg/neu/pos/compound", "domain"),
    "stance": ("Stance (FAVOR/AGAINST/NONE) toward each detected theme's target statement: balanced "
               "multinomial logistic regression conditioned on the target; low confidence gives NONE.",
               "document embedding, target embedding, their product and absolute difference, theme one-hot, "
               "tf-idf, VADER", "supervised"),
}
LIMITS = ("Trained on a few hundred coded documents of one blog (the guidelines' labels; the synthetic "
          "sample corpus coded by its author and the three real seed pages coded by one coder). Figures "
          "are cross-validated, grouped by thread; expect lower accuracy on other blogs, on themes added "
          "later (they use seed terms and similarity until coded) and on rare classes (few FAVOR "
          "stances). Read by a single coder: agreement with other coders is not yet measured.")
RETRAIN = ("Import codes (`probation-corpus annotate import FILE --coder NAME`), then `probation-corpus "
           "train` (all three kinds, or `--kind theme|sentiment|stance`). New models are saved under "
           "`models/<kind>/<run_id>/` and become the default (`classify.<kind>_model = \"latest\"`).")


def train_job(ctx: JobContext) -> dict:
    """Cross-validate, fit on all coded documents, save each model with its card and
    store the cross-validated evaluations under this run id."""
    kinds = list(ctx.options.get("kinds") or KINDS)
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise ValueError(f"unknown model kind(s) {unknown}; kinds: {', '.join(KINDS)}")
    section = ctx.config.section("classify")
    params = TrainParams.from_config(section)
    models_dir = Path(ctx.options.get("models_dir") or resolve_path(ctx.config.get("paths.models_dir")))
    conn = connect(ctx.db_path)
    try:
        encoder, embedding_model = make_encoder(ctx.config, conn)
        data, taxonomy, info = _labelled(conn, ctx.config, encoder, ctx.options.get("coders"))
        results = _cross_validate(data, taxonomy, encoder, params, kinds)
        protos = theme_prototypes(taxonomy, encoder)
        tvec = target_embeddings(taxonomy, encoder)
        targets = {t.name: tvec[j] for j, t in enumerate(taxonomy)}
        fitted = {}
        if "theme" in kinds:
            fitted["theme"] = fit_theme_model(data, taxonomy, protos, params)
        if "sentiment" in kinds:
            fitted["sentiment"] = fit_sentiment_model(data, params)
        if "stance" in kinds:
            fitted["stance"] = fit_stance_model(data, targets, params, taxonomy, protos)
        saved = {}
        for kind, model in fitted.items():
            summary, features, method = CARD_TEXT[kind]
            card = {"kind": kind, "run_id": ctx.run_id, "created_at": now_utc().isoformat(), "summary": summary,
                    "method": method, "features": features, "embedding_model": embedding_model,
                    "params": {"C": params.C, "tfidf_max_features": params.max_features, "seed": params.seed,
                               "theme_threshold": params.theme_threshold,
                               "stance_min_confidence": params.stance_min_confidence,
                               "phrase_attr": params.rules.phrase_attr, "context_weight": params.context_weight,
                               "calibrate": params.calibrate, "stance_scope": params.focus.scope,
                               "stance_focus_similarity": params.focus.min_similarity,
                               "stance_focus_top": params.focus.top, "real_weight": params.real_weight,
                               "synthetic_coders": list(params.synthetic_coders)},
                    "calibrated": bool(getattr(model, "calibrated", False)),
                    "taxonomy": taxonomy.to_list() if kind != "sentiment" else None,
                    "training_data": {**info, "gold": "stored codes (annotations view), consolidated"},
                    "cv": results[kind], "cv_folds": params.folds, "versions": _versions(),
                    "limits": LIMITS, "retrain": RETRAIN}
            card["training_data"]["labels"] = {k: info[k] for k in ("themes_present", "sentiment", "stance")}
            saved[kind] = str(save_model(model, kind, ctx.run_id, models_dir, card))
        with transaction(conn):
            for kind, reps in results.items():
                write_evaluations_kind(conn, ctx.run_id, kind, reps, params.folds)
            add_model_versions(conn, ctx.run_id, {f"classify.{k}": ctx.run_id for k in saved} | {"embed": embedding_model})
    finally:
        conn.close()
    return {"documents": len(data.doc_ids), "saved": saved, **_headline(results)}


def write_evaluations_kind(conn, run_id: str, kind: str, reports: dict, folds: int) -> None:
    """Store one model kind's reports (replacing that kind's rows of this run)."""
    import pandas as pd

    existing = conn.execute("SELECT * EXCLUDE (run_id, created_at) FROM model_evaluation_rows "
                            "WHERE run_id = ? AND model_kind <> ?", [run_id, kind]).df()
    rows = evaluation_rows(kind, reports, folds)
    write_evaluations(conn, run_id, pd.concat([existing, rows], ignore_index=True) if len(existing) else rows)


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
    kinds = list(ctx.options.get("kinds") or KINDS)
    nli = load_nli(section) if "stance" in kinds else None
    conn = connect(ctx.db_path)
    try:
        encoder, _ = make_encoder(ctx.config, conn)
        data, taxonomy, info = _labelled(conn, ctx.config, encoder, ctx.options.get("coders"))
        results = _cross_validate(data, taxonomy, encoder, params, kinds, nli)
        with transaction(conn):
            for kind, reps in results.items():
                write_evaluations_kind(conn, ctx.run_id, kind, reps, params.folds)
    finally:
        conn.close()
    report = Path(ctx.options.get("report") or resolve_path(ctx.config.get("paths.reports_dir")) / "evaluation.md")
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(markdown_report(results, params.folds, info, f"Evaluation run `{ctx.run_id}`."))
    return {"documents": len(data.doc_ids), "report": str(report), **_headline(results)}
