"""Own words vs someone else's text on REAL pages: segment-level precision, recall and
F1 for not-own text (character level and paragraph level), today's rules beside the
rules of LOGIC_VERSION 1 and beside rules + the paragraph classifier; and the script
that (re)fits that classifier.

Real text never enters the repository. Labelled units are read from

* ``/work/devset`` (``units.jsonl`` + ``gold/adjudicated.jsonl``), or any folder of the
  same shape given with ``--data`` (e.g. the git-ignored ``corpus/real/devset``);
* ``--seed-aid FILE``: a temporary coding of the three seed pages (same shape; a
  development aid, never reported as gold).

A unit is ``{"id", "text", "paragraphs": [{"i", "start", "end"}], ...}`` (optionally
``kind`` post/comment, ``page``/``url``/``source`` naming its page, ``title``,
``author``, ``position``); its gold is ``{"id", "paragraphs": [{"i", "label":
own|not_own|mixed, "not_own_spans": [...]}]}`` where a span is ``[start, end]`` (into the
unit text, or into the paragraph when it fits there only), ``{"start", "end"}`` or the
quoted text itself.

The units of each page are run through the real pure stages (dedupe for passages
shared between documents, then segment with the thread lookup), so the figures are
what the pipeline does on these pages. Scores are for the not-own class:

* characters: non-space characters of gold not-own text (whole ``not_own``
  paragraphs, the spans of ``mixed`` ones) vs characters the method puts in a
  ``quote``/``pasted`` segment;
* paragraphs: a paragraph is predicted not-own when at least half its characters are;
  gold ``not_own`` vs ``own`` (``mixed`` paragraphs are scored at character level only).

The classifier is evaluated cross-validated grouped by page (a page's units are never
in the fold that trained the model that scores them). ``--fit`` then refits it on every
labelled unit and writes ``models/segment/paragraph_lr.json`` and its model card.

Usage: ``python -m benchmarks.segment_eval [--data DIR] [--seed-aid FILE] [--folds 5]
[--fit] [--markdown]``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.clean.signoff import find_signoff
from pipeline.config import ConfigError, load_config
from pipeline.dedupe import DedupeOptions, chronological_rank, dedupe_frame
from pipeline.dedupe.relations import COPY_RELATIONS
from pipeline.segment import segment_frame
from pipeline.segment.features import DESCRIPTIONS, FEATURES, ParagraphModel, paragraph_features
from pipeline.segment.settings import segment_options as _segment_options
from pipeline.textnorm import fingerprint

REPO = Path(__file__).resolve().parent.parent
DEVSET = Path("/work/devset")
MODEL_DIR = REPO / "models" / "segment"


def segment_options(cfg):
    """The configured options; without the classifier when its weights are not there yet."""
    try:
        return _segment_options(cfg)
    except ConfigError as exc:
        print(f"note: {exc}", file=sys.stderr)
        return _segment_options(cfg.with_overrides({"segment": {"classifier_model": ""}}))


# --------------------------------------------------------------------------- data

@dataclass
class Unit:
    uid: str
    page: str
    text: str
    paras: list[tuple[int, int]]
    kind: str = "comment"
    title: str | None = None
    author: str | None = None
    position: int = 0
    labels: dict[int, str] = field(default_factory=dict)      # paragraph index -> own|not_own|mixed
    gold_chars: set[int] = field(default_factory=set)          # offsets of gold not-own characters


def _uid(rec: dict) -> str:
    for k in ("id", "unit_id", "uid", "key"):
        if k in rec and rec[k] is not None:
            return str(rec[k])
    raise KeyError(f"record without an id: {sorted(rec)}")


def _page(rec: dict, uid: str) -> str:
    for k in ("page", "page_id", "url", "page_url", "source", "post_id", "post"):
        if rec.get(k):
            return str(rec[k])
    for sep in ("#", "/", ":"):
        if sep in uid:
            return uid.rsplit(sep, 1)[0]
    return uid


def _para_bounds(p: dict) -> tuple[int, int]:
    s = p.get("start", p.get("char_start"))
    e = p.get("end", p.get("char_end"))
    return int(s), int(e)


def _span_chars(text: str, ps: int, pe: int, span) -> set[int]:
    if isinstance(span, str):
        k = text.find(span, ps)
        k = k if k >= 0 else text.find(span)
        return set(range(k, k + len(span))) if k >= 0 else set()
    if isinstance(span, dict):
        if "start" in span and "end" in span:
            span = [span["start"], span["end"]]
        else:
            return _span_chars(text, ps, pe, span.get("text", ""))
    s, e = int(span[0]), int(span[1])
    if not (ps <= s < e <= pe) and 0 <= s < e <= pe - ps:
        s, e = s + ps, e + ps  # relative to the paragraph
    return set(range(s, e))


def load_units(units_path: Path, gold_path: Path) -> list[Unit]:
    gold = {}
    for line in gold_path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            rec = json.loads(line)
            gold[_uid(rec)] = rec
    out = []
    for line in units_path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        rec = json.loads(line)
        uid = _uid(rec)
        if uid not in gold:
            continue
        text = str(rec["text"]).replace("\r", " ")
        paras = [_para_bounds(p) for p in rec.get("paragraphs") or []]
        kind = str(rec.get("kind") or rec.get("doc_kind") or ("post" if str(rec.get("doc", "")) == "post"
                                                               else "comment"))
        kind = "post" if kind in ("post", "article", "page") else "comment"  # a web article is published like a post
        u = Unit(uid, _page(rec, uid), text, paras, kind,
                 rec.get("title"), rec.get("author"), int(rec.get("position") or rec.get("i") or 0))
        by_i = {int(p.get("i", k)): p for k, p in enumerate(rec.get("paragraphs") or [])}
        for gp in gold[uid].get("paragraphs", []):
            i = int(gp["i"])
            if i not in by_i:
                continue
            ps, pe = _para_bounds(by_i[i])
            label = str(gp.get("label", "own"))
            u.labels[i] = label
            if label == "not_own":
                u.gold_chars |= set(range(ps, pe))
            elif label == "mixed":
                for sp in gp.get("not_own_spans") or []:
                    u.gold_chars |= _span_chars(text, ps, pe, sp)
        u.paras = [_para_bounds(by_i[i]) if i in by_i else (0, 0) for i in range(max(by_i) + 1)] if by_i else []
        out.append(u)
    return out


# --------------------------------------------------------------------------- running the stages

def segment_units(units: list[Unit], opts, frame=segment_frame, signals: tuple[str, ...] = ()) -> dict[str, set[int]]:
    """Offsets of not-own characters per unit, by the real pure stages (only those of
    segments with one of ``signals`` when given)."""
    rows = []
    for u in units:
        so = find_signoff(u.text, 0, None, opts.signoff)
        rows.append({"doc_id": u.uid, "post_id": u.page, "kind": u.kind, "position": u.position,
                     "published_at": pd.NaT, "post_published_at": pd.Timestamp("2020-01-01"),
                     "author": u.author, "title": u.title, "clean_text": u.text, "clean_hash": fingerprint(u.text),
                     "signoff_raw": so.raw if so else None, "signoff": so.name if so else None,
                     "signoff_start": so.start if so else None, "signoff_end": so.end if so else None})
    docs = pd.DataFrame(rows)
    res = dedupe_frame(docs, DedupeOptions.of(load_config()))
    rank = chronological_rank(docs)
    copy_of = {r.doc_id: r.canonical_id for r in res.duplicates.itertuples() if r.relation in COPY_RELATIONS}
    # anonymous: the one name the published figures were measured with (segment_frame's old default)
    segs, _ = frame(docs, res.spans, rank, thread_docs=docs[["doc_id", "post_id", "clean_text"]], copy_of=copy_of,
                    anonymous=("Anonymous",), opts=opts)
    out: dict[str, set[int]] = defaultdict(set)
    for r in segs[segs["kind"] != "own"].itertuples():
        if not signals or r.signal in signals:
            out[r.doc_id] |= set(range(int(r.start), int(r.end)))
    return out


# Others' words the register cannot tell (a reposted or quoted comment reads like an own
# one): decided by these rules, and left out of the classifier's training.
NOT_REGISTER = ("repost", "anthology", "corpus_match", "thread_quote", "intro_colon_dash")


# --------------------------------------------------------------------------- scoring

@dataclass
class PRF:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, gold: bool, pred: bool) -> None:
        self.tp += gold and pred
        self.fp += pred and not gold
        self.fn += gold and not pred

    @property
    def p(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def r(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        return 2 * self.p * self.r / (self.p + self.r) if self.p + self.r else 0.0


def score(units: list[Unit], pred: dict[str, set[int]]) -> tuple[PRF, PRF]:
    chars, paras = PRF(), PRF()
    for u in units:
        p = pred.get(u.uid, set())
        for i, (ps, pe) in enumerate(u.paras):
            if i not in u.labels or pe <= ps:
                continue
            idx = [k for k in range(ps, pe) if not u.text[k].isspace()]
            gold_in = pred_in = 0
            for k in idx:
                g, q = k in u.gold_chars, k in p
                chars.add(g, q)
                gold_in += g
                pred_in += q
            if u.labels[i] in ("own", "not_own") and idx:
                paras.add(u.labels[i] == "not_own", pred_in >= len(idx) / 2)
    return chars, paras


# --------------------------------------------------------------------------- the classifier

def unit_examples(u: Unit, institution_words, skip: set[int] = frozenset()) -> list[tuple[list[float], int, float]]:
    """(features, label, weight) of each labelled own/not_own paragraph (mixed: labelled
    by its larger part), but those mostly in ``skip`` (offsets)."""
    out, prev, prev_link = [], "", False
    for i, (ps, pe) in enumerate(u.paras):
        para = u.text[ps:pe]
        if pe <= ps or not para.strip():
            continue
        if skip and sum(k in skip for k in range(ps, pe)) >= (pe - ps) / 2:
            prev, prev_link = para, False
            continue
        is_link = para.strip().startswith(("http://", "https://", "www.")) and len(para.split()) == 1
        if is_link:
            prev, prev_link = para, True
            continue
        x = paragraph_features(u.text, ps, pe, prev_para=prev, prev_is_link=prev_link,
                               institution_words=institution_words)
        label = u.labels.get(i)
        if label in ("own", "not_own"):
            out.append((x, int(label == "not_own"), 1.0))
        elif label == "mixed":
            share = sum(1 for k in range(ps, pe) if k in u.gold_chars) / max(pe - ps, 1)
            out.append((x, int(share >= 0.5), 0.5))
        prev, prev_link = para, False
    return out


def fit_model(units: list[Unit], institution_words, c: float = 1.0, opts=None) -> ParagraphModel:
    """Fit on the labelled paragraphs of ``units``, leaving out those the rules give to
    a republished or quoted comment (``NOT_REGISTER``; needs ``opts``)."""
    from sklearn.linear_model import LogisticRegression

    skip = segment_units(units, opts, signals=NOT_REGISTER) if opts is not None else {}
    ex = [e for u in units for e in unit_examples(u, institution_words, skip.get(u.uid, set()))]
    if len({y for _, y, _ in ex}) < 2:
        raise SystemExit("segment_eval: the labelled paragraphs hold only one class; nothing to fit")
    X = np.array([x for x, _, _ in ex], dtype=float)
    y = np.array([y for _, y, _ in ex])
    w = np.array([w for _, _, w in ex])
    mean, scale = X.mean(axis=0), X.std(axis=0)
    scale[scale == 0] = 1.0
    lr = LogisticRegression(C=c, class_weight="balanced", max_iter=2000)
    lr.fit((X - mean) / scale, y, sample_weight=w)
    return ParagraphModel(FEATURES, tuple(map(float, mean)), tuple(map(float, scale)),
                          tuple(float(v) for v in lr.coef_[0]), float(lr.intercept_[0]))


def grouped_folds(units: list[Unit], k: int) -> list[list[Unit]]:
    pages = sorted({u.page for u in units}, key=lambda p: fingerprint(p))
    k = max(2, min(k, len(pages)))
    folds: list[list[Unit]] = [[] for _ in range(k)]
    for n, p in enumerate(pages):
        folds[n % k].extend(u for u in units if u.page == p)
    return [f for f in folds if f]


# --------------------------------------------------------------------------- report

def evaluate(units: list[Unit], cfg, folds: int, title: str,
             subsets: dict[str, set[str]] | None = None, sweep: tuple[float, ...] = ()) -> dict[str, tuple[PRF, PRF]]:
    """Score every method on ``units`` (and on each named subset of unit ids), print the
    tables and return the scores on all units."""
    from benchmarks.segment_v1.core import SegmentOptions as V1Options
    from benchmarks.segment_v1.frame import segment_frame as v1_frame

    base = segment_options(cfg)
    signoff_opts = base.signoff
    rules = base.__class__(**{**base.__dict__, "classifier": None})
    preds = {
        # the rules of LOGIC_VERSION 1 with the settings they shipped with (their defaults)
        "rules v1 (before issue 9)": segment_units(units, V1Options(signoff=signoff_opts), frame=v1_frame),
        "rules v2 (this change)": segment_units(units, rules),
        "  ablation: ':-' runs in posts stop at own-looking text": segment_units(
            units, base.__class__(**{**rules.__dict__, "post_intro_runs_to_next_intro": False})),
    }
    pages = {u.page for u in units}
    if len(pages) >= 2 and any(u.labels for u in units):
        pred: dict[str, set[int]] = {}
        para_pred: dict[str, set[int]] = defaultdict(set)
        sweep_pred: dict[float, dict[str, set[int]]] = {}
        for held in grouped_folds(units, folds):
            held_ids = {u.uid for u in held}
            train = [u for u in units if u.uid not in held_ids]
            try:
                model = fit_model(train, base.institution_words, opts=rules)
            except SystemExit:
                continue
            opts = base.__class__(**{**base.__dict__, "classifier": model, "classifier_decides": True})
            # the whole pages of the held-out fold, so the thread lookups see their threads
            pred.update(segment_units(held, opts))
            for th in sweep:
                sweep_pred.setdefault(th, {}).update(
                    segment_units(held, base.__class__(**{**opts.__dict__, "classifier_threshold": th})))
            for u in held:
                prev, prev_link = "", False
                for ps, pe in u.paras:
                    para = u.text[ps:pe]
                    if pe <= ps or not para.strip():
                        continue
                    if para.strip().startswith(("http://", "https://", "www.")) and len(para.split()) == 1:
                        prev, prev_link = para, True
                        continue
                    x = paragraph_features(u.text, ps, pe, prev_para=prev, prev_is_link=prev_link,
                                           institution_words=base.institution_words)
                    if model.probability(x) >= base.classifier_threshold:
                        para_pred[u.uid] |= set(range(ps, pe))
                    prev, prev_link = para, False
        preds["classifier alone (grouped CV)"] = para_pred
        preds["rules v2 + classifier (grouped CV)"] = pred
        for th, p in sorted(sweep_pred.items()):
            preds[f"  rules v2 + classifier, threshold {th:g} (grouped CV)"] = p
    out = {}
    for sub_name, ids in {"all": {u.uid for u in units}, **(subsets or {})}.items():
        sub = [u for u in units if u.uid in ids]
        if not sub:
            continue
        results = {name: score(sub, p) for name, p in preds.items()}
        if sub_name == "all":
            out = results
        print_table(f"{title}{'' if sub_name == 'all' else ' — ' + sub_name}", sub, results)
    return out


def print_table(title: str, units: list[Unit], results: dict[str, tuple[PRF, PRF]]) -> None:
    print(f"\n== {title}: {len(units)} units, {len({u.page for u in units})} pages, "
          f"{sum(len(u.labels) for u in units)} labelled paragraphs "
          f"({sum(v == 'not_own' for u in units for v in u.labels.values())} not_own, "
          f"{sum(v == 'mixed' for u in units for v in u.labels.values())} mixed)")
    print(f"{'method':<56} {'chars P':>8} {'R':>6} {'F1':>6}   {'paras P':>8} {'R':>6} {'F1':>6}")
    for name, (c, p) in results.items():
        print(f"{name:<56} {c.p:>8.3f} {c.r:>6.3f} {c.f1:>6.3f}   {p.p:>8.3f} {p.r:>6.3f} {p.f1:>6.3f}"
              f"   (paras tp={p.tp} fp={p.fp} fn={p.fn})")
    print("\nmarkdown:\n| method | chars P | chars R | chars F1 | paragraphs P | paragraphs R | paragraphs F1 |\n"
          "|---|---|---|---|---|---|---|")
    for name, (c, p) in results.items():
        print(f"| {name.strip()} | {c.p:.3f} | {c.r:.3f} | {c.f1:.3f} | {p.p:.3f} | {p.r:.3f} | {p.f1:.3f} |")


def write_model(model: ParagraphModel, units: list[Unit], results: dict, threshold: float, sources: str) -> None:
    MODEL_DIR.mkdir(parents=True, exist_ok=True)
    (MODEL_DIR / "paragraph_lr.json").write_text(json.dumps(model.to_json(), indent=1) + "\n")
    n_par = sum(len(unit_examples(u, ())) for u in units)
    pos = sum(v == "not_own" for u in units for v in u.labels.values())
    rows = "\n".join(f"| `{f}` | {DESCRIPTIONS[f]} | {c:+.3f} | {m:.4f} | {s:.4f} |"
                     for f, c, m, s in zip(model.features, model.coef, model.mean, model.scale))
    cv = "\n".join(f"| {name} | {c.p:.3f} | {c.r:.3f} | {c.f1:.3f} | {p.p:.3f} | {p.r:.3f} | {p.f1:.3f} |"
                   for name, (c, p) in results.items())
    card = f"""# Model card: segment paragraph classifier (`paragraph_lr.json`)

**What it does.** Gives each paragraph of a document the probability that it is
someone else's text (pasted or quoted), from {len(model.features)} interpretable register
features (`pipeline/segment/features.py`). Every segment stores the probability
(`segments.score`), and own segments name the features that weighed most
(`segments.reason`). With `segment.classifier_decides = true` the stage also marks a
paragraph `pasted` (signal `classifier`) when the probability is at least
`segment.classifier_threshold` (now {threshold:g}), it has at least
`segment.classifier_min_words` words and stands where pasted text starts; rules
(letters, reports, news, links, introductions, …) take precedence. It is off by default:
in the grouped cross-validation below, rules + classifier scored below the rules alone.

**Model.** Logistic regression (scikit-learn, `class_weight="balanced"`, C=1) on
standardised features: p = 1 / (1 + exp(-(intercept + Σ coef·(x − mean)/scale))).
Intercept {model.intercept:+.3f}.

| feature | meaning | coef | mean | scale |
|---|---|---|---|---|
{rows}

**Training data.** {sources}: {len(units)} units from {len({u.page for u in units})} real pages,
{n_par} labelled paragraphs ({pos} wholly not-own). The text is not in this repository;
only these numbers are. Refit with `python -m benchmarks.segment_eval --fit` (reads
`/work/devset` or `--data DIR`).

**Evaluation** (not-own class; grouped cross-validation by page for the classifier rows;
written {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC):

| method | chars P | chars R | chars F1 | paragraphs P | paragraphs R | paragraphs F1 |
|---|---|---|---|---|---|---|
{cv}

**Training.** Paragraphs the post-level and cross-document rules already give to a
reposted or quoted comment (`repost`, `anthology`, `corpus_match`, `thread_quote`,
`intro_colon_dash`) are left out: register cannot tell a reposted comment from an own
one. `mixed` paragraphs count by their larger part, at half weight.

**Limits.** Small, one blog, one period of coding; a paragraph-level model (a pasted
sentence inside an own paragraph is left to the rules). On this blog much reproduced
text is itself first-person and conversational (members' accounts, union statements,
letters), so register alone separates own from not-own text poorly (classifier alone:
low recall). Weights are plain numbers: no text, no names.
"""
    (MODEL_DIR / "MODEL_CARD.md").write_text(card)
    print(f"wrote {MODEL_DIR / 'paragraph_lr.json'} and MODEL_CARD.md")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEVSET, help="folder with units.jsonl and gold/adjudicated.jsonl")
    ap.add_argument("--seed-aid", type=Path, default=None,
                    help="folder with units.jsonl and gold/adjudicated.jsonl coding the seeds (development aid)")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--fit", action="store_true", help="refit the classifier on every labelled unit and write it")
    ap.add_argument("--fit-on", choices=("data", "seed-aid", "both"), default="data")
    ap.add_argument("--sweep", type=float, nargs="*", default=(),
                    help="also score rules + classifier at these thresholds (grouped CV)")
    args = ap.parse_args(argv)
    cfg = load_config()
    threshold = float(cfg.section("segment")["classifier_threshold"])
    sets: dict[str, list[Unit]] = {}
    for name, d in (("data", args.data), ("seed-aid", args.seed_aid)):
        if d is None:
            continue
        units_p, gold_p = d / "units.jsonl", d / "gold" / "adjudicated.jsonl"
        if not units_p.exists() or not gold_p.exists():
            print(f"{name}: {units_p} or {gold_p} not found; skipped", file=sys.stderr)
            continue
        sets[name] = load_units(units_p, gold_p)
    if not sets:
        print("no labelled real text found (see --help); nothing to evaluate", file=sys.stderr)
        return 1
    results = {}
    for name, units in sets.items():
        title = {"data": f"real development set ({args.data})",
                 "seed-aid": "seeds, temporary coding (development aid, not gold)"}[name]
        seeds = {u.uid for u in units if u.page.startswith("seed:") or u.page.endswith(".txt")}
        subsets = {"the three seed pages": seeds, "web pages (not the seeds)": {u.uid for u in units} - seeds} \
            if seeds and len(seeds) < len(units) else {}
        results[name] = evaluate(units, cfg, args.folds, title, subsets, tuple(args.sweep))
    if args.fit:
        units = sets.get("data", []) if args.fit_on == "data" else sets.get("seed-aid", []) \
            if args.fit_on == "seed-aid" else sets.get("data", []) + sets.get("seed-aid", [])
        if not units:
            print(f"--fit-on {args.fit_on}: no such data", file=sys.stderr)
            return 1
        base = segment_options(cfg)
        model = fit_model(units, base.institution_words, opts=base.__class__(**{**base.__dict__, "classifier": None}))
        src = {"data": f"the adjudicated development set ({args.data})",
               "seed-aid": "a temporary coding of the three seed pages (development aid)",
               "both": "the adjudicated development set and a temporary coding of the seeds"}[args.fit_on]
        write_model(model, units, results.get("data") or results.get("seed-aid"), threshold, src)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
