"""Choosing and shaping quote rows for output. Pure (pandas in, pandas out).

- :func:`sample_order`: a reproducible random order (SHA-256 of seed and row key), the
  same for the same seed whatever order the database returns rows in.
- :func:`per_post`: the first N rows of each post, in the current order.
- :func:`publication_frame`: the columns every output format shares, with missing values
  spelled out ("undated", "untitled post") and offsets as ``[[start, end], …]``.
- :func:`pseudonymise_frame`: authors replaced by keyed-hash pseudonyms, handles inside
  every text replaced by ``[Author-…]``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import pandas as pd

from pipeline.quotes.pseudonym import Pseudonymiser

UNDATED = "undated"
UNTITLED = "untitled post"

COLUMNS = ["theme", "stance", "theme_score", "stance_score", "quote", "pseudonym", "date", "date_is_post_date",
           "published_at", "permalink", "permalink_is_post", "post_title", "topic_label", "kind", "n_words",
           "n_pieces", "pieces", "pieces_field", "names_flagged", "doc_id", "post_id"]
CONTEXT_COLUMNS = ["context_author", "context_text", "context_kind", "context_doc_id"]
_AUTHOR_COLUMNS = ("pseudonym", "context_author")
_ID_COLUMNS = ("doc_id", "post_id", "context_doc_id", "pieces", "pieces_field", "published_at", "date")


def _missing(v: Any) -> bool:
    if v is None:
        return True
    try:
        return bool(v != v)
    except (TypeError, ValueError):
        return False


def sample_order(df: pd.DataFrame, seed: int, key: Sequence[str] = ("doc_id", "theme")) -> pd.DataFrame:
    """``df`` in a random order fixed by ``seed`` (and independent of the input order)."""
    if df.empty:
        return df
    h = df[list(key)].astype(str).agg("|".join, axis=1).map(
        lambda k: hashlib.sha256(f"{seed}|{k}".encode()).hexdigest())
    return df.assign(_h=h).sort_values(["_h"], kind="stable").drop(columns="_h").reset_index(drop=True)


def per_post(df: pd.DataFrame, n: int) -> pd.DataFrame:
    """At most ``n`` rows of each post (a post's own quote counts for it), first ones kept."""
    if df.empty or not n:
        return df
    post = df["post_id"].where(df["post_id"].notna(), df["doc_id"])
    return df[post.groupby(post).cumcount() < n].reset_index(drop=True)


def date_text(published_at: Any, date_is_post_date: Any = False) -> str:
    """``2023-03-15``, ``2023-03-15 (post's date)`` or ``undated``."""
    if _missing(published_at):
        return UNDATED
    day = pd.Timestamp(published_at).date().isoformat()
    return day + (" (post's date)" if bool(date_is_post_date) and not _missing(date_is_post_date) else "")


def _pieces(v: Any) -> list[list[int]]:
    if v is None or (not hasattr(v, "__len__")):
        return []
    return [[int(p["start"]), int(p["end"])] for p in v]


def _names(v: Any) -> list[str]:
    if v is None or not hasattr(v, "__len__") or isinstance(v, str):
        return []
    return [str(x) for x in v]


def publication_frame(df: pd.DataFrame, context: bool = False) -> pd.DataFrame:
    """The output columns (``COLUMNS``, plus ``CONTEXT_COLUMNS`` with ``context``)."""
    cols = COLUMNS + (CONTEXT_COLUMNS if context else [])
    if df.empty:
        return pd.DataFrame(columns=cols)
    out = pd.DataFrame(index=df.index)
    for c in ("theme", "stance", "quote", "permalink", "kind", "doc_id", "post_id", "pieces_field"):
        out[c] = df[c].map(lambda v: "" if _missing(v) else str(v))
    out["theme_score"] = df["theme_score"].map(lambda v: None if _missing(v) else round(float(v), 3))
    out["stance_score"] = df["stance_score"].map(lambda v: None if _missing(v) else round(float(v), 3))
    out["pseudonym"] = df["pseudonym"].map(lambda v: "Anonymous" if _missing(v) or not str(v).strip() else str(v))
    out["date"] = [date_text(p, q) for p, q in zip(df["published_at"], df["date_is_post_date"])]
    out["date_is_post_date"] = df["date_is_post_date"].map(lambda v: False if _missing(v) else bool(v))
    out["published_at"] = df["published_at"].map(lambda v: "" if _missing(v) else pd.Timestamp(v).isoformat())
    out["permalink_is_post"] = df["permalink_is_post"].map(lambda v: False if _missing(v) else bool(v))
    out["post_title"] = df["post_title"].map(lambda v: UNTITLED if _missing(v) or not str(v).strip() else str(v))
    out["topic_label"] = df["topic_label"].map(lambda v: "" if _missing(v) else str(v))
    out["n_words"] = df["n_words"].map(lambda v: 0 if _missing(v) else int(v))
    out["pieces"] = df["pieces"].map(_pieces)
    out["n_pieces"] = out["pieces"].map(len)
    out["names_flagged"] = df["names_flagged"].map(_names)
    if context:
        has = df["context_doc_id"].map(lambda v: not _missing(v))
        out["context_author"] = [("Anonymous" if _missing(a) else str(a)) if h else ""
                                 for a, h in zip(df["context_author"], has)]
        out["context_text"] = [("" if _missing(t) else str(t)) if h else "" for t, h in zip(df["context_text"], has)]
        out["context_kind"] = [str(k) if h and not _missing(k) else "" for k, h in zip(df["context_kind"], has)]
        out["context_doc_id"] = [str(d) if h else "" for d, h in zip(df["context_doc_id"], has)]
    return out[cols].reset_index(drop=True)


def pseudonymise_frame(df: pd.DataFrame, p: Pseudonymiser) -> pd.DataFrame:
    """Authors become pseudonyms; every known handle in every other text becomes ``[Author-…]``."""
    out = df.copy()
    for c in out.columns:
        if c in _AUTHOR_COLUMNS:
            out[c] = out[c].map(lambda v: p.author(v) if isinstance(v, str) and v else v)
        elif c == "names_flagged":
            # a flagged name that is a known handle is already replaced in the text
            out[c] = out[c].map(lambda names: [n for n in names if p.text(n) == n])
        elif c not in _ID_COLUMNS:
            out[c] = out[c].map(lambda v: p.text(v) if isinstance(v, str) else v)
    return out


__all__ = ["COLUMNS", "CONTEXT_COLUMNS", "UNDATED", "UNTITLED", "date_text", "per_post", "publication_frame",
           "pseudonymise_frame", "sample_order"]
