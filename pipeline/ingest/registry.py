"""Registry of input readers, chosen by sniffing content (not only the extension)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from pipeline.records import InputError, ParseResult


@dataclass(frozen=True)
class ReadContext:
    """What a reader may know besides the input itself."""

    name: str                      # file name or URL, for locators and messages
    timezone: str = "Europe/London"
    options: dict = field(default_factory=dict)  # reader options (e.g. a CSV column mapping)


@dataclass(frozen=True)
class Reader:
    """A registered reader.

    ``sniff(head_text, name) -> confidence`` in [0, 1] from the first bytes (decoded).
    ``parse(text, ctx)`` parses a whole decoded input.
    ``parse_stream(fh, ctx)``, when given, parses from a binary stream without reading
    it whole (used for files over ``ingest.max_file_mb``, and for XML always, so that
    the XML parser sees the raw bytes and their declared encoding).
    """

    name: str
    sniff: Callable[[str, str], float]
    parse: Callable[[str, ReadContext], ParseResult] | None = None
    parse_stream: Callable[[BinaryIO, ReadContext], ParseResult] | None = None
    description: str = ""


READERS: dict[str, Reader] = {}


def register(reader: Reader) -> Reader:
    if reader.name in READERS:
        raise ValueError(f"reader {reader.name!r} registered twice")
    if reader.parse is None and reader.parse_stream is None:
        raise ValueError(f"reader {reader.name!r} needs parse or parse_stream")
    READERS[reader.name] = reader
    return reader


def load_builtin_readers() -> dict[str, Reader]:
    import pipeline.ingest.readers  # noqa: F401  (registers on import)

    return READERS


def choose_reader(head_text: str, name: str, forced: str | None = None) -> Reader:
    """The reader with the highest sniff confidence; InputError('unknown_format') if none."""
    readers = load_builtin_readers()
    if forced:
        if forced not in readers:
            raise InputError("unknown_format", f"no reader called {forced!r}; known: {', '.join(sorted(readers))}")
        return readers[forced]
    scored = sorted(((r.sniff(head_text, name), r.name) for r in readers.values()), reverse=True)
    if not scored or scored[0][0] <= 0.0:
        ext = Path(name).suffix or "no extension"
        raise InputError(
            "unknown_format",
            f"not a format this tool reads ({ext}); supported: {', '.join(sorted(readers))}",
        )
    return readers[scored[0][1]]
