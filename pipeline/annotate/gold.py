"""One gold value per (document, label) from several coders' codes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import pandas as pd

GOLD_COLUMNS = ["doc_id", "label_kind", "label", "value", "n_coders"]


def consolidate(codes: pd.DataFrame, adjudicator: str, coders: Sequence[str] | None = None) -> pd.DataFrame:
    """Majority vote per (doc_id, label_kind, label) over ``codes`` (doc_id, coder,
    label_kind, label, value), optionally only from ``coders``. A tie goes to the
    ``adjudicator``'s value when they coded it; otherwise the label is left out for that
    document (no gold where the coders are split)."""
    if coders:
        codes = codes[codes["coder"].isin(list(coders))]
    out = []
    for (doc_id, kind, label), grp in codes.groupby(["doc_id", "label_kind", "label"], sort=True):
        votes = Counter(grp["value"])
        ranked = votes.most_common()
        top = ranked[0][1]
        winners = [v for v, c in ranked if c == top]
        if len(winners) == 1:
            value = winners[0]
        else:
            adj = grp[grp["coder"] == adjudicator]["value"].tolist() if adjudicator else []
            if not adj or adj[0] not in winners:
                continue
            value = adj[0]
        out.append((doc_id, kind, label, value, int(grp["coder"].nunique())))
    return pd.DataFrame(out, columns=GOLD_COLUMNS)
