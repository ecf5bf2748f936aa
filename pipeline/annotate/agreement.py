"""Inter-coder agreement: Cohen's kappa per pair of coders and Krippendorff's alpha
(nominal), per label. Implemented here from the textbook definitions.

- Cohen's kappa (Cohen 1960): kappa = (p_o - p_e) / (1 - p_e) over the units both coders
  coded, p_e from each coder's own marginal distribution.
- Krippendorff's alpha, nominal (Krippendorff 2011, "Computing Krippendorff's
  alpha-reliability"): from the coincidence matrix o_ck = sum over units of the number
  of c-k pairs of values in the unit divided by (m_u - 1), units with fewer than two
  values left out; alpha = 1 - (n - 1) * sum_{c != k} o_ck / sum_{c != k} n_c * n_k.
Both are undefined (NaN) when chance agreement is total (a single value everywhere).
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import pandas as pd


def cohen_kappa(a: Sequence[Hashable], b: Sequence[Hashable]) -> float:
    """Cohen's kappa of two equally long sequences of nominal codes (NaN when undefined)."""
    if len(a) != len(b):
        raise ValueError("the two coders' sequences differ in length")
    n = len(a)
    if n == 0:
        return math.nan
    p_o = sum(x == y for x, y in zip(a, b)) / n
    ca, cb = Counter(a), Counter(b)
    p_e = sum(ca[c] * cb[c] for c in set(ca) | set(cb)) / (n * n)
    if p_e == 1.0:
        return math.nan
    return (p_o - p_e) / (1.0 - p_e)


def krippendorff_alpha_nominal(units: Mapping[Hashable, Sequence[Hashable]]) -> float:
    """Krippendorff's alpha for nominal codes. ``units`` maps each unit to the values its
    coders gave (missing codes simply absent). NaN when undefined."""
    coincidence: Counter[tuple[Hashable, Hashable]] = Counter()
    for values in units.values():
        values = [v for v in values if v is not None]
        m = len(values)
        if m < 2:
            continue
        for i, j in itertools.permutations(range(m), 2):
            coincidence[(values[i], values[j])] += 1.0 / (m - 1)
    n_c: Counter[Hashable] = Counter()
    for (c, _k), w in coincidence.items():
        n_c[c] += w
    n = sum(n_c.values())
    if n <= 1:
        return math.nan
    disagree_obs = sum(w for (c, k), w in coincidence.items() if c != k)
    disagree_exp = sum(n_c[c] * n_c[k] for c in n_c for k in n_c if c != k)
    if disagree_exp == 0:
        return math.nan
    return 1.0 - (n - 1) * disagree_obs / disagree_exp


def agreement_table(codes: pd.DataFrame) -> pd.DataFrame:
    """Agreement per label from stored codes (doc_id, coder, label_kind, label, value).

    One row per (label_kind, label, statistic, coders): statistic 'cohen_kappa' for each
    pair of coders (over the documents both coded), 'krippendorff_alpha' over all
    coders. Columns: label_kind, label, statistic, coders, value, units, agreement
    (observed proportion of agreeing pairs).
    """
    rows: list[dict[str, Any]] = []
    for (kind, label), grp in codes.groupby(["label_kind", "label"], sort=True):
        by_unit: dict[str, dict[str, str]] = {}
        for r in grp.itertuples():
            by_unit.setdefault(r.doc_id, {})[r.coder] = r.value
        coders = sorted(grp["coder"].unique())
        for c1, c2 in itertools.combinations(coders, 2):
            both = [u for u, v in by_unit.items() if c1 in v and c2 in v]
            a = [by_unit[u][c1] for u in both]
            b = [by_unit[u][c2] for u in both]
            rows.append({"label_kind": kind, "label": label, "statistic": "cohen_kappa",
                         "coders": f"{c1} | {c2}", "value": cohen_kappa(a, b), "units": len(both),
                         "agreement": (sum(x == y for x, y in zip(a, b)) / len(both)) if both else math.nan})
        if len(coders) >= 2:
            units = {u: list(v.values()) for u, v in by_unit.items()}
            paired = {u: vals for u, vals in units.items() if len(vals) >= 2}
            pairs = [(x, y) for vals in paired.values() for x, y in itertools.combinations(vals, 2)]
            rows.append({"label_kind": kind, "label": label, "statistic": "krippendorff_alpha",
                         "coders": " | ".join(coders), "value": krippendorff_alpha_nominal(units),
                         "units": len(paired),
                         "agreement": (sum(x == y for x, y in pairs) / len(pairs)) if pairs else math.nan})
    return pd.DataFrame(rows, columns=["label_kind", "label", "statistic", "coders", "value", "units", "agreement"])
