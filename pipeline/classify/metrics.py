"""Per-class precision, recall, F1, macro-F1, micro-F1 and confusion matrices."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support


def single_label_report(y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str]) -> dict[str, Any]:
    """Report for one label per item. ``macro_f1`` averages F1 over ``labels``;
    micro-averaged P = R = F1 = accuracy here."""
    y_true, y_pred, labels = list(y_true), list(y_pred), list(labels)
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    cm = confusion_matrix(y_true, y_pred, labels=labels) if y_true else np.zeros((len(labels),) * 2, int)
    acc = float(np.mean([a == b for a, b in zip(y_true, y_pred)])) if y_true else 0.0
    return {
        "n": len(y_true),
        "classes": {lab: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]),
                          "support": int(s[i])} for i, lab in enumerate(labels)},
        "macro_f1": float(np.mean(f)) if len(f) else 0.0,
        "micro": {"precision": acc, "recall": acc, "f1": acc},
        "confusion": {"labels": labels, "matrix": cm.astype(int).tolist()},
    }


def multilabel_report(Y_true: np.ndarray, Y_pred: np.ndarray, names: Sequence[str]) -> dict[str, Any]:
    """Report for present/absent per (item, label); entries coded -1 in ``Y_true`` are
    not counted. ``micro`` pools every (item, label) decision; ``macro_f1`` averages the
    per-label F1. Each label's confusion is [[TN, FP], [FN, TP]]."""
    Y_true = np.asarray(Y_true)
    Y_pred = np.asarray(Y_pred).astype(bool)
    classes: dict[str, dict] = {}
    tp_all = fp_all = fn_all = 0
    f1s = []
    for j, name in enumerate(names):
        known = Y_true[:, j] >= 0
        t = Y_true[known, j] == 1
        pr = Y_pred[known, j]
        tp = int(np.sum(t & pr))
        fp = int(np.sum(~t & pr))
        fn = int(np.sum(t & ~pr))
        tn = int(np.sum(~t & ~pr))
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        classes[name] = {"precision": prec, "recall": rec, "f1": f1, "support": int(t.sum()),
                         "confusion": [[tn, fp], [fn, tp]]}
        tp_all, fp_all, fn_all = tp_all + tp, fp_all + fp, fn_all + fn
        f1s.append(f1)
    mp = tp_all / (tp_all + fp_all) if tp_all + fp_all else 0.0
    mr = tp_all / (tp_all + fn_all) if tp_all + fn_all else 0.0
    mf = 2 * mp * mr / (mp + mr) if mp + mr else 0.0
    return {
        "n": int(Y_true.shape[0]),
        "classes": classes,
        "macro_f1": float(np.mean(f1s)) if f1s else 0.0,
        "micro": {"precision": mp, "recall": mr, "f1": mf},
        "confusion": {"labels": ["absent", "present"],
                      "matrix": [[sum(c["confusion"][0][0] for c in classes.values()),
                                  sum(c["confusion"][0][1] for c in classes.values())],
                                 [sum(c["confusion"][1][0] for c in classes.values()),
                                  sum(c["confusion"][1][1] for c in classes.values())]]},
    }
