"""Decoding: byte-order marks first (UTF-8, UTF-16 LE/BE, UTF-32 LE/BE), then UTF-16
without a BOM, all before the binary test (issue 14). Fixture text is synthetic."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from tests.readkit import read_input
from pipeline.ingest.decode import decode_bytes, looks_binary, sniff_encoding

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "text_dump"
GOOD = FIXTURES / "numbered_replies.txt"
TEXT = GOOD.read_text(encoding="utf-8") + "\nA synthetic line with ‘curly quotes’, £5 and café.\n"

CASES = {
    "utf-8-bom": codecs.BOM_UTF8 + TEXT.encode("utf-8"),
    "utf-16-le-bom": codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"),
    "utf-16-be-bom": codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"),
    "utf-32-le-bom": codecs.BOM_UTF32_LE + TEXT.encode("utf-32-le"),
    "utf-32-be-bom": codecs.BOM_UTF32_BE + TEXT.encode("utf-32-be"),
    "utf-16-le-no-bom": TEXT.encode("utf-16-le"),
    "utf-16-be-no-bom": TEXT.encode("utf-16-be"),
}


def _docs(path: Path) -> list[tuple]:
    out = read_input(path)
    assert out.ok, out.error
    return [(d.kind, d.text) for d in out.result.docs]


@pytest.mark.parametrize("name", list(CASES))
def test_unicode_encodings_are_read_like_utf8(tmp_path, name):
    path = tmp_path / f"{name}.txt"
    path.write_bytes(CASES[name])
    plain = tmp_path / "plain.txt"
    plain.write_text(TEXT, encoding="utf-8")
    assert not looks_binary(CASES[name][:65536])
    assert _docs(path) == _docs(plain)


@pytest.mark.parametrize("name", list(CASES))
def test_decode_bytes_strips_the_bom(name):
    text, _ = decode_bytes(CASES[name])
    assert text.startswith(TEXT[:20]) and "\ufeff" not in text


def test_sniffing():
    assert sniff_encoding(CASES["utf-32-le-bom"]) == "utf-32-le"  # not UTF-16 LE: longest BOM first
    assert sniff_encoding(CASES["utf-16-le-no-bom"]) == "utf-16-le"
    assert sniff_encoding(CASES["utf-16-be-no-bom"]) == "utf-16-be"
    assert sniff_encoding(TEXT.encode("utf-8")) is None


def test_real_binary_is_still_binary(tmp_path):
    path = tmp_path / "blob.txt"
    path.write_bytes(bytes(range(256)) * 64)
    out = read_input(path)
    assert out.error is not None and out.error.code == "binary"
    assert looks_binary(b"\x00\x01\x02\x03" * 100)
