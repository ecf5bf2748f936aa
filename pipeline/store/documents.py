"""Reads and idempotent writes for sources, documents and quarantine."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

import duckdb
import pandas as pd

from pipeline.records import UNPLACED_ROW, Document
from pipeline.store.connection import registered, type_from_every_row, upsert


@dataclass(frozen=True)
class SourceRow:
    source_id: str
    path_or_url: str
    format: str
    sha256: str
    size_bytes: int
    declared_comments: int | None
    parsed_comments: int
    warnings: list[str]


@dataclass(frozen=True)
class QuarantineRow:
    source: str
    sha256: str
    locator: str
    code: str
    reason: str
    raw: bytes
    raw_truncated: bool = False


def now_utc() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def known_shas(conn: duckdb.DuckDBPyConnection) -> set[str]:
    """Inputs already read, except those with rows still waiting for their post or parent
    (quarantined ``unplaced_row``): those are read again."""
    return {r[0] for r in conn.execute(
        "SELECT sha256 FROM source_files WHERE sha256 NOT IN "
        "(SELECT sha256 FROM quarantine_rows WHERE code = ?)", [UNPLACED_ROW]).fetchall()}


def clear_unplaced(conn: duckdb.DuckDBPyConnection, shas: Iterable[str]) -> None:
    """Forget the ``unplaced_row`` quarantine rows of inputs read again (those still
    unplaced are quarantined anew by the same run)."""
    shas = sorted(set(shas))
    if shas:
        conn.execute("DELETE FROM quarantine_rows WHERE code = ? AND list_contains(?, sha256)", [UNPLACED_ROW, shas])


def known_post_keys(conn: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(conn.execute("SELECT key, doc_id FROM post_keys").fetchall())


def last_positions(conn: duckdb.DuckDBPyConnection, post_ids: Iterable[str]) -> dict[str, int]:
    """The highest position stored among each post's documents (posts with none left out)."""
    ids = sorted(set(post_ids))
    if not ids:
        return {}
    with registered(conn, "_posts", pd.DataFrame({"post_id": pd.Series(ids, dtype=object)})) as conn:
        rows = conn.execute("SELECT post_id, max(position) FROM document_rows "
                            "WHERE post_id IN (SELECT post_id FROM _posts) GROUP BY post_id").fetchall()
    return {pid: int(n) for pid, n in rows}


def write_sources(conn: duckdb.DuckDBPyConnection, sources: Sequence[SourceRow], run_id: str | None) -> None:
    """Record parsed sources (the same bytes are recorded once)."""
    ts = now_utc()
    for s in sources:
        conn.execute(
            "INSERT INTO source_files VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT (sha256) DO UPDATE SET "
            "parsed_comments = excluded.parsed_comments",  # read again: more of its rows placed
            [s.source_id, s.path_or_url, s.format, s.sha256, s.size_bytes, ts, s.declared_comments,
             s.parsed_comments, s.warnings, run_id],
        )


def write_post_keys(conn: duckdb.DuckDBPyConnection, post_keys: dict[str, str]) -> None:
    """Remember post keys; the first doc_id recorded for a key wins."""
    if not post_keys:
        return
    kdf = pd.DataFrame({"key": list(post_keys), "doc_id": list(post_keys.values())})
    with registered(conn, "_keys", kdf) as conn:
        conn.execute("INSERT INTO post_keys SELECT key, doc_id FROM _keys ON CONFLICT (key) DO NOTHING")


_ROWS = """
SELECT doc_id, kind, post_id, parent_id, position, author, published_at, date_only, title, url, text,
       blogger_id, CAST(flags AS VARCHAR[]), fingerprint, source_id, locator, ?
FROM _docs
"""

_MERGE = """
    parent_id = COALESCE(document_rows.parent_id, excluded.parent_id),
    author = COALESCE(document_rows.author, excluded.author),
    published_at = CASE
        WHEN document_rows.published_at IS NULL
          OR (document_rows.date_only AND NOT excluded.date_only AND excluded.published_at IS NOT NULL)
        THEN excluded.published_at ELSE document_rows.published_at END,
    date_only = CASE
        WHEN document_rows.published_at IS NULL
          OR (document_rows.date_only AND NOT excluded.date_only AND excluded.published_at IS NOT NULL)
        THEN excluded.date_only ELSE document_rows.date_only END,
    title = COALESCE(document_rows.title, excluded.title),
    url = COALESCE(document_rows.url, excluded.url),
    blogger_id = COALESCE(document_rows.blogger_id, excluded.blogger_id)
"""


def _frame(items: Sequence[tuple[Document, str]]) -> pd.DataFrame:
    docs = [d for d, _ in items]
    obj = lambda values: pd.Series(values, dtype="object")  # noqa: E731  (keep None as NULL)
    return pd.DataFrame({
        "doc_id": [d.doc_id for d in docs],
        "kind": [d.kind for d in docs],
        "post_id": [d.post_id for d in docs],
        "parent_id": obj([d.parent_id for d in docs]),
        "position": [d.position for d in docs],
        "author": obj([d.author for d in docs]),
        "published_at": pd.Series([d.published_at for d in docs], dtype="datetime64[us]"),
        "date_only": [bool(d.date_only) for d in docs],
        "title": obj([d.title for d in docs]),
        "url": obj([d.url for d in docs]),
        "text": [d.text for d in docs],
        "blogger_id": obj([d.blogger_id for d in docs]),
        "flags": [list(d.flags) for d in docs],
        "fingerprint": [d.fingerprint for d in docs],
        "source_id": [src for _, src in items],
        "locator": [d.locator for d in docs],
    })


def write_documents(conn: duckdb.DuckDBPyConnection, items: Sequence[tuple[Document, str]],
                    run_id: str | None) -> int:
    """Upsert documents, each with the source it came from. Returns how many were new.

    Merging a document already stored (same doc_id from another form): stored values
    win, missing ones are filled in, a precise timestamp replaces a date-only one. The
    same doc_id twice in one batch is written in successive waves so that this one rule
    (in SQL) applies to both. Call inside ``transaction``.
    """
    if not items:
        return 0
    waves: list[list[tuple[Document, str]]] = []
    seen: dict[str, int] = {}
    for item in items:
        n = seen.get(item[0].doc_id, 0)
        seen[item[0].doc_id] = n + 1
        if n == len(waves):
            waves.append([])
        waves[n].append(item)
    before = conn.execute("SELECT count(*) FROM document_rows").fetchone()[0]
    for wave in waves:
        # flags are empty or None in most rows (a 3,000-deep reply chain had none in its
        # first 1,000, and the later values failed to cast)
        type_from_every_row(conn, len(wave))
        # each batch is released when its block ends (``registered``), not at the commit
        with registered(conn, "_docs", _frame(wave)) as scoped:
            upsert(scoped, "document_rows", _ROWS, [run_id], update=_MERGE)
            scoped.execute("INSERT INTO document_sources SELECT doc_id, source_id, locator FROM _docs "
                           "ON CONFLICT DO NOTHING")
    return int(conn.execute("SELECT count(*) FROM document_rows").fetchone()[0] - before)


@dataclass(frozen=True)
class Edit:
    """A Blogger document seen again (same doc_id and Blogger id) with a different text."""

    doc_id: str
    kind: str
    blogger_id: str
    old_source_id: str | None
    text: str
    fingerprint: str
    flags: tuple[str, ...]
    source_id: str


def form_family(fmt: str | None) -> str:
    """Blogger forms whose texts are comparable: the feed entry model (feeds and exports)
    or a saved page. Across forms a text differs by extraction, not by an edit."""
    return "page" if (fmt or "").startswith("blogger_html") else "feed" if (fmt or "").startswith("blogger_") else (fmt or "")


def find_edits(conn: duckdb.DuckDBPyConnection, items: Sequence[tuple[Document, str]],
               formats: dict[str, str] | None = None) -> tuple[list[Edit], list[tuple[Document, str]]]:
    """The items that change the text of a Blogger document, in batch order, and the
    items whose text differs from another form's (kept as they are, to be warned about).

    An item is an edit when a document with its doc_id and the same Blogger id is stored
    (or came earlier in this batch) with another fingerprint, from the same form family
    (``formats``: source_id -> reader; see ``form_family``). A summary never replaces a
    full text (feeds that carry ``summary_only`` entries). Reads only.
    """
    formats = formats or {}
    wanted = sorted({d.doc_id for d, _ in items if d.blogger_id})
    if not wanted:
        return [], []
    with registered(conn, "_want_edit", pd.DataFrame({"doc_id": pd.Series(wanted, dtype=object)})) as conn:
        rows = conn.execute(
            "SELECT d.doc_id, d.blogger_id, d.fingerprint, d.flags, "
            "  coalesce((SELECT arg_max(v.replaced_by_source_id, v.version) FROM document_version_rows v "
            "            WHERE v.doc_id = d.doc_id), d.source_id) AS src "
            "FROM document_rows d JOIN _want_edit w ON w.doc_id = d.doc_id").fetchall()
        stored_formats = dict(conn.execute(
            "SELECT s.source_id, s.format FROM source_files s").fetchall())
    formats = {**stored_formats, **formats}
    current = {r[0]: (r[1], r[2], tuple(r[3] or ()), r[4]) for r in rows}
    edits: list[Edit] = []
    variants: list[tuple[Document, str]] = []
    for d, src in items:
        if not d.blogger_id:
            continue
        cur = current.get(d.doc_id)
        if cur is None or cur[0] != d.blogger_id:
            current.setdefault(d.doc_id, (d.blogger_id, d.fingerprint, d.flags, src))
            continue
        if d.fingerprint == cur[1] or ("summary_only" in d.flags and "summary_only" not in cur[2]):
            continue
        if form_family(formats.get(src)) != form_family(formats.get(cur[3])):
            variants.append((d, src))
            continue
        edits.append(Edit(d.doc_id, d.kind, d.blogger_id, cur[3], d.text, d.fingerprint, d.flags, src))
        current[d.doc_id] = (d.blogger_id, d.fingerprint, d.flags, src)
    return edits, variants


def apply_edits(conn: duckdb.DuckDBPyConnection, edits: Sequence[Edit], run_id: str | None) -> list[int]:
    """Keep each edited document's current text as its next earlier version, then store the
    new text. Call inside ``transaction``, after ``write_documents``. Returns the version
    number kept for each edit."""
    kept = []
    ts = now_utc()
    for e in edits:
        n = conn.execute(
            "INSERT INTO document_version_rows "
            "SELECT d.doc_id, coalesce((SELECT max(version) FROM document_version_rows v WHERE v.doc_id = d.doc_id), 0) + 1, "
            "       d.text, d.fingerprint, ?, ?, ?, ? FROM document_rows d WHERE d.doc_id = ? RETURNING version",
            [e.old_source_id, ts, e.source_id, run_id, e.doc_id]).fetchall()
        conn.execute("UPDATE document_rows SET text = ?, fingerprint = ?, flags = ? WHERE doc_id = ?",
                     [e.text, e.fingerprint, list(e.flags), e.doc_id])
        kept.append(int(n[0][0]) if n else 0)
    return kept


def write_source(conn: duckdb.DuckDBPyConnection, source: SourceRow, docs: Sequence[Document],
                 post_keys: dict[str, str], run_id: str | None) -> int:
    """One source with its documents and post keys (see ``write_documents``)."""
    write_sources(conn, [source], run_id)
    write_post_keys(conn, post_keys)
    return write_documents(conn, [(d, source.source_id) for d in docs], run_id)


def write_quarantine(
    conn: duckdb.DuckDBPyConnection, rows: Iterable[QuarantineRow], run_id: str | None
) -> int:
    """Insert quarantine rows; the same (input, locator, code) is kept once."""
    n = 0
    ts = now_utc()
    for r in rows:
        res = conn.execute(
            "INSERT INTO quarantine_rows VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING RETURNING 1",
            [r.source, r.sha256, r.locator, r.code, r.reason, r.raw, r.raw_truncated, ts, run_id],
        ).fetchall()
        n += len(res)
    return n
