"""Bytes -> text, refusing what is not text and repairing mojibake. Pure functions."""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from pathlib import Path

import ftfy
from charset_normalizer import from_bytes

from pipeline.records import InputError

# Byte-order marks, longest first (the UTF-32 LE mark starts with the UTF-16 LE one).
BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def bom_encoding(data: bytes) -> tuple[str, int] | None:
    """(encoding, BOM length) when ``data`` starts with a byte-order mark."""
    for bom, enc in BOMS:
        if data.startswith(bom):
            return enc, len(bom)
    return None


def _utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 text without a BOM: NUL bytes in every other position (ASCII-range text)."""
    n = len(head) - len(head) % 2
    if n < 4:
        return None
    even, odd = head[0:n:2], head[1:n:2]
    half = n // 2
    for zeros, other, enc in ((odd, even, "utf-16-le"), (even, odd, "utf-16-be")):
        if zeros.count(0) / half >= 0.6 and other.count(0) / half <= 0.05:
            try:
                text = head[:n].decode(enc)
            except UnicodeDecodeError:
                continue
            if text and sum(ch.isprintable() or ch in "\t\r\n" for ch in text) / len(text) > 0.95:
                return enc
    return None


def sniff_encoding(head: bytes) -> str | None:
    """The encoding a BOM names, else UTF-16 recognised by its NUL pattern, else None
    (then UTF-8, cp1252 and detection decide). Runs before the binary test."""
    found = bom_encoding(head)
    if found:
        return found[0]
    return _utf16_without_bom(head)


def decode_head(head: bytes, encoding: str | None) -> str:
    """Decode a sample cut from the head of a file (a character cut at its end is dropped)."""
    found = bom_encoding(head)
    if found:
        head = head[found[1]:]
    dec = codecs.getincrementaldecoder(encoding or "utf-8")(errors="strict" if encoding else "replace")
    try:
        return dec.decode(head, final=False)
    except UnicodeDecodeError:
        return head.decode(encoding or "utf-8", errors="replace")


def looks_binary(head: bytes) -> bool:
    """NUL bytes or many control characters in the head mean it is not a text file
    (UTF-16/32 is recognised first, by ``sniff_encoding``)."""
    if not head:
        return False
    if sniff_encoding(head) not in (None, "utf-8"):
        return False
    if b"\x00" in head:
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

    A byte-order mark decides first (UTF-8, UTF-16 LE/BE, UTF-32 LE/BE), then UTF-16
    without a BOM, then UTF-8, cp1252 and detection. Raises InputError('undecodable')
    when no encoding gives sensible text.
    """
    warnings: list[str] = []
    found = bom_encoding(data)
    enc = found[0] if found else _utf16_without_bom(data[:65536])
    if found:
        data = data[found[1]:]
    if enc and enc != "utf-8":
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            raise InputError("undecodable", f"bytes are not valid {enc.upper()} (after its byte-order mark)") from None
        warnings.append(f"decoded as {enc.upper()}")
        return _repair(text, warnings) if repair else (text, warnings)
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
    return _repair(text, warnings)


def _fix(text: str) -> str:
    return ftfy.fix_text(text, normalization="NFC", unescape_html=False, uncurl_quotes=False,
                         fix_line_breaks=True, fix_latin_ligatures=False, fix_character_width=False)


def _repair(text: str, warnings: list[str]) -> tuple[str, list[str]]:
    fixed = _fix(text)
    if fixed != text:
        if ftfy.badness.is_bad(text):
            warnings.append("mojibake repaired (ftfy)")
        text = fixed
    if "\ufffd" in text:
        warnings.append("text contains U+FFFD replacement characters (lost bytes upstream)")
    return text, warnings


# Printable ASCII, tabs and newlines: text ftfy leaves as it is (it repairs only other characters).
_NEEDS_REPAIR = re.compile(r"[^\x20-\x7e\t\n]")


class NotUtf8(Exception):
    """A file read as lines turned out not to be UTF-8 (read it whole instead)."""


class Utf8Lines:
    """The lines of a UTF-8 file (with or without a BOM), decoded and repaired one line
    at a time; iterable more than once (each pass reads the file again).

    Gives exactly ``decode_bytes(data)[0].replace("\\r\\n", "\\n").replace("\\r", "\\n").split("\\n")``:
    ftfy repairs text one ``\\n``-ended segment at a time, so repairing each line alone is
    the same. Raises ``NotUtf8`` on the first line that is not UTF-8. After a full pass,
    ``warnings`` holds what ``decode_bytes`` would say (the mojibake warning when a repaired
    line is one ftfy calls bad). Memory: one line.
    """

    def __init__(self, path: Path):
        self.path = path
        self.warnings: list[str] = []

    def __iter__(self) -> Iterator[str]:
        changed = bad = lost = False
        carry = ""
        with open(self.path, "rb") as fh:
            for n, raw in enumerate(fh):
                if n == 0 and raw.startswith(codecs.BOM_UTF8):
                    raw = raw[len(codecs.BOM_UTF8):]
                try:
                    seg = raw.decode("utf-8")
                except UnicodeDecodeError:
                    raise NotUtf8(f"line {n + 1} is not UTF-8") from None
                if _NEEDS_REPAIR.search(seg):
                    fixed = _fix(seg)
                    if fixed != seg:
                        changed = True
                        bad = bad or ftfy.badness.is_bad(seg)
                        seg = fixed
                    lost = lost or "\ufffd" in seg
                    if "\r" in seg:
                        seg = seg.replace("\r\n", "\n").replace("\r", "\n")
                parts = (carry + seg).split("\n") if carry else seg.split("\n")
                carry = parts.pop()
                yield from parts
        yield carry
        self.warnings = (["mojibake repaired (ftfy)"] if changed and bad else []) + (
            ["text contains U+FFFD replacement characters (lost bytes upstream)"] if lost else [])
