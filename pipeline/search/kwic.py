"""Keyword in context: matches of a term in a text, a window of words either side, and
aligned lines (left context right-aligned, the keyword, the right context)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pipeline.errors import UserError


class KwicError(UserError):
    """A term that cannot be searched for (empty, or a regex that does not compile)."""


@dataclass(frozen=True)
class Hit:
    """One match: the document, where it is, and its context (whitespace collapsed)."""

    doc_id: str
    start: int
    end: int
    left: str
    keyword: str
    right: str


_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"\S+")


def compile_term(term: str, regex: bool = False, case_sensitive: bool = False) -> re.Pattern[str]:
    """A pattern for ``term``: a regex as given, or the literal term as whole words."""
    if not term or not term.strip():
        raise KwicError("the term is empty: give a word, a phrase or (with --regex) a pattern")
    flags = 0 if case_sensitive else re.IGNORECASE
    if regex:
        try:
            pattern = re.compile(term, flags)
        except re.error as exc:
            raise KwicError(f"bad regular expression {term!r}: {exc}") from exc
        if pattern.search(""):
            raise KwicError(f"the pattern {term!r} matches the empty string: make it match at least one character")
        return pattern
    words = [re.escape(w) for w in term.split()]
    body = r"\s+".join(words)
    return re.compile(rf"(?<!\w){body}(?!\w)", flags)


def find_matches(text: str, pattern: re.Pattern[str]) -> list[tuple[int, int]]:
    """``(start, end)`` of every non-overlapping, non-empty match, in order."""
    return [(m.start(), m.end()) for m in pattern.finditer(text) if m.end() > m.start()]


def _last_words(text: str, n: int) -> str:
    words = _WORD.findall(text)
    return " ".join(words[-n:]) if n > 0 else ""


def _first_words(text: str, n: int) -> str:
    words = _WORD.findall(text)
    return " ".join(words[:n]) if n > 0 else ""


def window(text: str, start: int, end: int, words: int) -> tuple[str, str, str]:
    """``(left, keyword, right)``: up to ``words`` words either side of ``text[start:end]``,
    whitespace collapsed to single spaces. A word cut by the match counts as context."""
    keyword = _SPACE.sub(" ", text[start:end]).strip()
    return _last_words(text[:start], words), keyword, _first_words(text[end:], words)


def kwic(docs: Iterable[tuple[str, str]], pattern: re.Pattern[str], words: int) -> list[Hit]:
    """Every match of ``pattern`` in ``docs`` (``(doc_id, text)``), in document order."""
    hits = []
    for doc_id, text in docs:
        for start, end in find_matches(text or "", pattern):
            left, kw, right = window(text, start, end, words)
            hits.append(Hit(doc_id, start, end, left, kw, right))
    return hits


def align(rows: Sequence[tuple[str, str, str]], gap: str = "  ") -> list[str]:
    """Concordance lines: left contexts right-aligned to one column, so every keyword starts
    at the same offset, then the keyword and the right context."""
    width = max((len(left) for left, _, _ in rows), default=0)
    return [f"{left.rjust(width)}{gap}{kw}{gap}{right}".rstrip() for left, kw, right in rows]
