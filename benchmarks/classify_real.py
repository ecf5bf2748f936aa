"""Themes, stance and sentiment measured on real blog text (issue 12).

Every method is scored on the same real units, cross-validated with folds grouped by page
(no page is split between training and test); the synthetic sample corpus (and, in
``--real seeds`` mode, nothing else) is always in training. Today's shipped models are
the first row: they are applied as they are (they never saw the real development set).

    python -m benchmarks.classify_real --db outputs/lab/base.duckdb \\
        --gold /work/devset/gold/adjudicated.jsonl --units /work/devset/units.jsonl

``--db``: a database with the sample corpus run through segment (own text), its codes
imported (coder ``sample-author``) and, for ``--real seeds``, the seeds coded
(``seed-coder``). ``--real seeds`` (no ``--gold``) measures on the 47 seed documents
instead: NOT the real development set (and the shipped models saw them in training).

Real text never enters the repository: the units file is read from where it lies (the
git-ignored ``corpus/real/`` or a folder outside the checkout). Vectors are cached under
``outputs/lab/`` (git-ignored) by text hash and model id.

Prints the table (each method x theme micro-F1, stance macro-F1, sentiment macro-F1 with
cluster-bootstrap 95% intervals by page), per-theme and per-class figures, and writes
everything (with the out-of-fold probabilities of each method) to ``--out``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.annotate.gold import consolidate
from pipeline.classify.features import context_text
from pipeline.classify.labels import ABSENT, PRESENT, SENTIMENT, SENTIMENTS, STANCE, STANCES, THEME
from pipeline.classify.metrics import multilabel_report, single_label_report
from pipeline.classify.persist import load_model, resolve_model_dir
from pipeline.classify.similarity import target_embeddings, theme_prototypes
from pipeline.classify.stance import FocusParams, apply_min_confidence
from pipeline.classify.taxonomy import taxonomy_from_config
from pipeline.classify.training import TrainParams, cv_sentiment, cv_stance, cv_themes, labelled_set
from pipeline.config import load_config, resolve_path

SHIPPED_RUN = "bc19f5375b464eec"


# ---- inputs ---------------------------------------------------------------------------


def disk_cached_encoder(model: str, cache_dir: Path, batch_size: int = 32, unit: str = "text", batch_tokens: int = 0):
    """An encoder for ``model`` whose vectors persist in ``cache_dir`` by text hash
    (one file per model and ``embed.unit``; with ``"sentences"`` the sentences of every
    text it embeds are kept too, so a sentence is never embedded twice)."""
    from pipeline.embed import content_hash, embed_texts, model_id_for

    model_id = model_id_for(model)
    suffix = "" if unit == "text" else f"-{unit}"
    path = cache_dir / f"vectors-{model_id.replace('@', '-')}{suffix}.pkl"
    memo: dict[str, np.ndarray] = pickle.loads(path.read_bytes()) if path.exists() else {}

    def enc(texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        keys = [hashlib.sha256(t.encode("utf-8", "surrogatepass")).hexdigest() for t in texts]
        todo = list(dict.fromkeys(k for k in keys if k not in memo))
        if todo:
            first = {k: t for k, t in zip(keys, texts)}
            res = embed_texts([first[k] for k in todo], model, batch_size, "auto", unit=unit, batch_tokens=batch_tokens)
            for k, v in zip(todo, res.vectors):
                memo[k] = v
            for s, v in zip(res.sentences, res.sentence_vectors if res.sentences else ()):
                memo.setdefault(content_hash(s), v)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(pickle.dumps(memo))
            tmp.replace(path)
        if not texts:
            return np.zeros((0, len(next(iter(memo.values()))) if memo else 0), dtype=np.float32)
        return np.stack([memo[k] for k in keys]).astype(np.float32)

    return enc, model_id


def sample_pool(db: Path, synthetic_coders: Sequence[str], with_seeds: bool):
    """Codes (consolidated) and documents of the database: the synthetic sample, plus
    the seeds when ``with_seeds``. Returns gold, docs, real doc ids (seed-coded)."""
    from pipeline.store import connect
    from pipeline.store.annotate import read_codes
    from pipeline.store.classify import classify_inputs

    conn = connect(db, read_only=True)
    try:
        codes = read_codes(conn)
        if not with_seeds:
            codes = codes[codes["coder"].isin(list(synthetic_coders))]
        gold = consolidate(codes, "")
        docs = classify_inputs(conn, gold["doc_id"].unique().tolist())
    finally:
        conn.close()
    docs["context"] = [context_text(t, o) for t, o in zip(docs["post_title"], docs["post_own_text"])]
    real = set(codes.loc[~codes["coder"].isin(list(synthetic_coders)), "doc_id"])
    return gold, docs[["doc_id", "post_id", "own_text", "context"]], real


def _para_text(unit: dict, p) -> str:
    if isinstance(p, str):
        return p
    if "text" in p:
        return p["text"]
    return (unit.get("text") or "")[int(p["start"]):int(p["end"])]


def _own_text(unit: dict, gold_paragraphs: list | None, mode: str) -> str:
    """The unit's own words by the coders' paragraph labels: ``own`` paragraphs whole,
    ``mixed`` ones less their ``not_own_spans``; the whole text when ``mode`` is 'all'
    or there are no paragraph labels."""
    paras = unit.get("paragraphs") or []
    if mode == "all" or not paras or not gold_paragraphs:
        return unit.get("text") or "\n\n".join(_para_text(unit, p) for p in paras)
    labels = {}
    for k, lab in enumerate(gold_paragraphs):
        if isinstance(lab, dict):
            labels[int(lab.get("i", k))] = lab
        else:
            labels[k] = {"label": lab}
    out = []
    for k, p in enumerate(paras):
        i = int(p.get("i", k)) if isinstance(p, dict) else k
        lab = labels.get(i, {"label": "own"})
        kind = str(lab.get("label", "own")).lower()
        text = _para_text(unit, p)
        if kind == "own":
            out.append(text)
        elif kind == "mixed":
            for span in lab.get("not_own_spans") or []:
                text = text.replace(span, " ")
            out.append(" ".join(text.split()))
    return "\n\n".join(t for t in out if t.strip())


def _page(unit: dict) -> str:
    for k in ("page_id", "page", "pageid", "url_id", "page_url"):
        if unit.get(k):
            return str(unit[k])
    url = str(unit.get("url", ""))
    return url.split("#")[0].split("?")[0] or str(unit.get("unit_id"))


def real_units(gold_path: Path, units_path: Path, theme_names: Sequence[str], text_mode: str = "own"):
    """The adjudicated real units as (gold rows, docs): doc_id ``real:<unit_id>``, post_id
    ``page:<page>``; own text from the paragraphs coded own (``text_mode`` 'own'), or the
    whole text ('all'). The thread context is the page's post unit, when there is one."""
    units = {}
    for line in units_path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            u = json.loads(line)
            units[str(u["unit_id"])] = u
    golds = [json.loads(x) for x in gold_path.read_text(encoding="utf-8").splitlines() if x.strip()]
    rows, docs = [], []
    posts: dict[str, dict] = {}
    for u in units.values():
        kind = str(u.get("kind", "")).lower()
        if kind == "post" or str(u.get("position", "")) in ("0", "post"):
            posts[_page(u)] = u
    own = {str(g["unit_id"]): _own_text(units[str(g["unit_id"])], g.get("paragraphs"), text_mode)
           for g in golds if str(g["unit_id"]) in units}
    for g in golds:
        uid = str(g["unit_id"])
        u = units.get(uid)
        if u is None:
            continue
        did = f"real:{uid}"
        text = own[uid]
        kind = str(u.get("kind", "")).lower()
        post = posts.get(_page(u))
        if kind == "comment":
            # a comment's thread context: its post's title and own words (when the post is a unit)
            ctx = context_text(post.get("title"), own.get(str(post["unit_id"]), "")) if post is not None else ""
        else:
            # a post's (or article's) context is its own title and words, as in classify_inputs
            ctx = context_text(u.get("title"), text)
        docs.append({"doc_id": did, "post_id": f"page:{_page(u)}", "own_text": text, "context": ctx})
        themes = g.get("themes") or {}
        for t in theme_names:
            rows.append((did, THEME, t, PRESENT if t in themes else ABSENT, 2))
            if t in themes and themes[t]:
                stance = str(themes[t]).upper().replace("FAVOUR", "FAVOR")
                rows.append((did, STANCE, t, stance, 2))
        if g.get("sentiment"):
            rows.append((did, SENTIMENT, SENTIMENT, str(g["sentiment"]).upper(), 2))
    gold = pd.DataFrame(rows, columns=["doc_id", "label_kind", "label", "value", "n_coders"])
    return gold, pd.DataFrame(docs)


def coder_codes(path: Path, coder: str, theme_names: Sequence[str]) -> pd.DataFrame:
    """One coder's raw file as stored codes (doc_id = unit_id): every theme present or
    absent, stance of present themes, sentiment, and each paragraph's own/not_own/mixed
    (label_kind 'paragraph', label '<unit>#<i>' so agreement pools them)."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        r = json.loads(line)
        uid = str(r["unit_id"])
        themes = r.get("themes") or {}
        for t in theme_names:
            rows.append((uid, coder, THEME, t, PRESENT if t in themes else ABSENT))
            if t in themes and themes[t]:
                rows.append((uid, coder, STANCE, t, str(themes[t]).upper().replace("FAVOUR", "FAVOR")))
        if r.get("sentiment"):
            rows.append((uid, coder, SENTIMENT, SENTIMENT, str(r["sentiment"]).upper()))
        for k, p in enumerate(r.get("paragraphs") or []):
            rows.append((f"{uid}#{p.get('i', k)}", coder, "paragraph", "own", str(p.get("label", "")).lower()))
    return pd.DataFrame(rows, columns=["doc_id", "coder", "label_kind", "label", "value"])


def agreement_summary(a_path: Path, b_path: Path, theme_names: Sequence[str]) -> dict:
    """The two coders' agreement with ``pipeline.annotate.agreement`` (Cohen's kappa and
    Krippendorff's alpha per label), plus pooled figures: theme micro-F1 of one coder
    against the other, pooled theme kappa, stance kappa over themes both found, sentiment
    kappa, paragraph own/not_own/mixed kappa."""
    from pipeline.annotate.agreement import agreement_table, cohen_kappa

    codes = pd.concat([coder_codes(a_path, "A", theme_names), coder_codes(b_path, "B", theme_names)])
    table = agreement_table(codes[codes["label_kind"] != "paragraph"])
    piv = {k: g.pivot_table(index=["doc_id", "label"], columns="coder", values="value", aggfunc="first").dropna()
           for k, g in codes.groupby("label_kind")}
    th = piv[THEME]
    a, b = (th["A"] == PRESENT).to_numpy(), (th["B"] == PRESENT).to_numpy()
    tp = int(np.sum(a & b))
    out = {
        "units": int(codes[codes["label_kind"] == SENTIMENT]["doc_id"].nunique()),
        "theme_micro_f1_A_vs_B": 2 * tp / (2 * tp + int(np.sum(a & ~b)) + int(np.sum(~a & b))) if (a | b).any() else None,
        "theme_kappa_pooled": cohen_kappa(list(th["A"]), list(th["B"])),
        "stance_kappa": cohen_kappa(list(piv[STANCE]["A"]), list(piv[STANCE]["B"])) if STANCE in piv else None,
        "stance_pairs_both": int(len(piv.get(STANCE, []))),
        "stance_agreement": float(np.mean(piv[STANCE]["A"] == piv[STANCE]["B"])) if STANCE in piv else None,
        "sentiment_kappa": cohen_kappa(list(piv[SENTIMENT]["A"]), list(piv[SENTIMENT]["B"])),
        "sentiment_agreement": float(np.mean(piv[SENTIMENT]["A"] == piv[SENTIMENT]["B"])),
        "paragraph_kappa": cohen_kappa(list(piv["paragraph"]["A"]), list(piv["paragraph"]["B"]))
        if "paragraph" in piv else None,
        "paragraphs": int(len(piv.get("paragraph", []))),
        "per_label": table.to_dict(orient="records"),
    }
    return out


# ---- metrics with cluster bootstrap --------------------------------------------------


def _theme_f1(Y: np.ndarray, P: np.ndarray) -> float:
    known = Y >= 0
    tp = np.sum((Y == 1) & P & known)
    fp = np.sum((Y == 0) & P & known)
    fn = np.sum((Y == 1) & ~P & known)
    return float(2 * tp / (2 * tp + fp + fn)) if (tp + fp + fn) else 0.0


def _macro(y: Sequence[str], p: Sequence[str], labels: Sequence[str]) -> float:
    return single_label_report(list(y), list(p), labels)["macro_f1"]


def bootstrap(stat, groups: Sequence[str], n: int = 1000, seed: int = 7) -> tuple[float, float]:
    """95% interval of ``stat(idx)`` over resamples of whole groups (pages)."""
    rng = np.random.default_rng(seed)
    by: dict[str, list[int]] = {}
    for i, g in enumerate(groups):
        by.setdefault(g, []).append(i)
    keys = list(by)
    vals = []
    for _ in range(n):
        pick = rng.integers(0, len(keys), len(keys))
        idx = np.concatenate([by[keys[k]] for k in pick]) if keys else np.zeros(0, int)
        vals.append(stat(idx))
    vals = [v for v in vals if v == v]
    if not vals:
        return float("nan"), float("nan")
    return float(np.percentile(vals, 2.5)), float(np.percentile(vals, 97.5))


def score(pred: dict, groups: dict, n_boot: int) -> dict:
    """Headline figures with intervals from a method's predictions on the real units."""
    Y, P = pred["theme_gold"], pred["theme_pred"]
    sy, sp = pred["stance_gold"], pred["stance_pred"]
    ey, ep = pred["sent_gold"], pred["sent_pred"]
    out = {
        "theme_micro_f1": _theme_f1(Y, P),
        "theme_ci": bootstrap(lambda i: _theme_f1(Y[i], P[i]), groups["theme"], n_boot),
        "stance_macro_f1": _macro(sy, sp, STANCES),
        "stance_ci": bootstrap(lambda i: _macro([sy[j] for j in i], [sp[j] for j in i], STANCES),
                               groups["stance"], n_boot),
        "stance_accuracy": float(np.mean([a == b for a, b in zip(sy, sp)])) if sy else 0.0,
        "sentiment_macro_f1": _macro(ey, ep, SENTIMENTS),
        "sentiment_ci": bootstrap(lambda i: _macro([ey[j] for j in i], [ep[j] for j in i], SENTIMENTS),
                                  groups["sent"], n_boot),
    }
    if "stance_e2e_pred" in pred:
        out["stance_e2e_macro_f1"] = _macro(sy, pred["stance_e2e_pred"], STANCES)
    return out


def per_label(pred: dict, names: Sequence[str], groups: dict, n_boot: int) -> dict:
    """Per theme (P/R/F1 with a bootstrap interval on precision and F1) and per class."""
    Y, P = pred["theme_gold"], pred["theme_pred"]
    rep = multilabel_report(Y, P, names)
    out = {"theme": {}, "stance": {}, "sentiment": {}}

    def prec(yt, yp):
        return float(np.sum(yt & yp) / np.sum(yp)) if np.sum(yp) else float("nan")

    for j, t in enumerate(names):
        yt, yp = Y[:, j] == 1, P[:, j]
        c = rep["classes"][t]
        out["theme"][t] = {**c, "n_predicted": int(np.sum(yp)),
                           "precision_ci": bootstrap(lambda i: prec(yt[i], yp[i]), groups["theme"], n_boot),
                           "f1_ci": bootstrap(lambda i: _theme_f1(Y[i][:, [j]], P[i][:, [j]]), groups["theme"], n_boot)}
    for kind, (yg, yp, labels, g) in {"stance": (pred["stance_gold"], pred["stance_pred"], STANCES, groups["stance"]),
                                      "sentiment": (pred["sent_gold"], pred["sent_pred"], SENTIMENTS, groups["sent"])}.items():
        r = single_label_report(yg, yp, labels)
        yg_a, yp_a = np.asarray(yg), np.asarray(yp)
        for lab in labels:
            out[kind][lab] = {**r["classes"][lab], "n_predicted": int(np.sum(yp_a == lab)),
                              "precision_ci": bootstrap(lambda i, lab=lab: prec(yg_a[i] == lab, yp_a[i] == lab), g, n_boot)}
    return out


# ---- methods --------------------------------------------------------------------------


def shipped_predictions(data, eval_rows: np.ndarray, taxonomy, encoder, models_dir: Path, run: str) -> dict:
    """Today's shipped models applied to the real units as they are."""
    theme, _ = load_model(resolve_model_dir(models_dir, "theme", run))
    sent, _ = load_model(resolve_model_dir(models_dir, "sentiment", run))
    stance, _ = load_model(resolve_model_dir(models_dir, "stance", run))
    names = data.theme_names
    feats = data.feats.subset(eval_rows)
    proba = theme.predict_proba(feats)
    cols = [theme.theme_names.index(t) for t in names]
    Yp = proba[:, cols] >= 0.5
    tvec = target_embeddings(taxonomy, encoder)
    targets = {t.name: tvec[j] for j, t in enumerate(taxonomy)}
    pos = {r: k for k, r in enumerate(eval_rows)}
    pairs = [(r, t, lab) for r, t, lab in data.stance if r in pos]
    sp, _ = stance.predict(data.feats, [r for r, _, _ in pairs], [t for _, t, _ in pairs], targets)
    e2e = [s if Yp[pos[r], names.index(t)] else "NONE" for s, (r, t, _) in zip(sp, pairs)]
    srows = [r for r in eval_rows if data.sentiment[r]]
    labels, _ = sent.predict(data.feats.subset(srows))
    return {"theme_gold": data.Y[eval_rows], "theme_pred": Yp, "theme_proba": proba[:, cols],
            "stance_gold": [lab for _, _, lab in pairs], "stance_pred": list(sp), "stance_e2e_pred": e2e,
            "stance_pairs": [(data.doc_ids[r], t) for r, t, _ in pairs],
            "sent_gold": [data.sentiment[r] for r in srows], "sent_pred": list(labels),
            "groups_theme": [data.groups[r] for r in eval_rows], "groups_stance": [data.groups[r] for r, _, _ in pairs],
            "groups_sent": [data.groups[r] for r in srows]}


def cv_predictions(data, taxonomy, encoder, params: TrainParams, eval_mask: np.ndarray) -> dict:
    """Out-of-fold predictions on the eval rows (folds grouped by page)."""
    protos = theme_prototypes(taxonomy, encoder)
    tvec = target_embeddings(taxonomy, encoder)
    targets = {t.name: tvec[j] for j, t in enumerate(taxonomy)}
    oof: dict = {}
    cv_themes(data, taxonomy, protos, params, eval_mask, oof)
    cv_sentiment(data, params, eval_mask, oof)
    cv_stance(data, targets, params, None, taxonomy, protos, eval_mask, oof)
    names = data.theme_names
    # each fold's model decides (its own per-theme thresholds or class offsets, when tuned)
    Yp = oof["theme_pred"]
    rowpos = {r: k for k, r in enumerate(oof["theme_rows"])}
    sp = list(oof["stance_pred"])
    e2e = [s if (r in rowpos and Yp[rowpos[r], names.index(t)]) else "NONE"
           for s, (r, t, _) in zip(sp, oof["stance_pairs"])]
    return {"theme_gold": oof["theme_gold"], "theme_pred": Yp, "theme_proba": oof["theme_proba"],
            "stance_gold": list(oof["stance_gold"]), "stance_pred": list(sp), "stance_e2e_pred": e2e,
            "stance_proba": oof["stance_proba"],
            "stance_pairs": [(data.doc_ids[r], t) for r, t, _ in oof["stance_pairs"]],
            "sent_gold": list(oof["sentiment_gold"]),
            "sent_pred": list(oof["sentiment_pred"]),
            "sent_proba": oof["sentiment_proba"],
            "groups_theme": [data.groups[r] for r in oof["theme_rows"]],
            "groups_stance": [data.groups[r] for r, _, _ in oof["stance_pairs"]],
            "groups_sent": [data.groups[r] for r in oof["sentiment_rows"]]}


def tune(pred: dict, names: Sequence[str]) -> dict:
    """Thresholds chosen on the development set's out-of-fold probabilities: the theme
    threshold with the best micro-F1, the stance confidence below which NONE is given
    with the best macro-F1 (optimistic: chosen and scored on the same units)."""
    Y, Pr = pred["theme_gold"], pred["theme_proba"]
    grid = np.round(np.arange(0.2, 0.81, 0.05), 2)
    th = max(grid, key=lambda t: (_theme_f1(Y, Pr >= t), -abs(t - 0.5)))
    out = {"theme_threshold": float(th), "theme_micro_f1": _theme_f1(Y, Pr >= th)}
    if "stance_proba" in pred:
        best = max(np.round(np.arange(0.0, 0.81, 0.05), 2),
                   key=lambda c: _macro(pred["stance_gold"], apply_min_confidence(pred["stance_proba"], c)[0], STANCES))
        out["stance_min_confidence"] = float(best)
        out["stance_macro_f1"] = _macro(pred["stance_gold"], apply_min_confidence(pred["stance_proba"], best)[0],
                                        STANCES)
    return out


METHODS = {
    # name: (encoder key, TrainParams changes)
    "retrained (today's method, + real)": ("minilm", dict(calibrate=False, real_weight=1.0)),
    "calibrated": ("minilm", dict(calibrate=True, real_weight=1.0)),
    "calibrated + sentence stance": ("minilm", dict(calibrate=True, real_weight=1.0, focus="sentences")),
    "calibrated, real x3": ("minilm", dict(calibrate=True, real_weight=3.0)),
    "calibrated, real x10": ("minilm", dict(calibrate=True, real_weight=10.0)),
    "calibrated + sentence stance, real x3": ("minilm", dict(calibrate=True, real_weight=3.0, focus="sentences")),
    "calibrated + sentence stance, synthetic only": ("minilm", dict(calibrate=True, real_weight=0.0,
                                                                    focus="sentences")),
    "calibrated, real x30": ("minilm", dict(calibrate=True, real_weight=30.0)),
    "calibrated, real x10, inner-CV thresholds + class bias": ("minilm", dict(
        calibrate=True, real_weight=10.0, theme_thresholds="inner_cv", class_bias="inner_cv")),
    "calibrated, real x30, inner-CV thresholds + class bias": ("minilm", dict(
        calibrate=True, real_weight=30.0, theme_thresholds="inner_cv", class_bias="inner_cv")),
    "calibrated, real x10, sentence max-pooling + inner-CV thresholds + class bias": ("minilm", dict(
        calibrate=True, real_weight=10.0, theme_thresholds="inner_cv", class_bias="inner_cv",
        theme_sentence_pooling="max")),
    "calibrated, real x10, class bias": ("minilm", dict(calibrate=True, real_weight=10.0, class_bias="inner_cv")),
    "calibrated, real x10, sentence max-pooling + class bias": ("minilm", dict(
        calibrate=True, real_weight=10.0, class_bias="inner_cv", theme_sentence_pooling="max")),
    "mpnet, calibrated + sentence stance, real x3": ("mpnet", dict(calibrate=True, real_weight=3.0,
                                                                   focus="sentences")),
    "mpnet, calibrated, real x10": ("mpnet", dict(calibrate=True, real_weight=10.0)),
    "sentence units, calibrated, real x10": ("minilm-sentences", dict(calibrate=True, real_weight=10.0)),
    "sentence units, calibrated + sentence stance, real x10": ("minilm-sentences", dict(
        calibrate=True, real_weight=10.0, focus="sentences")),
    "sentence units, calibrated, real x10, class bias": ("minilm-sentences", dict(
        calibrate=True, real_weight=10.0, class_bias="inner_cv")),
    "sentence units, calibrated, real x10, sentence max-pooling + class bias": ("minilm-sentences", dict(
        calibrate=True, real_weight=10.0, class_bias="inner_cv", theme_sentence_pooling="max")),
    "sentence units, calibrated, real x30": ("minilm-sentences", dict(calibrate=True, real_weight=30.0)),
    "sentence units, calibrated, real x10, C=12": ("minilm-sentences", dict(calibrate=True, real_weight=10.0,
                                                                            regularisation=12.0)),
    "sentence units, calibrated, real x10, C=0.75": ("minilm-sentences", dict(calibrate=True, real_weight=10.0,
                                                                            regularisation=0.75)),
}
ENCODERS = {"minilm": ("all-MiniLM-L6-v2", "text"), "mpnet": ("all-mpnet-base-v2", "text"),
            "minilm-sentences": ("all-MiniLM-L6-v2", "sentences")}
"""Encoder key -> (embed.model, embed.unit)."""


def params_for(base: TrainParams, change: dict) -> TrainParams:
    change = dict(change)
    scope = change.pop("focus", "document")
    return replace(base, focus=FocusParams(scope, base.focus.min_similarity, base.focus.top), **change)


def label_quality_rows(per_label: dict, evaluated_on: str) -> list[dict]:
    """Per-label precision on real text (with its interval) as ``label_quality`` rows."""
    rows = []
    short = "seeds" if evaluated_on.startswith("seeds") else "real_dev"
    for t, m in per_label["theme"].items():
        rows.append({"label_kind": "theme", "label": t, "value": "present", "precision": m["precision"] if m["n_predicted"] else None,
                     "ci_low": m["precision_ci"][0], "ci_high": m["precision_ci"][1], "recall": m["recall"],
                     "n_predicted": m["n_predicted"], "support": m["support"], "evaluated_on": short})
    for kind, label in (("stance", "_all"), ("sentiment", "sentiment")):
        for v, m in per_label[kind].items():
            rows.append({"label_kind": kind, "label": label, "value": v,
                         "precision": m["precision"] if m["n_predicted"] else None,
                         "ci_low": m["precision_ci"][0], "ci_high": m["precision_ci"][1], "recall": m["recall"],
                         "n_predicted": m["n_predicted"], "support": m["support"], "evaluated_on": short})
    for r in rows:
        for k in ("precision", "ci_low", "ci_high"):
            if r[k] is not None and r[k] != r[k]:
                r[k] = None
    return rows


def vader_report(data, pred: dict) -> dict:
    """VADER on the same real units as a method's sentiment predictions."""
    from pipeline.classify.vader import vader_predict

    rows = [i for i, d in enumerate(data.doc_ids) if data.real[i] and data.sentiment[i]]
    labels, _ = vader_predict(data.feats.vader[rows])
    return single_label_report([data.sentiment[i] for i in rows], labels, SENTIMENTS)


def ship(method: str, datasets: dict, results: dict, preds: dict, taxonomy, base: TrainParams, args, config) -> dict:
    """Fit ``method`` on every coded document (synthetic + real) and save the three
    models with cards carrying the real-text figures, label quality and agreement."""
    import platform
    import uuid

    import sklearn

    from pipeline.classify.persist import save_model
    from pipeline.classify.training import fit_sentiment_model, fit_stance_model, fit_theme_model
    from pipeline.classify.cards import CARD_TEXT, RETRAIN
    from pipeline.store.documents import now_utc
    from pipeline.store.runs import code_version

    key, change = METHODS[method]
    data, encoder, model_id = datasets[key]
    params = params_for(base, change)
    m = results["methods"][method]
    if args.ship_thresholds == "tuned" and "tuned" in m:
        params = replace(params, theme_threshold=m["tuned"]["theme_threshold"],
                         stance_min_confidence=m["tuned"].get("stance_min_confidence", params.stance_min_confidence))
    data.weights = np.where(data.real, params.real_weight, 1.0)
    protos = theme_prototypes(taxonomy, encoder)
    tvec = target_embeddings(taxonomy, encoder)
    targets = {t.name: tvec[j] for j, t in enumerate(taxonomy)}
    fitted = {"theme": fit_theme_model(data, taxonomy, protos, params),
              "sentiment": fit_sentiment_model(data, params),
              "stance": fit_stance_model(data, targets, params, taxonomy, protos)}
    run_id = uuid.uuid4().hex[:16]
    counts = data.counts()
    head = {k: {kk: v[kk] for kk in ("theme_micro_f1", "theme_ci", "stance_macro_f1", "stance_ci",
                                      "sentiment_macro_f1", "sentiment_ci")}
            for k, v in results["methods"].items()}
    lq = label_quality_rows(m["per_label"], results["evaluated_on"])
    saved = {}
    models_dir = resolve_path(config.get("paths.models_dir"))
    for kind, model in fitted.items():
        summary, features, how = CARD_TEXT[kind]
        per = {"theme": {"theme": m["per_label"]["theme"]}, "stance": {"stance": m["per_label"]["stance"]},
               "sentiment": {"sentiment": m["per_label"]["sentiment"]}}[kind]
        card = {
            "kind": kind, "run_id": run_id, "created_at": now_utc().isoformat(), "summary": summary,
            "method": how, "features": features + ("; stance on the sentences about each theme"
                                                   if kind == "stance" and params.focus.scope == "sentences" else ""),
            "embedding_model": model_id, "embedding_unit": ENCODERS[key][1],
            "calibrated": bool(getattr(model, "calibrated", False)),
            "params": {"C": params.regularisation, "tfidf_max_features": params.tfidf_max_features, "seed": params.random_seed,
                       "theme_threshold": params.theme_threshold, "stance_min_confidence": params.stance_min_confidence,
                       "phrase_attr": params.rules.phrase_attr, "context_weight": params.context_weight,
                       "calibrate": params.calibrate, "stance_scope": params.focus.scope,
                       "stance_focus_similarity": params.focus.min_similarity, "stance_focus_top": params.focus.top,
                       "real_weight": params.real_weight, "theme_thresholds": params.theme_thresholds,
                       "class_bias": params.class_bias, "theme_sentence_pooling": params.theme_sentence_pooling,
                       "theme_thresholds_tuned": (dict(zip(model.theme_names, model.thresholds))
                                                  if kind == "theme" and getattr(model, "thresholds", None) else None),
                       "class_bias_tuned": (getattr(model, "bias", None).tolist()
                                            if getattr(model, "bias", None) is not None else None)},
            "taxonomy": taxonomy.to_list() if kind != "sentiment" else None,
            "training_data": {**counts, "coders": ["sample-author (synthetic sample)",
                                                   "real development set (two coders, adjudicated)"
                                                   if not results["evaluated_on"].startswith("seeds")
                                                   else "seed-coder (three real seed pages)"],
                              "gold": "synthetic sample codes + adjudicated real codes",
                              "labels": {k: counts[k] for k in ("themes_present", "sentiment", "stance")}},
            "cv": ({"domain": single_label_report(preds[method]["sent_gold"], preds[method]["sent_pred"], SENTIMENTS),
                    "vader": vader_report(data, preds[method])} if kind == "sentiment" else {}),
            "cv_note": "cv: out-of-fold on the real units (folds grouped by page); classify.sentiment_default = "
                       "auto compares these", "cv_folds": params.cv_folds,
            "real_text": {"evaluated_on": results["evaluated_on"], "n_units": results.get("n_units"),
                          "n_pages": results.get("n_pages"), "method": method, "headline": head, "per_label": per},
            "label_quality": [r for r in lq if r["label_kind"] == kind],
            "agreement": {k: v for k, v in (results.get("agreement") or {}).items() if k != "per_label"},
            "versions": {"pipeline": code_version(), "scikit-learn": sklearn.__version__, "numpy": np.__version__,
                         "python": platform.python_version()},
            "limits": ("Trained on the synthetic sample corpus and coded real blog text (weighted by real_weight). "
                       "Quote the real-text figures above, per label; labels whose precision on real text is below "
                       "0.8 are not good enough to cite (docs/classify.md)."),
            "retrain": "python -m benchmarks.classify_real ... --ship METHOD (see docs/classify.md); " + RETRAIN,
        }
        saved[kind] = str(save_model(model, kind, run_id, models_dir, card))
        print(f"saved {kind}: {saved[kind]}", file=sys.stderr)
    return {"run_id": run_id, "saved": saved, "params": {"theme_threshold": params.theme_threshold,
                                                          "stance_min_confidence": params.stance_min_confidence}}


def fmt(v: float, ci: tuple[float, float]) -> str:
    return f"{v:.3f} [{ci[0]:.2f}, {ci[1]:.2f}]"


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, default=Path("outputs/lab/base.duckdb"))
    ap.add_argument("--gold", type=Path, help="adjudicated real units (JSON Lines)")
    ap.add_argument("--units", type=Path, help="the real units' texts (JSON Lines; kept out of the repository)")
    ap.add_argument("--real", choices=["devset", "seeds"], default="devset")
    ap.add_argument("--text", choices=["own", "all"], default="own", help="real units: own paragraphs or all text")
    ap.add_argument("--methods", default="all", help="method names separated by ; or all")
    ap.add_argument("--encoders", default="minilm,mpnet")
    ap.add_argument("--boot", type=int, default=1000)
    ap.add_argument("--cache", type=Path, default=Path("outputs/lab"))
    ap.add_argument("--out", type=Path, default=Path("outputs/reports/classify_real.json"))
    ap.add_argument("--ship", metavar="METHOD", help="after measuring, fit METHOD (or 'best') on all synthetic + real codes and "
                    "save the theme, sentiment and stance models (with cards) under paths.models_dir")
    ap.add_argument("--ship-thresholds", choices=["config", "tuned"], default="tuned",
                    help="thresholds of the shipped models: the config's, or those tuned on the real set")
    ap.add_argument("--coders", type=Path, nargs=2, metavar=("CODER_A", "CODER_B"),
                    help="the two coders' raw files: print their agreement (annotate agreement's statistics)")
    args = ap.parse_args(argv)

    config = load_config()
    section = config.section("classify")
    taxonomy = taxonomy_from_config(section)
    base = TrainParams.from_config(section)
    names = taxonomy.names
    seeds = args.real == "seeds"
    if not seeds and (args.gold is None or args.units is None):
        ap.error("--gold and --units are needed (or --real seeds)")
    gold, docs, real = sample_pool(args.db, base.synthetic_coders, with_seeds=seeds)
    evaluated_on = "seeds (47 documents of three real pages: NOT the real development set)" if seeds else "real_dev"
    if not seeds:
        rgold, rdocs = real_units(args.gold, args.units, names, args.text)
        gold = pd.concat([gold, rgold], ignore_index=True)
        docs = pd.concat([docs, rdocs], ignore_index=True)
        real = set(rdocs["doc_id"])
    wanted = [m for m in METHODS] if args.methods == "all" else [m.strip() for m in args.methods.split(";")]
    encs = [e.strip() for e in args.encoders.split(",")]
    results: dict = {"evaluated_on": evaluated_on, "methods": {}, "timing_s": {}}
    if args.coders:
        agr = agreement_summary(args.coders[0], args.coders[1], names)
        results["agreement"] = agr
        print(f"Coders' agreement on {agr['units']} units: theme micro-F1 A vs B {agr['theme_micro_f1_A_vs_B']:.3f}, "
              f"theme kappa (pooled) {agr['theme_kappa_pooled']:.3f}, stance kappa {agr['stance_kappa']:.3f} "
              f"({agr['stance_pairs_both']} pairs both coded, agreement {agr['stance_agreement']:.3f}), "
              f"sentiment kappa {agr['sentiment_kappa']:.3f} (agreement {agr['sentiment_agreement']:.3f}), "
              f"paragraph own/not_own/mixed kappa {agr['paragraph_kappa']:.3f} ({agr['paragraphs']} paragraphs)")
        print("\n| label kind | label | statistic | value | units | observed agreement |\n|---|---|---|---|---|---|")
        for r in agr["per_label"]:
            print(f"| {r['label_kind']} | {r['label']} | {r['statistic']} | {r['value']:.3f} | {r['units']} | "
                  f"{r['agreement']:.3f} |")
    datasets = {}
    for key in encs:
        t0 = time.perf_counter()
        encoder, model_id = disk_cached_encoder(ENCODERS[key][0], args.cache, unit=ENCODERS[key][1],
                                                batch_tokens=int(config.get("embed.batch_tokens")))
        data = labelled_set(gold, docs, names, encoder, int(section["min_chars"]), real_docs=real,
                            real_weight=1.0, sentences=True)
        datasets[key] = (data, encoder, model_id)
        results["timing_s"][f"features:{key}"] = round(time.perf_counter() - t0, 1)
        print(f"# features {key} ({model_id}): {len(data.doc_ids)} documents, {int(data.real.sum())} real, "
              f"{time.perf_counter() - t0:.0f} s", file=sys.stderr)
    data, encoder, _ = datasets.get("minilm", next(iter(datasets.values())))
    eval_mask = data.real.copy()
    eval_rows = np.where(eval_mask)[0]
    preds = {}
    if "minilm" in datasets:
        preds["shipped (today's models)"] = shipped_predictions(data, eval_rows, taxonomy, encoder,
                                                              resolve_path(config.get("paths.models_dir")), SHIPPED_RUN)
    for name in wanted:
        key, change = METHODS[name]
        if key not in datasets:
            continue
        d, enc, _ = datasets[key]
        params = params_for(base, change)
        d.weights = np.where(d.real, params.real_weight, 1.0)
        t0 = time.perf_counter()
        preds[name] = cv_predictions(d, taxonomy, enc, params, d.real.copy())
        results["timing_s"][name] = round(time.perf_counter() - t0, 1)
        print(f"# {name}: {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    rows = []
    for name, pred in preds.items():
        groups = {"theme": pred["groups_theme"], "stance": pred["groups_stance"], "sent": pred["groups_sent"]}
        s = score(pred, groups, args.boot)
        s["per_label"] = per_label(pred, names, groups, args.boot)
        if "theme_proba" in pred and name != "shipped (today's models)":
            s["tuned"] = tune(pred, names)
        results["methods"][name] = s
        rows.append((name, s))
    n_units = len(eval_rows)
    n_pages = len(set(data.groups[r] for r in eval_rows))
    print(f"\nEvaluated on {evaluated_on}: {n_units} units from {n_pages} pages; cross-validated, folds grouped "
          f"by page; 95% intervals by bootstrap over pages ({args.boot} resamples).\n")
    print("| method | theme micro-F1 | stance macro-F1 | stance accuracy | stance macro-F1 end-to-end | "
          "sentiment macro-F1 |")
    print("|---|---|---|---|---|---|")
    for name, s in rows:
        print(f"| {name} | {fmt(s['theme_micro_f1'], s['theme_ci'])} | {fmt(s['stance_macro_f1'], s['stance_ci'])} | "
              f"{s['stance_accuracy']:.3f} | {s.get('stance_e2e_macro_f1', float('nan')):.3f} | "
              f"{fmt(s['sentiment_macro_f1'], s['sentiment_ci'])} |")
    for name, s in rows:
        if "tuned" in s:
            t = s["tuned"]
            print(f"\n{name}: thresholds tuned on these units: theme {t['theme_threshold']:.2f} -> micro-F1 "
                  f"{t['theme_micro_f1']:.3f}; stance NONE below {t.get('stance_min_confidence', 0):.2f} -> "
                  f"macro-F1 {t.get('stance_macro_f1', 0):.3f}")
    for name, s in rows:
        pl = s["per_label"]
        print(f"\n### {name}\n\n| theme | precision [95% CI] | recall | F1 [95% CI] | support | predicted |\n|---|---|---|---|---|---|")
        for t, c in pl["theme"].items():
            print(f"| {t} | {fmt(c['precision'], c['precision_ci'])} | {c['recall']:.3f} | {fmt(c['f1'], c['f1_ci'])} | "
                  f"{c['support']} | {c['n_predicted']} |")
        for kind in ("stance", "sentiment"):
            print(f"\n| {kind} class | precision [95% CI] | recall | F1 | support |\n|---|---|---|---|---|")
            for lab, c in pl[kind].items():
                print(f"| {lab} | {fmt(c['precision'], c['precision_ci'])} | {c['recall']:.3f} | {c['f1']:.3f} | "
                      f"{c['support']} |")
    results["n_units"] = len(eval_rows)
    results["n_pages"] = len(set(data.groups[r] for r in eval_rows))
    if args.ship:
        chosen = args.ship
        if chosen == "best":
            # the measured method (not today's shipped models) with the best mean of the three headline figures
            cands = {k: v for k, v in results["methods"].items() if k in METHODS}
            chosen = max(cands, key=lambda k: (cands[k]["theme_micro_f1"] + cands[k]["stance_macro_f1"]
                                               + cands[k]["sentiment_macro_f1"]) / 3)
            print(f"\nbest measured method (mean of the three figures): {chosen}")
        results["shipped"] = ship(chosen, datasets, results, preds, taxonomy, base, args, config)
    args.out.parent.mkdir(parents=True, exist_ok=True)

    def _j(o):
        if isinstance(o, np.ndarray):
            return o.tolist()
        if isinstance(o, (np.floating, np.integer, np.bool_)):
            return o.item()
        return str(o)

    results["predictions"] = {k: {kk: vv for kk, vv in v.items()} for k, v in preds.items()}
    results["n_units"], results["n_pages"] = n_units, n_pages
    args.out.write_text(json.dumps(results, default=_j))
    print(f"\nwritten: {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
