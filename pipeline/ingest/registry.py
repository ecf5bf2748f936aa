"""The registry of input readers, chosen by sniffing content (not only the extension).

Explicit, without import side effects: the built-in readers are the list in
``pipeline/ingest/readers/__init__.py``; other packages add readers through the
``probation_corpus.readers`` entry-point group (each entry point names a ``Reader``
object), so a new reader needs no edit of this package. ``register`` adds one at run time.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from pathlib import Path

from pipeline.ingest.reader import ReadContext, Reader
from pipeline.ingest.readers import BUILTIN_READERS
from pipeline.records import InputError

ENTRY_POINT_GROUP = "probation_corpus.readers"

__all__ = ["ENTRY_POINT_GROUP", "ReadContext", "Reader", "all_readers", "choose_reader", "register"]

_extra: dict[str, Reader] = {}


def _check(reader: object, where: str) -> Reader:
    if not isinstance(reader, Reader):
        raise TypeError(f"{where} is not a pipeline.ingest.reader.Reader: {reader!r}")
    if reader.parse is None and reader.parse_stream is None:
        raise TypeError(f"reader {reader.name!r} ({where}) needs parse or parse_stream")
    return reader


def _plugin_readers() -> list[tuple[Reader, str]]:
    return [(_check(ep.load(), f"entry point {ep.value}"), f"entry point {ep.value}")
            for ep in entry_points(group=ENTRY_POINT_GROUP)]


def all_readers() -> dict[str, Reader]:
    """Every reader by name: built-ins, then entry points, then ``register``-ed ones.
    Two readers with one name are an error, never a silent replacement."""
    out: dict[str, Reader] = {}
    sources = [(r, "built-in") for r in BUILTIN_READERS] + _plugin_readers() + [(r, "register()") for r in _extra.values()]
    for reader, where in sources:
        _check(reader, where)
        if reader.name in out:
            raise TypeError(f"two readers are called {reader.name!r} (the second from {where})")
        out[reader.name] = reader
    return out


def register(reader: Reader) -> Reader:
    """Add a reader for this process (plugins should use the entry-point group)."""
    _check(reader, "register()")
    if reader.name in all_readers():
        raise TypeError(f"reader {reader.name!r} registered twice")
    _extra[reader.name] = reader
    return reader


def choose_reader(head_text: str, name: str, forced: str | None = None) -> Reader:
    """The reader with the highest sniff confidence; InputError('unknown_format') if none."""
    readers = all_readers()
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
