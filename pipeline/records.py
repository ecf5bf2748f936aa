"""Plain records shared by every stage. No I/O here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from pipeline.errors import UserError

Kind = Literal["post", "comment"]


@dataclass(frozen=True)
class RawDoc:
    """One post or comment as a reader found it, before ids are assigned.

    ``local_id`` / ``post_local`` / ``parent_local`` are ids local to one parse
    (a Blogger id where the source has one, otherwise "post", "c1", "c2", ...).
    ``published_at`` is naive UTC. ``date_only`` marks a timestamp known only to the
    day (text copies show a date line but no time).
    """

    local_id: str
    kind: Kind
    post_local: str
    text: str
    position: int = 0
    parent_local: str | None = None
    author: str | None = None
    published_at: datetime | None = None
    date_only: bool = False
    title: str | None = None
    url: str | None = None
    blogger_id: str | None = None
    flags: tuple[str, ...] = ()
    locator: str = ""


UNPLACED_ROW = "unplaced_row"
"""Quarantine code of a table row whose post or parent is not known (yet): its input is
read again by the next ingest given it, and what is placed then leaves the quarantine."""


@dataclass(frozen=True)
class Reject:
    """A fragment of an input that could not be used; goes to quarantine."""

    locator: str
    reason: str
    raw: bytes | str
    code: str = "unplaced_fragment"


@dataclass
class ParseResult:
    """What a reader returns for one input."""

    format: str
    docs: list[RawDoc] = field(default_factory=list)
    declared_comments: int | None = None
    warnings: list[str] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    table_ids: bool = False
    """The local ids are the input's own row ids (a table): rows of other table inputs may
    name its posts and comments by them."""
    outside_rows: dict[str, str] = field(default_factory=dict)
    """Comments whose post or parent is not in the input, and the replies below them
    (local id -> the raw row): placed against what is stored or read earlier, else
    rejected with their raw rows (:func:`pipeline.ingest.ids.resolve_outside`)."""

    @property
    def parsed_comments(self) -> int:
        return sum(1 for d in self.docs if d.kind == "comment")


@dataclass(frozen=True)
class Document:
    """A document with its corpus-wide id (the ``documents`` view's row)."""

    doc_id: str
    kind: Kind
    post_id: str
    parent_id: str | None
    position: int
    author: str | None
    published_at: datetime | None
    date_only: bool
    title: str | None
    url: str | None
    text: str
    blogger_id: str | None
    flags: tuple[str, ...]
    locator: str
    fingerprint: str


class InputError(UserError):
    """An input the pipeline cannot use. ``code`` is a stable short reason code."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message
