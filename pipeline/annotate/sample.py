"""Choosing documents to code and writing them out for coders.

Two strategies:

- ``stratified``: strata are (the document's highest-scoring detected theme, or 'none',
  or 'unclassified' before any classify run) x (year of publication, or 'undated').
  Each stratum gets a share of the sample proportional to its size (largest remainder),
  at least one document while the sample has room; documents inside a stratum are drawn
  at random with a fixed seed.
- ``uncertain``: the documents the models are least sure of: for each document the
  highest of (1 - distance of a theme probability from the theme threshold, scaled to
  [0, 1]) and (1 - the default sentiment's probability); highest first.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.errors import UserError

STRATEGIES = ("stratified", "uncertain")


def strata(cands: pd.DataFrame) -> pd.Series:
    """The stratum of each candidate (columns: top_theme, published_at)."""
    years = pd.to_datetime(cands["published_at"], errors="coerce").dt.year
    year = years.map(lambda y: "undated" if pd.isna(y) else str(int(y)))
    theme = cands["top_theme"].fillna("unclassified").astype(str)
    return theme + " | " + year


def sample_stratified(cands: pd.DataFrame, n: int, seed: int) -> list[str]:
    """``n`` doc_ids drawn across strata (see the module doc). ``cands``: doc_id,
    top_theme, published_at."""
    if n <= 0 or cands.empty:
        return []
    if n >= len(cands):
        return cands["doc_id"].tolist()
    rng = np.random.default_rng(seed)
    st = strata(cands)
    sizes = st.value_counts().sort_index()
    quota = sizes / sizes.sum() * n
    alloc = np.floor(quota).astype(int)
    order = (quota - alloc).sort_values(ascending=False, kind="stable").index
    empty = [s for s in order if alloc[s] == 0]
    rest = n - int(alloc.sum())
    for s in empty + [s for s in order if s not in empty]:
        if rest <= 0:
            break
        if alloc[s] < sizes[s]:
            alloc[s] += 1
            rest -= 1
    chosen: list[str] = []
    for s in sizes.index:
        ids = cands.loc[st == s, "doc_id"].tolist()
        k = int(min(alloc[s], len(ids)))
        chosen += [ids[i] for i in sorted(rng.choice(len(ids), size=k, replace=False))]
    return chosen


def uncertainty(theme_scores: pd.DataFrame, sentiment: pd.DataFrame, threshold: float) -> pd.Series:
    """Per doc_id in [0, 1], higher = less sure. ``theme_scores``: doc_id, score, method
    (only 'supervised' scores count); ``sentiment``: doc_id, score (default method)."""
    parts = []
    sup = theme_scores[theme_scores["method"] == "supervised"]
    if not sup.empty:
        scale = max(threshold, 1.0 - threshold)
        u = 1.0 - (sup["score"] - threshold).abs() / scale
        parts.append(pd.Series(u.to_numpy(), index=sup["doc_id"].to_numpy()).groupby(level=0).max())
    if not sentiment.empty:
        parts.append(pd.Series((1.0 - sentiment["score"]).to_numpy(), index=sentiment["doc_id"].to_numpy())
                     .groupby(level=0).max())
    if not parts:
        return pd.Series(dtype=float)
    return pd.concat(parts, axis=1).max(axis=1).clip(0.0, 1.0)


def sample_uncertain(unsure: pd.Series, candidates: Sequence[str], n: int) -> list[str]:
    """The ``n`` candidates with the highest uncertainty (ties by doc_id)."""
    s = unsure.reindex(list(candidates)).dropna()
    frame = pd.DataFrame({"doc_id": s.index, "u": s.to_numpy()}).sort_values(["u", "doc_id"],
                                                                            ascending=[False, True])
    return frame["doc_id"].head(max(0, n)).tolist()


EXPORT_FIELDS = ["doc_id", "source", "doc", "parent", "kind", "author", "published_at", "starts_with",
                 "own_text_only", "own_text"]


def pick_documents(docs: pd.DataFrame, locators: pd.DataFrame, coded: set[str], scores: pd.DataFrame,
                   sentiment: pd.DataFrame, run: str | None, *, strategy: str, n: int, min_chars: int,
                   theme_threshold: float, seed: int) -> pd.DataFrame:
    """The documents to code, one row each with its first locator (``source``, ``doc``,
    ``parent``; missing values ``None``): candidates are documents with at least
    ``min_chars`` of own text that ``coded`` does not hold, drawn by ``strategy`` from the
    classify run ``run``'s theme ``scores`` and ``sentiment`` (``None``: no run yet)."""
    cands = docs[(docs["own_text"].str.strip().str.len() >= min_chars) & ~docs["doc_id"].isin(coded)].copy()
    if strategy == "uncertain":
        if run is None:
            raise UserError("the uncertain strategy needs a classify run first "
                             "(`probation-corpus run --stage classify`), or use --strategy stratified")
        chosen = sample_uncertain(uncertainty(scores, sentiment, theme_threshold),
                                  cands["doc_id"].tolist(), n)
    else:
        if run is None:
            top = pd.Series(dtype=object)
        else:
            present = scores[scores["present"]].sort_values("score", ascending=False)
            top = present.drop_duplicates("doc_id").set_index("doc_id")["theme"]
        cands["top_theme"] = cands["doc_id"].map(top)
        if run is not None:
            cands["top_theme"] = cands["top_theme"].fillna("none")
        chosen = sample_stratified(cands, n, seed)
    picked = cands.set_index("doc_id").loc[chosen].reset_index()
    first_loc = locators.drop_duplicates("doc_id").set_index("doc_id")
    picked["source"] = picked["doc_id"].map(first_loc["source"])
    picked["doc"] = picked["doc_id"].map(first_loc["doc"])
    picked["parent"] = picked["doc_id"].map(first_loc["parent"])
    picked = picked.astype({"source": object, "doc": object, "parent": object})
    picked = picked.where(picked.notna(), None)
    return picked


def export_records(docs: pd.DataFrame, theme_names: Sequence[str]) -> list[dict]:
    """One record per document in the guidelines' gold format plus doc_id and the own
    text, with empty codes for the coder to fill. ``docs``: the EXPORT_FIELDS less
    starts_with / own_text_only."""
    recs = []
    for r in docs.itertuples(index=False):
        text = r.own_text or ""
        recs.append({
            "doc_id": r.doc_id, "source": r.source, "doc": r.doc, "parent": r.parent, "kind": r.kind,
            "author": r.author, "published_at": None if pd.isna(r.published_at) else str(r.published_at),
            "starts_with": text[:40], "own_text_only": True, "own_text": text,
            "themes": {}, "sentiment": "",
        })
    return recs


def write_jsonl(records: Sequence[dict], path: Path) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False, default=str) + "\n")


def write_csv(records: Sequence[dict], theme_names: Sequence[str], path: Path) -> None:
    """One column per theme (``theme:<name>``: leave empty, or FAVOR / AGAINST / NONE)."""
    cols = EXPORT_FIELDS + [f"theme:{t}" for t in theme_names] + ["sentiment", "notes"]
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=cols, extrasaction="ignore")
        w.writeheader()
        for rec in records:
            row = {k: ("" if rec.get(k) is None else rec.get(k)) for k in EXPORT_FIELDS}
            row.update({f"theme:{t}": rec["themes"].get(t, "") or "" for t in theme_names})
            row["sentiment"] = rec.get("sentiment", "")
            row["notes"] = ""
            w.writerow(row)
