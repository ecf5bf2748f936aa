"""Interpretable register features of a paragraph, and the small logistic model over
them that says how likely a paragraph is someone else's text. Pure.

A commenter on this blog writes in the first and second person, with contractions,
short sentences, questions and exclamations; a pasted report, article, biography or
textbook extract is in the third person, formal (no contractions, long sentences,
passives and nominalisations), with dates, institutions and reported speech. Each
feature is a rate or a flag a person can check by reading the paragraph; the model's
weights (``models/segment/``) are numbers fitted on real text by
``benchmarks/segment_eval.py``, and every decision it takes names the features that
pushed it (``explain``).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.config import ConfigError
from pipeline.segment.quotes import quote_spans

_WORD = re.compile(r"[A-Za-z][A-Za-z'’]*")
_SENT = re.compile(r"[^.!?…]+(?:[.!?…]+|$)")
_FIRST_SING = {"i", "i'm", "i’m", "i've", "i’ve", "i'd", "i’d", "i'll", "i’ll", "me", "my", "mine", "myself"}
_FIRST_PLUR = {"we", "we're", "we’re", "we've", "we’ve", "us", "our", "ours", "ourselves"}
_SECOND = {"you", "your", "yours", "you're", "you’re", "you've", "you’ve", "yourself", "ya", "u"}
_THIRD = {"he", "she", "him", "her", "his", "hers", "they", "them", "their", "theirs", "himself", "herself",
          "themselves"}
_CONTRACTION = re.compile(r"[A-Za-z](?:n['’]t|['’](?:m|re|ve|ll|d))\b", re.IGNORECASE)
_PASSIVE = re.compile(r"\b(?:is|are|was|were|be|been|being)\s+(?:\w+ly\s+)?\w+(?:ed|en)\b", re.IGNORECASE)
_NOMINAL = re.compile(r"\b\w{3,}(?:tion|sion|ment|ness|ity|ance|ence|ism)s?\b", re.IGNORECASE)
_YEAR_DATE = re.compile(
    r"\b(?:1[89]\d\d|20\d\d)\b|\b(?:january|february|march|april|june|july|august|september|october|"
    r"november|december)\b", re.IGNORECASE)
_REPORTING = re.compile(r"\b(?:said|says|told|according to|stated|announced|added|explained|commented)\b",
                        re.IGNORECASE)
_MODAL = re.compile(r"\b(?:should|must|shall|will need to|is required to|are required to)\b", re.IGNORECASE)
_LIST_LINE = re.compile(r"^\s*(?:[-*•·]|\(?\d{1,2}[.)]|\(?[a-zA-Z][.)])\s+")
_LABEL_LINE = re.compile(r"^\s*[A-Z][\w.'’-]{0,20}(?:\s+[A-Z][\w.'’-]{0,20}){0,2}\s*:\s+\S")
_INFORMAL = re.compile(r"\.\.\.|…|!!|\?\?|\b(?:lol|ffs|fgs|jfdi)\b", re.IGNORECASE)
_CAPS_WORD = re.compile(r"\b[A-Z]{3,}\b")  # shouting (also acronyms: HMPPS, NAPO)
_CAPITAL = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+\b")

FEATURES = (
    "log_words", "first_singular", "first_plural", "second_person", "third_person", "contractions",
    "sentence_length", "passives", "nominalisations", "questions_exclamations", "informal_marks",
    "dates_years", "capitalised", "quoted_share", "opens_with_quote", "reporting_verbs", "modals",
    "list_lines", "speaker_lines", "after_intro_line", "after_link", "institutions",
)

DESCRIPTIONS = {
    "log_words": "length (log words)",
    "first_singular": "first person singular (I/me/my) per word",
    "first_plural": "first person plural (we/us/our) per word",
    "second_person": "second person (you/your) per word",
    "third_person": "third person (he/she/they…) per word",
    "contractions": "contractions (don't, I'm) per word",
    "sentence_length": "mean sentence length (log words)",
    "passives": "passives per sentence",
    "nominalisations": "nominalisations (-tion, -ment, -ity…) per word",
    "questions_exclamations": "question and exclamation marks per sentence",
    "informal_marks": "informal marks (…, !!, CAPS) per sentence",
    "dates_years": "years and month names per sentence",
    "capitalised": "capitalised words inside sentences per word",
    "quoted_share": "share of the paragraph inside quotation marks",
    "opens_with_quote": "opens with a quotation mark",
    "reporting_verbs": "reporting verbs (said, according to) per sentence",
    "modals": "obligation modals (should, must) per sentence",
    "list_lines": "share of lines that are list items",
    "speaker_lines": "share of lines opening with a speaker label (Name: …)",
    "after_intro_line": "the paragraph before ends with ':' or ':-'",
    "after_link": "the paragraph before is a bare link",
    "institutions": "institution words per word",
}

def paragraph_features(text: str, start: int, end: int, *, prev_para: str = "", prev_is_link: bool = False,
                       institution_words: Sequence[str]) -> list[float]:
    """The ``FEATURES`` of ``text[start:end]`` (a paragraph), in that order."""
    para = text[start:end]
    words = [w.casefold() for w in _WORD.findall(para)]
    nw = max(len(words), 1)
    sents = [s for s in _SENT.findall(para) if _WORD.search(s)]
    ns = max(len(sents), 1)
    lines = [ln for ln in para.split("\n") if ln.strip()]
    nl = max(len(lines), 1)
    inst = {w.casefold() for w in institution_words}
    quoted = sum(q.end - q.start for q in quote_spans(para))
    stripped = para.lstrip()
    prev = prev_para.rstrip()
    return [
        math.log1p(len(words)),
        sum(w in _FIRST_SING for w in words) / nw,
        sum(w in _FIRST_PLUR for w in words) / nw,
        sum(w in _SECOND for w in words) / nw,
        sum(w in _THIRD for w in words) / nw,
        len(_CONTRACTION.findall(para)) / nw,
        math.log1p(len(words) / ns),
        len(_PASSIVE.findall(para)) / ns,
        len(_NOMINAL.findall(para)) / nw,
        (para.count("?") + para.count("!")) / ns,
        (len(_INFORMAL.findall(para)) + len(_CAPS_WORD.findall(para))) / ns,
        min(len(_YEAR_DATE.findall(para)) / ns, 3.0),
        len(_CAPITAL.findall(para)) / nw,
        quoted / max(len(para), 1),
        float(bool(stripped) and stripped[0] in "\"“‘'„«"),
        len(_REPORTING.findall(para)) / ns,
        len(_MODAL.findall(para)) / ns,
        sum(bool(_LIST_LINE.match(ln)) for ln in lines) / nl,
        sum(bool(_LABEL_LINE.match(ln)) for ln in lines) / nl,
        float(prev.endswith(":") or prev.endswith(":-")),
        float(prev_is_link),
        sum(w in inst for w in words) / nw,
    ]


@dataclass(frozen=True)
class ParagraphModel:
    """Logistic regression over standardised ``FEATURES``: P(paragraph is not the
    author's own words)."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    name: str = "segment-paragraph-lr"

    def __post_init__(self) -> None:
        n = len(self.features)
        if not (len(self.mean) == len(self.scale) == len(self.coef) == n):
            raise ValueError("segment model: features, mean, scale and coef must have the same length")
        unknown = set(self.features) - set(FEATURES)
        if unknown:
            raise ValueError(f"segment model: unknown features {sorted(unknown)}")

    def _z(self, x: Sequence[float]) -> list[float]:
        by_name = dict(zip(FEATURES, x))
        return [(by_name[f] - m) / (s or 1.0) for f, m, s in zip(self.features, self.mean, self.scale)]

    def contributions(self, x: Sequence[float]) -> list[tuple[str, float]]:
        """Each feature's push on the log-odds (weight x standardised value)."""
        return [(f, c * z) for f, c, z in zip(self.features, self.coef, self._z(x))]

    def probability(self, x: Sequence[float]) -> float:
        logit = self.intercept + sum(v for _, v in self.contributions(x))
        return 1.0 / (1.0 + math.exp(-max(min(logit, 40.0), -40.0)))

    def explain(self, x: Sequence[float], top: int) -> str:
        """The ``top`` features that pushed hardest towards the decision taken."""
        p = self.probability(x)
        sign = 1.0 if p >= 0.5 else -1.0
        parts = sorted(self.contributions(x), key=lambda fv: -sign * fv[1])[:top]
        by_name = dict(zip(FEATURES, x))
        return ", ".join(f"{f}={by_name[f]:.2f} ({v:+.1f})" for f, v in parts if sign * v > 0)

    def to_json(self) -> dict:
        return {"name": self.name, "features": list(self.features), "mean": list(self.mean),
                "scale": list(self.scale), "coef": list(self.coef), "intercept": self.intercept}

    @classmethod
    def from_json(cls, data: dict) -> "ParagraphModel":
        return cls(tuple(data["features"]), tuple(map(float, data["mean"])), tuple(map(float, data["scale"])),
                   tuple(map(float, data["coef"])), float(data["intercept"]), str(data.get("name", cls.name)))


def load_model(path: str | Path) -> ParagraphModel:
    """The paragraph model stored at ``path`` (JSON written by ``ParagraphModel.to_json``)."""
    p = Path(path)
    try:
        return ParagraphModel.from_json(json.loads(p.read_text()))
    except (OSError, ValueError, KeyError) as exc:
        raise ConfigError(f"segment: cannot read the paragraph model {p} ({exc}); "
                         "set segment.classifier_model to a file written by benchmarks/segment_eval.py "
                         "or to \"\" to turn the classifier off") from exc


__all__ = ["FEATURES", "DESCRIPTIONS", "paragraph_features", "ParagraphModel",
           "load_model"]
