"""Evaluation reports as table rows (``model_evaluations``) and as Markdown."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pandas as pd

OVERALL = "_overall"

# What the project aims for (issue 5); the report states what was reached.
AIMS = {"theme": ("supervised", "micro_f1", 0.80), "stance": ("supervised", "macro_f1", 0.65),
        "sentiment": ("domain", "macro_f1", 0.75)}


def evaluation_rows(kind: str, reports: Mapping[str, dict], folds: int) -> pd.DataFrame:
    """One row per (method, class) plus an '_overall' row (micro-averaged P/R/F1)."""
    rows = []
    for method, rep in reports.items():
        for cls, m in rep["classes"].items():
            conf = m.get("confusion")
            rows.append({"model_kind": kind, "method": method, "class": cls, "precision": m["precision"],
                         "recall": m["recall"], "f1": m["f1"], "support": m["support"],
                         "macro_f1": rep["macro_f1"], "micro_f1": rep["micro"]["f1"],
                         "confusion": json.dumps({"labels": ["absent", "present"], "matrix": conf}) if conf else None,
                         "cv_folds": folds, "n_items": rep["n"]})
        rows.append({"model_kind": kind, "method": method, "class": OVERALL, "precision": rep["micro"]["precision"],
                     "recall": rep["micro"]["recall"], "f1": rep["micro"]["f1"],
                     "support": sum(m["support"] for m in rep["classes"].values()), "macro_f1": rep["macro_f1"],
                     "micro_f1": rep["micro"]["f1"], "confusion": json.dumps(rep["confusion"]), "cv_folds": folds,
                     "n_items": rep["n"]})
    return pd.DataFrame(rows)


def _f(x: float) -> str:
    return f"{x:.3f}"


def _confusion_md(conf: dict[str, Any]) -> list[str]:
    labels = conf["labels"]
    lines = ["| gold \\ predicted | " + " | ".join(labels) + " |", "|---" * (len(labels) + 1) + "|"]
    for lab, row in zip(labels, conf["matrix"]):
        lines.append(f"| {lab} | " + " | ".join(str(v) for v in row) + " |")
    return lines


def markdown_report(results: Mapping[str, Mapping[str, dict]], folds: int, data_counts: Mapping[str, Any],
                    notes: str = "") -> str:
    """The evaluation report: for each model kind, every method side by side, then per
    class P/R/F1 and the confusion matrix of each method."""
    out = ["# Evaluation: themes, stance, sentiment", "",
           f"Cross-validated ({folds} folds, grouped by thread: no thread is split between training "
           "and test). Baselines are scored on the same documents. Produced by "
           "`probation-corpus evaluate`.", ""]
    if notes:
        out += [notes, ""]
    out += ["## Labelled data", "", "```", json.dumps(data_counts, indent=2, sort_keys=True, default=str), "```", ""]
    out += ["## Summary", "", "| model | method | macro-F1 | micro-F1 | items |", "|---|---|---|---|---|"]
    for kind, reports in results.items():
        for method, rep in reports.items():
            out.append(f"| {kind} | {method} | {_f(rep['macro_f1'])} | {_f(rep['micro']['f1'])} | {rep['n']} |")
    out.append("")
    aims = []
    for kind, (method, measure, target) in AIMS.items():
        rep = results.get(kind, {}).get(method)
        if rep is None:
            continue
        got = rep["micro"]["f1"] if measure == "micro_f1" else rep["macro_f1"]
        aims.append(f"- {kind} ({method}) {measure.replace('_', '-')}: {_f(got)} against an aim of {target:.2f} "
                    f"— {'reached' if got >= target else 'not reached'}.")
    if aims:
        out += ["Aims of the project:", ""] + aims + [""]
    for kind, reports in results.items():
        out += [f"## {kind}", ""]
        for method, rep in reports.items():
            out += [f"### {kind}: {method}", "", f"macro-F1 {_f(rep['macro_f1'])}, micro P/R/F1 "
                    f"{_f(rep['micro']['precision'])} / {_f(rep['micro']['recall'])} / {_f(rep['micro']['f1'])}, "
                    f"{rep['n']} items.", "", "| class | precision | recall | F1 | support |", "|---|---|---|---|---|"]
            for cls, m in rep["classes"].items():
                out.append(f"| {cls} | {_f(m['precision'])} | {_f(m['recall'])} | {_f(m['f1'])} | {m['support']} |")
            out += ["", "Confusion matrix" + (" (all themes pooled)" if kind == "theme" else "") + ":", ""]
            out += _confusion_md(rep["confusion"]) + [""]
    return "\n".join(out)
