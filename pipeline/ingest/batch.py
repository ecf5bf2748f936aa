"""Read a batch of inputs: walk the paths, skip files already ingested (by SHA-256), read
the rest with their readers. Every problem becomes an :class:`InputOutcome` with an
error (quarantined by the job), never an exception."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.ingest.core import (
    InputOutcome,
    PathProblem,
    name_warning,
    read_input,
    sha256_file,
    sidecar_options,
    walk_inputs,
)
from pipeline.ingest.settings import IngestSettings
from pipeline.records import InputError


@dataclass
class ReadBatch:
    found: int  # files and path problems the walk met
    outcomes: list[InputOutcome] = field(default_factory=list)
    unchanged: int = 0  # files whose bytes were ingested before


def _problem(pp: PathProblem) -> InputOutcome:
    return InputOutcome(pp.path, pp.sha256, 0, error=InputError(pp.code, pp.reason))


def read_inputs(paths: Iterable[str | Path], settings: IngestSettings, *, known_shas: set[str],
                forced_format: str | None = None, options: Mapping | None = None,
                follow_symlinks: bool | None = None,
                progress: Callable[[str, int, int], None] = lambda label, done, total: None) -> ReadBatch:
    """Read every input under ``paths`` whose SHA-256 is not in ``known_shas`` (added to as
    files are read, so a copy in the same batch is unchanged too). ``options`` (--map) beat a
    file's sidecar; ``follow_symlinks`` (None: the setting) as ``ingest.follow_symlinks``."""
    options = dict(options or {})
    follow = settings.follow_symlinks if follow_symlinks is None else bool(follow_symlinks)
    found = list(walk_inputs(paths, skip_hidden=settings.skip_hidden, ignore=settings.ignore_names,
                             follow_symlinks=follow))
    files = [f for f in found if isinstance(f, Path)]
    # Names that cannot be read as files: quarantined, the ingest goes on.
    batch = ReadBatch(len(found), [_problem(f) for f in found if isinstance(f, PathProblem)])
    for i, path in enumerate(files, 1):
        progress("ingest", i - 1, len(files))
        try:
            sha, size = sha256_file(path)
        except OSError as exc:
            batch.outcomes.append(_problem(PathProblem(str(path), "unreadable", f"cannot read: {exc.strerror or exc}")))
            continue
        if sha in known_shas:
            batch.unchanged += 1
            continue
        known_shas.add(sha)
        try:
            file_options = {**sidecar_options(path), **options}  # --map beats the sidecar
        except InputError as exc:
            batch.outcomes.append(InputOutcome(str(path), sha, size, error=exc))
            continue
        try:
            outcome = read_input(path, **settings.read_limits(), forced_format=forced_format,
                                 options=file_options, known_sha=sha,
                                 stream_min_bytes=settings.stream_min_bytes)
        except OSError as exc:
            outcome = InputOutcome(str(path), sha, size,
                                   error=InputError("unreadable", f"cannot read: {exc.strerror or exc}"))
        if outcome.ok and outcome.stream is None and (warn := name_warning(path)):  # a stream warns when written
            outcome.result.warnings.append(warn)
        batch.outcomes.append(outcome)
    progress("ingest", len(files), len(files))
    return batch


def edit_warnings(edits: Iterable, variants: Iterable) -> dict[str, list[str]]:
    """Per source id, the warnings of the documents it brings a new text of (``edits``:
    stored as the current text) or a different reading of (``variants``: kept in the source)."""
    by_source: dict[str, list[str]] = {}
    for e in edits:
        by_source.setdefault(e.source_id, []).append(
            f"{e.kind} {e.doc_id} (Blogger id {e.blogger_id}) has a new text: stored as the current text, "
            "the earlier one kept in document_versions")
    for d, src in variants:
        by_source.setdefault(src, []).append(
            f"{d.kind} {d.doc_id} (Blogger id {d.blogger_id}) reads differently in this form than in the "
            "stored one (another extraction, not an edit): the stored text is kept, this one stays in the source")
    return by_source
