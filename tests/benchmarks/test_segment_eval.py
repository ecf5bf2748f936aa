"""benchmarks/segment_eval.py on a tiny invented development set: the loader reads the
devset's shape (paragraph offsets, labels, not-own spans given as text), the scores
count what they say, the grouped folds keep a page together, and a fitted model can be
written and read back. Synthetic texts only."""

from __future__ import annotations

import json

import pytest

from benchmarks import segment_eval as ev
from pipeline.segment.features import load_model

OWN = "I have had enough of this place, my caseload is ninety and nobody cares!"
PASTE = ("Inspectors found that the quality of risk assessment was insufficient in the majority of cases inspected, "
         "and management oversight was not effective in identifying where the work fell short of the standard.")


def _unit(uid, page, paras, kind="comment"):
    text, offs = "", []
    for p in paras:
        if text:
            text += "\n\n"
        offs.append({"i": len(offs), "start": len(text), "end": len(text) + len(p)})
        text += p
    return {"unit_id": uid, "page": page, "kind": kind, "text": text, "paragraphs": offs}


@pytest.fixture
def devset(tmp_path):
    units = [
        _unit("u1", "pg1", [OWN, "Read this:", PASTE]),
        _unit("u2", "pg2", ["Morning all, another rota with my name on it twice.",
                            'They said "we value our staff" and I laughed.']),
        _unit("u3", "pg3", ["Typical.", PASTE]),
        _unit("u4", "pg3", ["Same here, three of us left on the whole team and no cover at all."]),
    ]
    gold = [
        {"unit_id": "u1", "paragraphs": [{"i": 0, "label": "own"}, {"i": 1, "label": "own"},
                                         {"i": 2, "label": "not_own", "not_own_spans": []}]},
        {"unit_id": "u2", "paragraphs": [{"i": 0, "label": "own"},
                                         {"i": 1, "label": "mixed", "not_own_spans": ["we value our staff"]}]},
        {"unit_id": "u3", "paragraphs": [{"i": 0, "label": "own"}, {"i": 1, "label": "not_own"}]},
        {"unit_id": "u4", "paragraphs": [{"i": 0, "label": "own"}]},
    ]
    (tmp_path / "gold").mkdir()
    (tmp_path / "units.jsonl").write_text("".join(json.dumps(u) + "\n" for u in units))
    (tmp_path / "gold" / "adjudicated.jsonl").write_text("".join(json.dumps(g) + "\n" for g in gold))
    return tmp_path


def test_loader_reads_labels_and_spans(devset):
    units = {u.uid: u for u in ev.load_units(devset / "units.jsonl", devset / "gold" / "adjudicated.jsonl")}
    u1, u2 = units["u1"], units["u2"]
    ps, pe = u1.paras[2]
    assert u1.gold_chars == set(range(ps, pe)) and u1.labels == {0: "own", 1: "own", 2: "not_own"}
    spanned = "".join(u2.text[k] for k in sorted(u2.gold_chars))
    assert spanned == "we value our staff"


def test_scores_count_characters_and_paragraphs(devset):
    units = ev.load_units(devset / "units.jsonl", devset / "gold" / "adjudicated.jsonl")
    u1 = next(u for u in units if u.uid == "u1")
    ps, pe = u1.paras[2]
    half = set(range(ps, ps + (pe - ps) // 3))
    chars, paras = ev.score([u1], {"u1": half})
    nonspace = [k for k in range(ps, pe) if not u1.text[k].isspace()]
    assert chars.tp == sum(k in half for k in nonspace) and chars.fn == len(nonspace) - chars.tp and chars.fp == 0
    assert (paras.tp, paras.fp, paras.fn) == (0, 0, 1)  # under half of the paragraph: not predicted
    chars, paras = ev.score([u1], {"u1": set(range(len(u1.text)))})
    assert (paras.tp, paras.fp, paras.fn) == (1, 2, 0) and chars.p < 1 and chars.r == 1


def test_the_rules_find_the_pasted_report_in_the_invented_set(devset):
    units = ev.load_units(devset / "units.jsonl", devset / "gold" / "adjudicated.jsonl")
    pred = ev.segment_units(units, ev.segment_options(ev.load_config()))
    chars, paras = ev.score(units, pred)
    assert paras.tp == 2 and paras.fp == 0 and chars.r > 0.9


def test_folds_keep_a_page_together_and_a_model_round_trips(devset, tmp_path):
    units = ev.load_units(devset / "units.jsonl", devset / "gold" / "adjudicated.jsonl")
    folds = ev.grouped_folds(units, 2)
    for f in folds:
        pages = {u.page for u in f}
        assert not any(u.page in pages for g in folds if g is not f for u in g)
    model = ev.fit_model(units, ())
    path = tmp_path / "m.json"
    path.write_text(json.dumps(model.to_json()))
    back = load_model(path)
    assert back == model
    x = [0.0] * len(model.features)
    assert 0 < back.probability(x) < 1
