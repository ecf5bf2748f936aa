"""Reading one input: hash, size checks, sniffing, decoding, parsing.

Each input becomes an ``InputOutcome``: either a ParseResult, or an InputError with a
one-line reason. Nothing raises past ``read_input`` for bad input.
"""

from __future__ import annotations

import csv
import errno
import fnmatch
import hashlib
import json
import os
import stat
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.ingest.decode import NotUtf8, Utf8Lines, decode_bytes, decode_head, looks_binary, sniff_encoding
from pipeline.ingest.registry import ReadContext, choose_reader
from pipeline.records import InputError, ParseResult, RawDoc

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
    # Set for a streamed input: its documents, read on demand (``result.docs`` stays empty
    # and ``result`` gets its warnings and rejects as they are read).
    stream: Iterator[RawDoc] | None = None

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


def display_path(path: str | Path) -> str:
    """A path as text that can be stored and printed: bytes that are not UTF-8 in a file
    name (kept by Python as surrogate escapes) become ``\\xNN`` escapes."""
    return os.fsencode(str(path)).decode("utf-8", "backslashreplace")


def name_warning(path: str | Path) -> str | None:
    """A warning when a file name is not valid UTF-8 (it is stored with escapes)."""
    shown = display_path(path)
    return None if shown == str(path) else f"file name is not valid UTF-8: stored as {shown}"


@dataclass(frozen=True)
class PathProblem:
    """A name found while walking the inputs that cannot be read as a file: becomes a
    quarantine row (``code``, one-line ``reason``); the ingest goes on."""

    path: str
    code: str
    reason: str

    @property
    def sha256(self) -> str:
        """Stands in for the content hash (there is no content): the hash of the path."""
        return hashlib.sha256(b"path\0" + os.fsencode(self.path)).hexdigest()


def _link_problem(path: str) -> PathProblem | None:
    """Why a symbolic link cannot be followed (loop, dangling), or None if it can."""
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return PathProblem(path, "symlink_loop", "symbolic link loop: the link leads back to itself")
        if exc.errno == errno.ENOENT:
            return PathProblem(path, "dangling_link",
                               f"symbolic link to {display_path(os.readlink(path))}, which does not exist")
        return PathProblem(path, "unreadable", f"cannot follow symbolic link: {exc.strerror}")
    return None


def _inside(target: str, roots: Sequence[str]) -> bool:
    return any(target == r or target.startswith(r.rstrip(os.sep) + os.sep) for r in roots)


def walk_inputs(paths: Iterable[str | Path], skip_hidden: bool = True, ignore: Sequence[str] = (),
                follow_symlinks: bool = False) -> Iterator[Path | PathProblem]:
    """Files under the given paths, sorted, each once, and a PathProblem for every name
    that cannot be read as a file (symlink loop, dangling link, link outside the given
    folders unless ``follow_symlinks``, special file, unreadable folder). A missing path
    given explicitly raises InputError.

    In folders, names matching a glob in ``ignore`` (README files, column-mapping
    sidecars) are skipped; a file named explicitly is always read.
    """
    given = [str(raw) for raw in paths]
    for p in given:
        if not os.path.lexists(p):
            raise InputError("missing", f"{display_path(p)} does not exist")
    roots = [os.path.realpath(p) for p in given]
    seen: set[str] = set()
    walked: set[str] = set()

    def visit_file(path: str) -> Iterator[Path | PathProblem]:
        try:
            st = os.stat(path)
        except OSError as exc:
            yield _link_problem(path) or PathProblem(path, "unreadable", f"cannot read: {exc.strerror}")
            return
        if not stat.S_ISREG(st.st_mode):
            yield PathProblem(path, "not_a_file", "not a regular file (a device, pipe or socket): not read")
            return
        key = os.path.realpath(path)
        if key not in seen:
            seen.add(key)
            yield Path(path)

    def visit_dir(top: str) -> Iterator[Path | PathProblem]:
        stack = [top]
        while stack:
            folder = stack.pop()
            real = os.path.realpath(folder)
            if real in walked:
                continue
            walked.add(real)
            try:
                entries = sorted(os.scandir(folder), key=lambda e: e.name)
            except OSError as exc:
                yield PathProblem(folder, "unreadable", f"cannot list folder: {exc.strerror}")
                continue
            subdirs: list[str] = []
            for entry in entries:
                name = entry.name
                if skip_hidden and (name.startswith(".")):
                    continue
                try:
                    is_link = entry.is_symlink()
                    is_dir = entry.is_dir(follow_symlinks=False)
                except OSError as exc:
                    yield PathProblem(entry.path, "unreadable", f"cannot read: {exc.strerror}")
                    continue
                if is_dir and skip_hidden and name.startswith("_"):
                    continue
                if is_link:
                    problem = _link_problem(entry.path)
                    if problem:
                        yield problem
                        continue
                    target = os.path.realpath(entry.path)
                    target_is_dir = os.path.isdir(target)
                    if not target_is_dir and any(fnmatch.fnmatch(name, pat) for pat in ignore):
                        continue
                    if not _inside(target, roots) and not follow_symlinks:
                        yield PathProblem(entry.path, "symlink_outside",
                                          f"symbolic link to {display_path(target)}, outside the folders given: "
                                          "not followed (set ingest.follow_symlinks or use --follow-symlinks)")
                        continue
                    if target_is_dir:
                        if not _inside(target, roots):  # inside ones are walked anyway
                            subdirs.append(entry.path)
                        continue
                    yield from visit_file(entry.path)
                elif is_dir:
                    subdirs.append(entry.path)
                elif not any(fnmatch.fnmatch(name, pat) for pat in ignore):
                    yield from visit_file(entry.path)
            stack.extend(reversed(subdirs))  # depth-first, in name order

    for p in given:
        if os.path.islink(p):
            problem = _link_problem(p)
            if problem:
                yield problem
                continue
        if os.path.isdir(p):
            yield from visit_dir(p)
        else:
            yield from visit_file(p)


def iter_input_files(paths: Iterable[str | Path], skip_hidden: bool = True,
                     ignore: Sequence[str] = ()) -> Iterator[Path]:
    """The readable files of :func:`walk_inputs` (path problems left out)."""
    for item in walk_inputs(paths, skip_hidden, ignore):
        if isinstance(item, Path):
            yield item


def read_input(
    path: Path,
    *,
    timezone: str,
    max_bytes: int,
    sniff_bytes: int,
    forced_format: str | None = None,
    options: dict | None = None,
    known_sha: str | None = None,
    stream_min_bytes: int | None = None,
) -> InputOutcome:
    """Read and parse one file. Bad input gives an outcome with ``error`` set.

    With ``stream_min_bytes``, a UTF-8 file of that size or more whose reader has
    ``parse_lines`` is streamed: a first pass over its lines runs here, and the outcome's
    ``stream`` gives its documents one at a time (see ``Reader``)."""
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
        ctx = ReadContext(name=display_path(path.name), timezone=timezone, options=options or {})
        if (stream_min_bytes is not None and size >= stream_min_bytes and reader.parse_lines is not None
                and encoding in (None, "utf-8") and _stream(path, reader, ctx, out)):
            return out
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
    except Exception as exc:  # noqa: BLE001  (sorted out by reader_error; others re-raised)
        out.error = reader_error(exc, out.format)
        if out.error is None:
            raise
    return out


def reader_error(exc: BaseException, fmt: str | None) -> InputError | None:
    """The quarantine reason for an exception a reader raised on bad input (None: a real
    failure, not the input's fault). A reader tripping over input it did not expect
    gets the file quarantined and the ingest goes on."""
    if isinstance(exc, InputError):
        return exc
    if isinstance(exc, RecursionError):
        return InputError("parse_error", "input nests too deeply to parse")
    if isinstance(exc, (ValueError, KeyError, IndexError, TypeError, AttributeError, UnicodeError, NotUtf8,
                        csv.Error)):
        where = f"{fmt} reader" if fmt else "reader"
        return InputError("parse_error", f"{where} failed: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
    return None


def _stream(path: Path, reader, ctx: ReadContext, out: InputOutcome) -> bool:
    """Stream ``path`` with ``reader.parse_lines`` (its first pass runs now). False when
    the file is not UTF-8 after all (it is then read whole: cp1252, detection)."""
    lines = Utf8Lines(path)
    try:
        result, docs = reader.parse_lines(lambda: lines, ctx)
    except NotUtf8:
        return False
    out.warnings.extend(lines.warnings)
    result.warnings[:0] = out.warnings
    out.result, out.stream = result, docs
    return True


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


__all__ = ["InputOutcome", "PathProblem", "read_input", "read_bytes", "iter_input_files", "walk_inputs",
           "sha256_file", "display_path", "name_warning"]
