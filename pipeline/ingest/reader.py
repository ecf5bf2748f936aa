"""What a reader is: the types every reader module uses (no registry here, so reader
modules never import the registry that lists them)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from pipeline.records import ParseResult, RawDoc


@dataclass(frozen=True)
class ReadContext:
    """What a reader may know besides the input itself."""

    name: str                      # file name or URL, for locators and messages
    timezone: str                  # ``ingest.timezone``: the blog's local time
    options: dict = field(default_factory=dict)  # reader options (e.g. a CSV column mapping)


@dataclass(frozen=True)
class Reader:
    """A registered reader.

    ``sniff(head_text, name) -> confidence`` in [0, 1] from the first bytes (decoded).
    ``parse(text, ctx)`` parses a whole decoded input.
    ``parse_stream(fh, ctx)``, when given, parses from a binary stream without reading
    it whole (used for files over ``ingest.max_file_mb``, and for XML always, so that
    the XML parser sees the raw bytes and their declared encoding).
    ``parse_lines(lines, ctx) -> (result, documents)``, when given, parses without holding
    the input: ``lines()`` gives the decoded lines afresh for each pass, ``documents`` is
    an iterator consumed once (``result`` gets its warnings and rejects as it is read).
    The ingest job uses it for files of ``ingest.stream_min_mb`` or more, and writes the
    documents in batches (bounded memory).
    """

    name: str
    sniff: Callable[[str, str], float]
    parse: Callable[[str, ReadContext], ParseResult] | None = None
    parse_stream: Callable[[BinaryIO, ReadContext], ParseResult] | None = None
    parse_lines: Callable[[Callable[[], Iterable[str]], ReadContext],
                          tuple[ParseResult, Iterator[RawDoc]]] | None = None
    description: str = ""
