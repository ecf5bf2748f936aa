"""Sign-offs used as pseudonyms ("Anon", "'Getafix", "BIONIC", "Yours, Anon"). Pure.

A sign-off is the last non-empty line of a text (or of a region of it) when that line
is short, looks like a name and is not a word people end comments with ("Thanks",
"Agreed", "Shocking"). The name found is the author where no author is known.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

DEFAULT_STOPWORDS: frozenset[str] = frozenset(
    """thanks thank cheers agreed agree indeed exactly yes no nope yep yeah absolutely shocking
    disgusting sad true ditto quite wow sigh lol well said spot on hear hear rubbish nonsense
    brilliant excellent great good bad terrible appalling outrageous unbelievable incredible
    amazing fact facts correct wrong indeed exactly so sorry oh ah hmm ok okay nice shame
    scandalous pathetic ridiculous madness disgraceful typical classic bravo respect
    solidarity enough why what who when where how really seriously""".split()
)
# Function words: a line containing one is a phrase, not a name.
_FUNCTION_WORDS = frozenset(
    """the a an and or but of to in on at by for with from is are was were be been being it its
    this that these those not i me my you your we our us they them their he she him her his
    all so too very out up down off over here there if then than as do does did done have has
    had will would can could should may might must just only also still""".split()
)
_CLOSINGS = re.compile(
    r"^(?:yours(?:\s+(?:sincerely|faithfully|truly|ever))?|(?:kind|best|warm)?\s*regards|"
    r"best wishes|many thanks|thanks|cheers|regards)\s*[,.\-–—:]*\s+(?P<name>.+)$",
    re.IGNORECASE,
)
_NAME_LINE = re.compile(r"^[\-–—~]*\s*['‘’\"“]?[^\W\d_][\w'’.\-]*(?:\s+[\w'’.\-]+){0,3}\.?$")
_LEAD = "-–—~ '‘’\"“”"


@dataclass(frozen=True)
class Signoff:
    """``raw`` is the line as written, ``name`` the pseudonym with leading dashes and
    quotes stripped; ``start``/``end`` are offsets of the line in the text."""

    raw: str
    name: str
    start: int
    end: int


@dataclass(frozen=True)
class SignoffOptions:
    """``[clean]`` sign-off settings (``pipeline.clean.settings.CleanSettings.signoff_options``):
    the limits, and ``stopwords`` = the built-in ``DEFAULT_STOPWORDS`` plus the extra ones."""

    signoff_max_words: int
    signoff_max_chars: int
    stopwords: frozenset[str]


def _looks_like_name(line: str, opts: SignoffOptions) -> str | None:
    m = _CLOSINGS.match(line)
    if m:
        line = m.group("name").strip()
    if len(line) > opts.signoff_max_chars or not _NAME_LINE.match(line):
        return None
    name = line.strip(_LEAD).rstrip(".").strip(_LEAD)
    words = re.findall(r"[^\W_]+(?:['’][^\W_]+)*", name)
    if not words or len(words) > opts.signoff_max_words:
        return None
    folded = [w.lower() for w in words]
    if any(w in _FUNCTION_WORDS for w in folded):
        return None
    if " ".join(folded) in opts.stopwords or (len(folded) == 1 and folded[0] in opts.stopwords):
        return None
    if all(w in opts.stopwords for w in folded):
        return None
    first = name[0]
    if not (first.isupper() or line.lstrip(_LEAD) != line or name.lower().startswith("anon")):
        return None  # a lower-case word is a reply ("indeed"), not a name
    return name


def find_signoff(text: str, start: int, end: int | None, opts: SignoffOptions) -> Signoff | None:
    """The sign-off at the end of ``text[start:end]``, or None.

    The line must not be the whole region: a one-word comment is a comment, not a
    signature. A closing formula on the line before ("Yours,") makes the name certain
    even when it looks like a word.
    """
    end = len(text) if end is None else end
    region = text[start:end].rstrip()
    if not region.strip():
        return None
    cut = region.rfind("\n")
    if cut < 0:
        return None
    last = region[cut + 1:].strip()
    body = region[:cut].rstrip()
    if not body.strip() or not last:
        return None
    prev_line = body[body.rfind("\n") + 1:].strip()
    name = _looks_like_name(last, opts)
    if name is None and re.fullmatch(r"(?i)(?:yours(?:\s+\w+)?|(?:kind\s+|best\s+)?regards|best wishes)\s*,?",
                                     prev_line) and len(last) <= opts.max_chars:
        name = last.strip(_LEAD) or None
    if name is None:
        return None
    line_start = start + cut + 1 + (len(region[cut + 1:]) - len(region[cut + 1:].lstrip()))
    return Signoff(last, name, line_start, line_start + len(last))


def is_anonymous(author: object, anonymous: Iterable[str]) -> bool:
    """True when ``author`` says nothing about who wrote ("Anonymous", "Unknown", empty,
    missing)."""
    if not isinstance(author, str) or not author.strip():
        return True
    return author.strip().lower() in {a.lower() for a in anonymous}


__all__ = ["Signoff", "SignoffOptions", "DEFAULT_STOPWORDS", "find_signoff", "is_anonymous"]
