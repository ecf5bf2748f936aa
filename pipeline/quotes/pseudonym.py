"""Stable pseudonyms from a keyed hash, for publishing without the authors' handles.

``pseudonym(handle, key)`` is ``Author-`` and the first hex digits of
HMAC-SHA256(key, the handle case-folded with blanks collapsed): the same handle always
gets the same pseudonym under the same key, and without the key nobody can test a guess
("is Author-3f9a2c the handle X?"). The key is 32 random bytes in a file *outside* any
export (``quotes.pseudonym_key_file``), created on first use readable by its owner
only; it is never written into an export.

:func:`Pseudonymiser.text` replaces every known handle inside a text (a word-bounded,
case-insensitive match, with or without a leading ``@``) by ``[Author-…]``: the square
brackets mark an editorial replacement, as in any quotation.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import stat
from collections.abc import Iterable
from pathlib import Path

from pipeline.errors import UserError

PREFIX = "Author-"
DIGITS = 6
MIN_TEXT_CHARS = 3


class KeyFileError(UserError):
    """The pseudonym key file cannot be used."""


def load_or_create_key(path: str | Path) -> bytes:
    """The key in ``path``; a new random key (mode 0600) when the file does not exist.
    A key file that others can read or write is refused."""
    p = Path(path).expanduser()
    if not p.exists():
        p.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = secrets.token_hex(32)
        try:
            fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return load_or_create_key(p)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(key + "\n")
    mode = stat.S_IMODE(p.stat().st_mode)
    if mode & 0o077:
        raise KeyFileError(f"pseudonym key file {p} is readable by others (mode {mode:o}): run `chmod 600 {p}`")
    raw = p.read_text(encoding="ascii", errors="replace").strip()
    if len(raw) < 32 or not re.fullmatch(r"[0-9a-fA-F]+", raw):
        raise KeyFileError(f"pseudonym key file {p} does not hold a hex key: delete it to create a new one "
                           "(pseudonyms will change)")
    return bytes.fromhex(raw if len(raw) % 2 == 0 else raw[:-1])


def normalise(handle: str) -> str:
    return " ".join(handle.strip(" -–—~'‘’\"“”@.,").casefold().split())


def pseudonym(handle: str, key: bytes) -> str:
    """``Author-xxxxxx`` for a handle (the same for every spelling that folds alike)."""
    digest = hmac.new(key, normalise(handle).encode("utf-8"), hashlib.sha256).hexdigest()
    return PREFIX + digest[:DIGITS]


class Pseudonymiser:
    """Replaces the corpus's handles by pseudonyms. ``keep`` are author names that name
    nobody ("Anonymous") and stay as they are."""

    def __init__(self, key: bytes, handles: Iterable[str], keep: Iterable[str] = ()):
        self.key = key
        self.keep = {normalise(k) for k in keep}
        # handles of fewer than MIN_TEXT_CHARS letters ("A", "JS") name nobody inside a text
        # and would replace ordinary words: only author fields are pseudonymised for them
        names = {n for n in (normalise(h) for h in handles if h) if len(re.sub(r"\W", "", n)) >= MIN_TEXT_CHARS}
        names -= self.keep
        # longest first, so "Jim Smith" wins over "Jim"
        self.names = sorted(names, key=lambda n: (-len(n), n))
        self._pattern = None
        if self.names:
            alts = "|".join(r"\s+".join(re.escape(w) for w in n.split()) for n in self.names)
            self._pattern = re.compile(rf"(?<![\w@])@?(?:{alts})(?!\w)", re.IGNORECASE)

    def author(self, handle: str | None) -> str:
        """The pseudonym of an author field (names in ``keep`` stay)."""
        if not handle or not normalise(handle):
            return "Anonymous"
        if normalise(handle) in self.keep:
            return "Anonymous"
        return pseudonym(handle, self.key)

    def text(self, value: str | None) -> str | None:
        """``value`` with every known handle replaced by ``[Author-…]``."""
        if not value or self._pattern is None:
            return value
        return self._pattern.sub(lambda m: f"[{pseudonym(m.group(0).lstrip('@'), self.key)}]", value)


__all__ = ["KeyFileError", "PREFIX", "Pseudonymiser", "load_or_create_key", "normalise", "pseudonym"]
