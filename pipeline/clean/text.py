"""Text cleaning: Unicode repair, whitespace, leftover page furniture. Pure, idempotent.

``clean_text`` is the one entry point the stage uses; it is a fixpoint of its own
steps, so ``clean_text(clean_text(x)) == clean_text(x)`` for every string. Offsets
stored by later stages (segments, links, mentions) are offsets into its output.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import ftfy

from pipeline.config import ConfigError

# Invisible characters that carry no text: zero-width space/joiners, word joiner,
# byte-order mark, soft hyphen. (ZWJ/ZWNJ are kept: emoji sequences use them.)
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u2060\ufeff\u00ad\u180e"))
_SPACES = re.compile(r"[^\S\n]+")  # any whitespace except a line break
_BLANK_RUNS = re.compile(r"\n{3,}")

# Blogger/browser residue that survives a copy, as whole lines (matched case-insensitively).
DEFAULT_FURNITURE: tuple[str, ...] = (
    r"(?:reply)?delete",
    r"reply",
    r"replies",
    r"load more(?:\.\.\.|…)?",
    r"add comment",
    r"post a comment",
    r"newer post(?: older post)?(?: home)?",
    r"older post(?: home)?",
    r"home",
    r"subscribe to: post(?:s| comments) \(atom\)",
    r"email this ?blogthis!.*",
    r"share to (?:x|twitter|facebook|pinterest).*",
    r"posted by .{1,60} at \d{1,2}[:.]\d{2}(?: ?[ap]m)?",
    r"\d+ comments?:",
    r"this comment has been removed by (?:the author|a blog administrator)\.?",
)


@dataclass(frozen=True)
class CleanOptions:
    """How to clean. ``unicode_form`` is a ``unicodedata`` form (NFC keeps typographic
    quotes and dashes, which quotation detection uses); ``extra_furniture`` adds
    whole-line regexes to ``DEFAULT_FURNITURE``."""

    unicode_form: str
    fix_mojibake: bool
    extra_furniture: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.unicode_form not in ("NFC", "NFKC"):
            raise ConfigError(f"clean.unicode_form must be NFC or NFKC, got {self.unicode_form!r}")
        for pat in self.extra_furniture:
            try:
                re.compile(pat)
            except re.error as exc:
                raise ConfigError(f"clean.extra_furniture: bad regex {pat!r} ({exc})") from exc


MOJIBAKE_PASSES = 4
"""At most this many ftfy passes over one text (``repair_unicode``)."""


def repair_unicode(text: str, form: str, fix_mojibake: bool) -> str:
    """Fix mojibake (``â€™`` -> ``’``), HTML entities, ligatures, full-width forms and
    control characters with ftfy, keep typographic quotes, then normalise to ``form``.

    ftfy runs again on its own output until that stops changing (at most
    ``MOJIBAKE_PASSES`` times): one pass can turn C1 control characters into Windows-1252
    letters that the next pass reads as mojibake (``"\\x8bß¬™"`` -> ``"‹ß¬™"`` ->
    ``"ܧª"``), and a cleaned text must not change when cleaned again."""
    if fix_mojibake:
        cfg = ftfy.TextFixerConfig(uncurl_quotes=False, normalization=form, explain=False)
        for _ in range(MOJIBAKE_PASSES):
            fixed = ftfy.fix_text(text, cfg)
            if fixed == text:
                break
            text = fixed
    return unicodedata.normalize(form, text)


def normalise_whitespace(text: str) -> str:
    """Line breaks to ``\\n``; invisible characters removed; every other run of spaces,
    tabs or Unicode spaces to one space; lines trimmed; at most one blank line between
    paragraphs; no blank edges."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n\n")
    text = text.translate(_INVISIBLE)
    text = _SPACES.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    return _BLANK_RUNS.sub("\n\n", text).strip()


def furniture_pattern(extra: Iterable[str] = ()) -> re.Pattern[str]:
    """One regex matching a whole line of page furniture."""
    alts = "|".join(f"(?:{p})" for p in (*DEFAULT_FURNITURE, *extra))
    return re.compile(rf"^(?:{alts})$", re.IGNORECASE)


def strip_furniture(text: str, pattern: re.Pattern[str] | None = None) -> str:
    """Drop lines that are only page furniture (``ReplyDelete``, ``Load more...``,
    ``Newer Post Older Post Home``, ...) and a ``ReplyDelete`` glued to the last line,
    until none is left."""
    pattern = pattern or furniture_pattern()
    while True:
        lines_ = [ln for ln in text.split("\n") if not pattern.match(ln.strip())]
        if lines_:
            lines_[-1] = re.sub(r"(?<=\S)(?:Reply)?Delete$", "", lines_[-1])
        out = "\n".join(lines_)
        if out == text:
            return out
        text = out


def _one_pass(text: str, opts: CleanOptions, pattern: re.Pattern[str]) -> str:
    text = repair_unicode(text, opts.unicode_form, opts.fix_mojibake)
    text = normalise_whitespace(text)
    text = strip_furniture(text, pattern)
    return normalise_whitespace(text)


def clean_text(text: str, opts: CleanOptions, max_passes: int = 5) -> str:
    """The cleaned text: repair, whitespace, furniture, repeated until nothing changes
    (a fixpoint, hence idempotent). Raises ``ValueError`` if it does not settle."""
    pattern = furniture_pattern(opts.extra_furniture)
    for _ in range(max_passes):
        out = _one_pass(text, opts, pattern)
        if out == text:
            return out
        text = out
    if _one_pass(text, opts, pattern) != text:
        raise ValueError("cleaning did not settle; please report this text")
    return text


def paragraphs(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each paragraph (blocks separated by a blank line) of a
    cleaned text."""
    out: list[tuple[int, int]] = []
    for m in re.finditer(r"[^\n](?:.|\n(?!\n))*", text):
        out.append((m.start(), m.end()))
    return out


def lines(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """``(start, end)`` of each non-empty line of ``text[start:end]``, as offsets into
    ``text``."""
    end = len(text) if end is None else end
    out: list[tuple[int, int]] = []
    pos = start
    for line in text[start:end].split("\n"):
        stripped = line.strip()
        if stripped:
            lead = len(line) - len(line.lstrip())
            out.append((pos + lead, pos + lead + len(stripped)))
        pos += len(line) + 1
    return out


def word_count(text: str) -> int:
    return len(re.findall(r"\w+(?:['’]\w+)*", text))


__all__ = [
    "CleanOptions", "DEFAULT_FURNITURE", "repair_unicode", "normalise_whitespace", "furniture_pattern",
    "strip_furniture", "clean_text", "paragraphs", "lines", "word_count",
]
