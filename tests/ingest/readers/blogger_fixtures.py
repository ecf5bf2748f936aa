"""Shared paths and helpers for the Blogger reader tests (fixtures are synthetic)."""

from __future__ import annotations

from pathlib import Path

from pipeline.ingest.core import InputOutcome
from tests.readkit import read_bytes, read_input
from pipeline.ingest.ids import assign_ids
from pipeline.records import Document

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "blogger"
TZ = "Europe/London"
CSV_MAPPING = {"id": "comment_id", "post": "post_id", "parent": "reply_to", "author": "who",
               "timestamp": "when", "body": "comment_text", "title": "post_title"}


def read(name: str, **kw) -> InputOutcome:
    """Read one fixture through the full sniff + parse path."""
    return read_input(FIXTURES / name, timezone=TZ, **kw)


def read_ok(name: str, fmt: str, **kw):
    out = read(name, **kw)
    assert out.error is None, out.error and out.error.message
    assert out.format == fmt
    return out.result


def read_data(data: bytes, name: str, **kw) -> InputOutcome:
    return read_bytes(data, name, timezone=TZ, **kw)


def ingest_in_order(*names: str) -> list[list[Document]]:
    """Assign ids to several fixtures in turn, carrying post keys like the ingest job."""
    known: dict[str, str] = {}
    out = []
    for name in names:
        docs, keys = assign_ids(read(name).result, TZ, known)
        for k, v in keys.items():
            known.setdefault(k, v)
        out.append(docs)
    return out


def one_line(message: str) -> bool:
    return bool(message) and "\n" not in message
