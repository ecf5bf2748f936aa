"""Agreement statistics against hand-computed values and the krippendorff package."""

from __future__ import annotations

import math

import krippendorff
import numpy as np
import pandas as pd
import pytest

from pipeline.annotate.agreement import agreement_table, cohen_kappa, krippendorff_alpha_nominal


def test_cohen_kappa_textbook_example():
    # 50 items: yes/yes 20, yes/no 5, no/yes 10, no/no 15.
    # p_o = 35/50 = 0.7; p_e = 0.5*0.6 + 0.5*0.4 = 0.5; kappa = (0.7-0.5)/(1-0.5) = 0.4
    a = ["y"] * 25 + ["n"] * 25
    b = ["y"] * 20 + ["n"] * 5 + ["y"] * 10 + ["n"] * 15
    assert cohen_kappa(a, b) == pytest.approx(0.4)


def test_cohen_kappa_small_hand_computed():
    # coder 1: a a b b; coder 2: a b b b. p_o = 3/4; p_e = (2*1 + 2*3)/16 = 1/2; kappa = 0.5
    assert cohen_kappa(list("aabb"), list("abbb")) == pytest.approx(0.5)


def test_cohen_kappa_perfect_and_undefined():
    assert cohen_kappa(list("abcab"), list("abcab")) == pytest.approx(1.0)
    assert math.isnan(cohen_kappa(list("aaaa"), list("aaaa")))  # chance agreement is total
    with pytest.raises(ValueError):
        cohen_kappa(["a"], ["a", "b"])


def test_alpha_small_hand_computed():
    # units (a,a) (a,b) (b,b) (b,b): o_aa=2, o_ab=o_ba=1, o_bb=4; n_a=3, n_b=5, n=8
    # alpha = 1 - (n-1) * (o_ab+o_ba) / (n_a*n_b + n_b*n_a) = 1 - 7*2/30 = 8/15
    units = {1: ["a", "a"], 2: ["a", "b"], 3: ["b", "b"], 4: ["b", "b"]}
    assert krippendorff_alpha_nominal(units) == pytest.approx(8 / 15)


KRIPPENDORFF_2011 = [  # "Computing Krippendorff's alpha-reliability" (2011), nominal alpha = 0.743
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]


def test_alpha_published_example():
    units = {u: [row[u] for row in KRIPPENDORFF_2011 if row[u] is not None] for u in range(12)}
    assert krippendorff_alpha_nominal(units) == pytest.approx(0.743, abs=5e-4)


@pytest.mark.parametrize("seed", range(5))
def test_alpha_matches_krippendorff_package(seed):
    rng = np.random.default_rng(seed)
    data = rng.integers(0, 3, size=(3, 40)).astype(float)
    data[rng.random(data.shape) < 0.2] = np.nan
    units = {u: [v for v in data[:, u] if not np.isnan(v)] for u in range(data.shape[1])}
    ours = krippendorff_alpha_nominal(units)
    theirs = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    assert ours == pytest.approx(theirs, abs=1e-9)


def test_alpha_undefined_when_one_value():
    assert math.isnan(krippendorff_alpha_nominal({1: ["a", "a"], 2: ["a", "a"]}))


def test_agreement_table_per_label_and_pair():
    rows = []
    for doc, (x, y, z) in {"d1": ("NEGATIVE", "NEGATIVE", "NEGATIVE"), "d2": ("POSITIVE", "NEGATIVE", "POSITIVE"),
                           "d3": ("NEUTRAL", "NEUTRAL", "NEUTRAL"), "d4": ("NEGATIVE", "NEGATIVE", None)}.items():
        for coder, v in zip(("ann", "bob", "cat"), (x, y, z)):
            if v:
                rows.append((doc, coder, "sentiment", "sentiment", v))
    for doc, (x, y) in {"d1": ("present", "present"), "d2": ("absent", "present"),
                        "d3": ("absent", "absent"), "d4": ("absent", "absent")}.items():
        rows.append((doc, "ann", "theme", "pay", x))
        rows.append((doc, "bob", "theme", "pay", y))
    codes = pd.DataFrame(rows, columns=["doc_id", "coder", "label_kind", "label", "value"])
    table = agreement_table(codes)
    sent = table[table.label == "sentiment"]
    assert set(sent.statistic) == {"cohen_kappa", "krippendorff_alpha"}
    assert len(sent[sent.statistic == "cohen_kappa"]) == 3  # three pairs
    ab = sent[(sent.statistic == "cohen_kappa") & (sent.coders == "ann | bob")].iloc[0]
    assert ab.units == 4
    assert ab.value == pytest.approx(cohen_kappa(["NEGATIVE", "POSITIVE", "NEUTRAL", "NEGATIVE"],
                                                 ["NEGATIVE", "NEGATIVE", "NEUTRAL", "NEGATIVE"]))
    pay = table[(table.label == "pay") & (table.statistic == "cohen_kappa")].iloc[0]
    # ann: p a a a ; bob: p p a a -> p_o = 3/4, p_e = (1*2 + 3*2)/16 = 1/2, kappa = 1/2
    assert pay.value == pytest.approx(0.5)
