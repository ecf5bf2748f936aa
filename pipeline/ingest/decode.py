"""Bytes -> text, refusing what is not text and repairing mojibake. Pure functions."""

from __future__ import annotations

import ftfy
from charset_normalizer import from_bytes

from pipeline.records import InputError

BOMS = (b"\xef\xbb\xbf",)


def looks_binary(head: bytes) -> bool:
    """NUL bytes or many control characters in the head mean it is not a text file."""
    if not head:
        return False
    if b"\x00" in head and not (head.startswith(b"\xff\xfe") or head.startswith(b"\xfe\xff")):
        return True
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    return controls / len(head) > 0.05


def _plausible(text: str) -> bool:
    """Mostly letters, digits, spaces and common punctuation (Latin script)."""
    if not text:
        return True
    ok = sum(1 for ch in text if ch.isascii() or ch in "£€’‘“”–—…éèàâçôöüñ ")
    return ok / len(text) > 0.9


def decode_bytes(data: bytes, repair: bool = True) -> tuple[str, list[str]]:
    """Decode to str and repair mojibake with ftfy. Returns (text, warnings).

    Raises InputError('undecodable') when no encoding gives sensible text.
    """
    warnings: list[str] = []
    if data.startswith(BOMS[0]):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = ""
        try:
            guess = data.decode("cp1252")  # the usual non-UTF-8 encoding of UK web text
            if _plausible(guess):
                text = guess
                warnings.append("not UTF-8: decoded as cp1252")
        except UnicodeDecodeError:
            pass
    if not text and data:
        best = from_bytes(data).best()
        if best is None or best.encoding is None:
            raise InputError("undecodable", "bytes are not text in any known encoding")
        text = str(best)
        if best.chaos > 0.3 or "\ufffd" in text:
            raise InputError(
                "undecodable",
                f"bytes are not valid UTF-8 and the best guess ({best.encoding}) is garbled",
            )
        if not _plausible(text):
            raise InputError("undecodable", f"bytes are not text (best guess {best.encoding} is garbled)")
        warnings.append(f"not UTF-8: decoded as {best.encoding}")
    if not repair:
        return text, warnings
    fixed = ftfy.fix_text(text, normalization="NFC", unescape_html=False, uncurl_quotes=False,
                          fix_line_breaks=True, fix_latin_ligatures=False, fix_character_width=False)
    if fixed != text:
        if ftfy.badness.is_bad(text):
            warnings.append("mojibake repaired (ftfy)")
        text = fixed
    if "\ufffd" in text:
        warnings.append("text contains U+FFFD replacement characters (lost bytes upstream)")
    return text, warnings
