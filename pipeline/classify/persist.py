"""Fitted models on disk: ``<models_dir>/<kind>/<run_id>/`` with ``model.joblib``,
``card.json`` and ``MODEL_CARD.md``.

``model.joblib`` is a pickle: load only folders you trust (the shipped ones, or ones
you trained yourself).
"""

from __future__ import annotations

from collections.abc import Callable

import json
from pathlib import Path
from typing import Any

import joblib

from pipeline.classify.errors import ModelFolderError
from pipeline.classify.labels import KINDS

MODEL_FILE = "model.joblib"
CARD_FILE = "card.json"
CARD_MD = "MODEL_CARD.md"


def save_model(model: Any, kind: str, run_id: str, models_dir: str | Path, card: dict[str, Any]) -> Path:
    """Write the model and its card; returns the folder."""
    if kind not in KINDS:
        raise ValueError(f"unknown model kind {kind!r}; kinds: {', '.join(KINDS)}")
    folder = Path(models_dir) / kind / run_id
    folder.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, folder / MODEL_FILE, compress=3)
    (folder / CARD_FILE).write_text(json.dumps(card, indent=2, sort_keys=True, default=str) + "\n")
    (folder / CARD_MD).write_text(card_markdown(card))
    return folder


def list_models(models_dir: str | Path, kind: str) -> list[tuple[Path, dict[str, Any]]]:
    """Every saved model of ``kind`` with its card, newest first."""
    root = Path(models_dir) / kind
    found = []
    for card_path in sorted(root.glob(f"*/{CARD_FILE}")):
        if not (card_path.parent / MODEL_FILE).exists():
            continue
        try:
            card = json.loads(card_path.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        found.append((card_path.parent, card))
    found.sort(key=lambda pc: (str(pc[1].get("created_at", "")), pc[0].name), reverse=True)
    return found


def resolve_model_dir(models_dir: str | Path, kind: str, spec: str,
                      fits: Callable[[dict[str, Any]], bool] | None = None) -> Path | None:
    """``spec``: 'latest' (newest under models_dir/kind, None if there is none; with
    ``fits``, the newest whose card fits, else the newest), 'none', a run id under
    models_dir/kind, or a folder path."""
    spec = (spec or "").strip()
    if spec.lower() in ("", "none"):
        return None
    if spec.lower() == "latest":
        models = list_models(models_dir, kind)
        fitting = [m for m in models if fits is None or fits(m[1])]
        return (fitting or models)[0][0] if models else None
    for candidate in (Path(models_dir) / kind / spec, Path(spec)):
        if (candidate / MODEL_FILE).exists():
            return candidate
    raise ModelFolderError(f"no {kind} model {spec!r}: expected a run id under {Path(models_dir) / kind} "
                           f"or a folder holding {MODEL_FILE}",
                           f"set classify.{kind}_model to \"latest\", an existing run id or folder, or \"none\"")


def load_model(folder: str | Path) -> tuple[Any, dict[str, Any]]:
    """The model and its card from a folder written by ``save_model``."""
    folder = Path(folder)
    try:
        card = json.loads((folder / CARD_FILE).read_text())
        model = joblib.load(folder / MODEL_FILE)
    except (OSError, json.JSONDecodeError, EOFError, ValueError) as exc:
        raise ModelFolderError(f"cannot load the model in {folder}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}",
                               "retrain it (`probation-corpus train`) or point the config at another model folder") from exc
    return model, card


def _fmt(x: Any) -> str:
    return f"{x:.3f}" if isinstance(x, float) else str(x)


def card_markdown(card: dict[str, Any]) -> str:
    """A readable model card from ``card.json``'s content."""
    lines = [f"# Model card: {card.get('kind')} model {card.get('run_id')}", ""]
    lines += [card.get("summary", ""), ""]
    lines += ["## Model", "", f"- method: {card.get('method')}", f"- features: {card.get('features')}",
              f"- embedding model: {card.get('embedding_model')}", f"- hyper-parameters: "
              f"{json.dumps(card.get('params', {}), sort_keys=True)}", f"- created: {card.get('created_at')}",
              f"- versions: {json.dumps(card.get('versions', {}), sort_keys=True)}", ""]
    td = card.get("training_data", {})
    lines += ["## Training data", "", f"- coders: {', '.join(td.get('coders', []))}",
              f"- documents: {td.get('documents')} in {td.get('threads')} threads",
              f"- label counts: {json.dumps(td.get('labels', {}), sort_keys=True)}",
              f"- gold: {td.get('gold', '')}", ""]
    cv = card.get("cv", {})
    if cv:
        lines += [f"## Cross-validated evaluation ({card.get('cv_folds')} folds, grouped by thread)", "",
                  *([card["cv_note"], ""] if card.get("cv_note") else []),
                  "| method | macro-F1 | micro-F1 |", "|---|---|---|"]
        for method, rep in cv.items():
            lines.append(f"| {method} | {_fmt(rep['macro_f1'])} | {_fmt(rep['micro']['f1'])} |")
        lines.append("")
        main = cv.get(card.get("method", ""), {})
        if main:
            lines += [f"Per class ({card.get('method')}):", "", "| class | precision | recall | F1 | support |",
                      "|---|---|---|---|---|"]
            for cls, m in main["classes"].items():
                lines.append(f"| {cls} | {_fmt(m['precision'])} | {_fmt(m['recall'])} | {_fmt(m['f1'])} | "
                             f"{m['support']} |")
            lines.append("")
    lines += _real_text_lines(card)
    lines += ["## Intended use and limits", "", card.get("limits", ""), "",
              "## Retrain", "", card.get("retrain", ""), ""]
    return "\n".join(lines)


def _ci(v, ci) -> str:
    if v is None or v != v:
        return "–"
    if not ci or ci[0] is None or ci[0] != ci[0]:
        return _fmt(v)
    return f"{_fmt(v)} [{ci[0]:.2f}, {ci[1]:.2f}]"


def _real_text_lines(card: dict[str, Any]) -> list[str]:
    """The card's figures on real blog text (``real_text``), the coders' agreement
    (``agreement``) and the per-label precision quotes reads (``label_quality``)."""
    real = card.get("real_text")
    if not real:
        return []
    lines = [f"## On real blog text: {real.get('evaluated_on')}", "",
             f"{real.get('n_units')} units from {real.get('n_pages')} pages, cross-validated with folds grouped by "
             "page (the synthetic sample always in training); 95% intervals by bootstrap over pages.", ""]
    head = real.get("headline", {})
    if head:
        lines += ["| method | theme micro-F1 | stance macro-F1 | sentiment macro-F1 |", "|---|---|---|---|"]
        for method, h in head.items():
            lines.append(f"| {method} | {_ci(h.get('theme_micro_f1'), h.get('theme_ci'))} | "
                         f"{_ci(h.get('stance_macro_f1'), h.get('stance_ci'))} | "
                         f"{_ci(h.get('sentiment_macro_f1'), h.get('sentiment_ci'))} |")
        lines.append("")
    per = real.get("per_label", {})
    for kind, rows in per.items():
        if not rows:
            continue
        lines += [f"Per {'theme' if kind == 'theme' else kind + ' class'} (this model, real text):", "",
                  "| label | precision [95% CI] | recall | F1 | support | predicted |", "|---|---|---|---|---|---|"]
        for lab, m in rows.items():
            lines.append(f"| {lab} | {_ci(m.get('precision'), m.get('precision_ci'))} | {_fmt(m.get('recall'))} | "
                         f"{_ci(m.get('f1'), m.get('f1_ci'))} | {m.get('support')} | {m.get('n_predicted')} |")
        lines.append("")
    agr = card.get("agreement")
    if agr:
        lines += ["## The coders' agreement on the real set", ""]
        lines += [f"- {k}: {_fmt(v) if isinstance(v, float) else v}" for k, v in agr.items() if k != "per_label"]
        lines.append("")
    lq = card.get("label_quality")
    if lq:
        lines += ["## Label quality (what `quotes` reads, table `label_quality`)", "",
                  "| label | value | precision [95% CI] | good enough to cite (>= 0.8) | confidence giving precision >= 0.8 |",
                  "|---|---|---|---|---|"]
        for r in lq:
            ok = r.get("precision") is not None and r["precision"] >= 0.8
            lines.append(f"| {r['label']} | {r['value']} | {_ci(r.get('precision'), (r.get('ci_low'), r.get('ci_high')))} "
                         f"| {'yes' if ok else 'no'} | {_fmt(r.get('confidence_for_precision_80')) if r.get('confidence_for_precision_80') is not None else 'none'} |")
        lines.append("")
    return lines
