"""Small text normalisers used to key documents. Pure functions."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def fold(text: str) -> str:
    """Lower-case, accent-free, alphanumerics only, single spaces."""
    if not text.isascii():
        # decompose accents, then drop what is not ASCII (accents, typographic marks)
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NON_ALNUM.sub(" ", text.lower()).strip()


def fingerprint(text: str) -> str:
    """A short hash of the folded text: equal for copies that differ only in layout."""
    return hashlib.sha1(fold(text).encode()).hexdigest()[:16]


def short_hash(*parts: str, n: int = 16) -> str:
    return hashlib.sha1("\x1f".join(parts).encode()).hexdigest()[:n]
