"""Reading one input: hash, size checks, sniffing, decoding, parsing.

Each input becomes an ``InputOutcome``: either a ParseResult, or an InputError with a
one-line reason. Nothing raises past ``read_input`` for bad input.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.ingest.decode import decode_bytes, decode_head, looks_binary, sniff_encoding
from pipeline.ingest.registry import ReadContext, choose_reader
from pipeline.records import InputError, ParseResult

CHUNK = 1 << 20


@dataclass
class InputOutcome:
    path: str
    sha256: str
    size: int
    format: str | None = None
    result: ParseResult | None = None
    error: InputError | None = None
    head: bytes = b""
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None and self.result is not None


def sha256_file(path: Path) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


SIDECAR_SUFFIX = ".columns.json"


def iter_input_files(paths: Iterable[str | Path], skip_hidden: bool = True,
                     ignore: Sequence[str] = ()) -> Iterator[Path]:
    """Files under the given paths, sorted, each once. Missing paths raise InputError.

    In folders, names matching a glob in ``ignore`` (README files, column-mapping
    sidecars) are skipped; a file named explicitly is always read.
    """
    seen: set[Path] = set()
    for raw in paths:
        p = Path(raw)
        if not p.exists():
            raise InputError("missing", f"{p} does not exist")
        if p.is_file():
            candidates = [p]
        else:
            candidates = []
            for root, dirs, files in os.walk(p):
                if skip_hidden:
                    dirs[:] = [d for d in dirs if not d.startswith((".", "_"))]
                    files = [f for f in files if not f.startswith(".")]
                dirs.sort()
                candidates.extend(Path(root) / f for f in sorted(files)
                                  if not any(fnmatch.fnmatch(f, pat) for pat in ignore))
        for c in candidates:
            key = c.resolve()
            if key not in seen:
                seen.add(key)
                yield c


def read_input(
    path: Path,
    *,
    timezone: str = "Europe/London",
    max_bytes: int = 256 << 20,
    sniff_bytes: int = 65536,
    forced_format: str | None = None,
    options: dict | None = None,
    known_sha: str | None = None,
) -> InputOutcome:
    """Read and parse one file. Bad input gives an outcome with ``error`` set."""
    sha, size = (known_sha, path.stat().st_size) if known_sha else sha256_file(path)
    with path.open("rb") as fh:
        head = fh.read(sniff_bytes)
    out = InputOutcome(path=str(path), sha256=sha, size=size, head=head)
    try:
        if size == 0 or not head.strip():
            raise InputError("empty", "file is empty (or only whitespace)")
        encoding = sniff_encoding(head)  # BOMs and UTF-16 first: their NUL bytes are not binary
        if looks_binary(head):
            raise InputError("binary", "file is binary, not text (NUL or control bytes in its head)")
        if encoding and encoding != "utf-8":
            head_text = decode_head(head, encoding)
        else:
            head_text, _ = decode_bytes(_cut_to_char_boundary(head) if size > len(head) else head, repair=False)
        reader = choose_reader(head_text, path.name, forced_format)
        out.format = reader.name
        ctx = ReadContext(name=path.name, timezone=timezone, options=options or {})
        if reader.parse_stream is not None and (reader.parse is None or size > max_bytes):
            with path.open("rb") as fh:
                result = reader.parse_stream(fh, ctx)
        elif size > max_bytes:
            raise InputError(
                "too_large",
                f"file is {size / 2**20:.0f} MB, over ingest.max_file_mb for {reader.name} "
                "(which cannot be streamed); split it or raise the limit",
            )
        else:
            text, warns = decode_bytes(path.read_bytes())
            out.warnings.extend(warns)
            result = reader.parse(text, ctx)  # type: ignore[misc]
        result.warnings[:0] = out.warnings
        out.result = result
    except InputError as exc:
        out.error = exc
    except RecursionError:
        out.error = InputError("parse_error", "input nests too deeply to parse")
    except (ValueError, KeyError, IndexError, TypeError, AttributeError, UnicodeError) as exc:
        # A reader tripping over input it did not expect: quarantine the file, go on.
        where = f"{out.format} reader" if out.format else "reader"
        out.error = InputError("parse_error", f"{where} failed: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
    return out


def sidecar_options(path: Path) -> dict:
    """Reader options kept beside an input: ``<file>.columns.json`` holds a column mapping
    (``{"body": "message", ...}``) for a CSV/JSONL file. Raises InputError if unreadable."""
    side = path.with_name(path.name + SIDECAR_SUFFIX)
    if not side.exists():
        return {}
    try:
        mapping = json.loads(side.read_text(encoding="utf-8"))
    except (OSError, UnicodeError, json.JSONDecodeError) as exc:
        raise InputError("bad_option", f"column mapping {side.name} is not valid JSON: {exc}") from None
    if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
        raise InputError("bad_option", f"column mapping {side.name} must be an object of column names")
    return {"columns": mapping}


def read_bytes(data: bytes, name: str, **kw) -> InputOutcome:
    """Parse an in-memory input (tests, URLs fetched by a caller)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / name
        p.write_bytes(data)
        out = read_input(p, **kw)
        out.path = name
        return out


def _cut_to_char_boundary(head: bytes) -> bytes:
    """Drop a UTF-8 sequence cut off at the end of a head sample."""
    for i in range(1, 4):
        if len(head) > i and (head[-i] & 0xC0) == 0xC0:
            return head[:-i]
    return head


__all__ = ["InputOutcome", "read_input", "read_bytes", "iter_input_files", "sha256_file"]
