"""Reading coders' files (CSV or JSON Lines) into codes per document.

Accepted rows (one document each):

- the guidelines' gold format: ``{"source", "doc": "post" | "cN", "parent", "themes":
  {theme: stance}, "sentiment"}``, optionally with ``doc_id`` (which then wins),
  ``blogger_id``, and ``starts_with`` / ``text_starts_with`` (the first characters of the
  own text / the text), which resolve rows of files holding several posts;
- the files ``annotate export`` writes: ``doc_id`` plus, in CSV, one ``theme:<name>``
  column per theme (empty = absent; FAVOR / AGAINST / NONE = present with that stance;
  x / yes / present / 1 = present, stance not coded) and a ``sentiment`` column; in JSON
  Lines a ``themes`` object as in the gold format.

A row with neither a sentiment nor any theme is not coded yet and is skipped. A row that
is coded says every theme of the taxonomy it does not name is absent. Bad rows make the
whole file fail with the line numbers, so an import stores all of a file or nothing.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipeline.classify.labels import ABSENT, PRESENT, SENTIMENT, STANCE, THEME, normalise_sentiment, normalise_stance
from pipeline.errors import UserError
from pipeline.textnorm import fold

THEME_COLUMN = "theme:"
YES = {"x", "yes", "y", "present", "1", "true"}
NO = {"", "no", "n", "absent", "0", "false"}
_DOC = re.compile(r"^(post|[pc][1-9][0-9]*)$")


@dataclass
class CodedRow:
    """One coded document as read from a file, before its doc_id is resolved."""

    line: int
    doc_id: str | None
    source: str | None
    doc: str | None
    parent: str | None
    themes: dict[str, str | None] = field(default_factory=dict)  # theme -> stance (None: not coded)
    sentiment: str | None = None
    blogger_id: str | None = None
    starts_with: str | None = None
    text_starts_with: str | None = None


class CodeFileError(UserError, ValueError):
    """A coders' file with rows that cannot be used (message lists them)."""


def _clean(v) -> str | None:
    if v is None:
        return None
    s = str(v).strip()
    return s or None


def _theme_value(theme: str, raw, line: int, errors: list[str]) -> tuple[bool, str | None]:
    """(present, stance) from a cell or JSON value."""
    if raw is None:
        return True, None
    s = str(raw).strip()
    if s.lower() in YES:
        return True, None
    if s.lower() in NO:
        return False, None
    try:
        return True, normalise_stance(s)
    except ValueError as exc:
        errors.append(f"line {line}: theme {theme}: {exc}")
        return False, None


def _row_from_mapping(rec: dict, line: int, errors: list[str]) -> CodedRow:
    row = CodedRow(line, _clean(rec.get("doc_id")), _clean(rec.get("source")), _clean(rec.get("doc")),
                   _clean(rec.get("parent")), blogger_id=_clean(rec.get("blogger_id")),
                   starts_with=_clean(rec.get("starts_with")), text_starts_with=_clean(rec.get("text_starts_with")))
    themes = rec.get("themes")
    if isinstance(themes, dict):
        items = list(themes.items())
    elif isinstance(themes, list):
        items = [(t, None) for t in themes]
    elif isinstance(themes, str) and themes.strip():
        items = []
        for part in themes.split(";"):
            name, _, stance = part.partition(":")
            items.append((name.strip(), stance.strip() or None))
    elif themes in (None, ""):
        items = []
    else:
        errors.append(f"line {line}: 'themes' must be an object, a list or 'name:STANCE;...'")
        items = []
    items += [(k[len(THEME_COLUMN):], v) for k, v in rec.items() if k.startswith(THEME_COLUMN)]
    for name, raw in items:
        present, stance = _theme_value(str(name), raw, line, errors)
        if present:
            row.themes[str(name).strip()] = stance
    sent = _clean(rec.get("sentiment"))
    if sent:
        try:
            row.sentiment = normalise_sentiment(sent)
        except ValueError as exc:
            errors.append(f"line {line}: {exc}")
    return row


def read_code_file(path: str | Path) -> list[CodedRow]:
    """Coded rows of a .csv or .jsonl/.json/.ndjson file; uncoded rows are skipped."""
    p = Path(path)
    if not p.is_file():
        raise CodeFileError(f"no such file: {p}: give the path of a .csv or .jsonl code file")
    errors: list[str] = []
    rows: list[CodedRow] = []
    suffix = p.suffix.lower()
    if suffix == ".csv":
        with p.open(newline="", encoding="utf-8-sig") as fh:
            for line, rec in enumerate(csv.DictReader(fh), start=2):
                rows.append(_row_from_mapping(rec, line, errors))
    elif suffix in (".jsonl", ".json", ".ndjson"):
        with p.open(encoding="utf-8") as fh:
            for line, text in enumerate(fh, start=1):
                if not text.strip():
                    continue
                try:
                    rec = json.loads(text)
                except json.JSONDecodeError as exc:
                    errors.append(f"line {line}: not JSON ({exc.msg})")
                    continue
                if not isinstance(rec, dict):
                    errors.append(f"line {line}: expected a JSON object")
                    continue
                rows.append(_row_from_mapping(rec, line, errors))
    else:
        raise CodeFileError(f"{p.name}: use a .csv or .jsonl file")
    if errors:
        raise CodeFileError(_summarise(p.name, errors))
    return [r for r in rows if r.sentiment or r.themes]


def _summarise(name: str, errors: Sequence[str]) -> str:
    head = "; ".join(errors[:5])
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return f"{name}: {len(errors)} bad row(s), nothing imported: {head}{more}"


def gold_locators(docs: pd.DataFrame) -> pd.DataFrame:
    """(source, doc, parent) names of the guidelines' gold format for each document.

    ``docs``: doc_id, kind, post_id, parent_id, position, source (the file name of a
    source it was read from; a document read from several sources has a row for each).
    Comments are numbered c1, c2, ... in reading order (position) per source and post.
    Sources holding more than one post are left out: their rows need a doc_id.
    Returns doc_id, source, doc, parent.
    """
    out = []
    for source, grp in docs.groupby("source", sort=True):
        if (grp["kind"] == "post").sum() > 1 or grp["post_id"].nunique() > 1:
            continue
        names: dict[str, str] = {}
        for r in grp[grp["kind"] == "post"].itertuples():
            names[r.doc_id] = "post"
        comments = grp[grp["kind"] == "comment"].sort_values("position")
        for k, r in enumerate(comments.itertuples(), start=1):
            names[r.doc_id] = f"c{k}"
        for r in grp.itertuples():
            parent = names.get(r.parent_id) if isinstance(r.parent_id, str) and r.kind == "comment" else None
            if parent == "post":
                parent = None
            out.append({"doc_id": r.doc_id, "source": source, "doc": names[r.doc_id], "parent": parent})
    frame = pd.DataFrame(out, columns=["doc_id", "source", "doc", "parent"]).astype(object)
    return frame.where(frame.notna(), None)


def _head(text: str | None, n: int = 40) -> str:
    return fold(text or "")[:n]


def resolve(rows: Iterable[CodedRow], locators: pd.DataFrame, known_ids: set[str], file_name: str,
            heads: pd.DataFrame | None = None) -> tuple[list[tuple[CodedRow, str]], list[str]]:
    """Each row with its doc_id, found by the first of: its ``doc_id``; its
    ``blogger_id``; (source, doc) in ``locators`` (single-post sources; a given
    ``parent`` must match); the start of the own text (``starts_with``) or text
    (``text_starts_with``) among the documents of that source (of any source when that
    file was not ingested). ``heads``: doc_id, source, blogger_id, text, own_text.

    Returns the resolved rows and a note per row whose document is not in the corpus
    (skipped: ingest it and import again). A malformed or ambiguous row fails the file."""
    index = {(r.source, r.doc): (r.doc_id, r.parent if isinstance(r.parent, str) else None)
             for r in locators.itertuples()}
    heads = heads if heads is not None else pd.DataFrame(columns=["doc_id", "source", "blogger_id", "text",
                                                                  "own_text"])
    by_blogger = {str(b): d for d, b in zip(heads["doc_id"], heads["blogger_id"]) if isinstance(b, str) and b}
    by_source: dict[str, list[tuple[str, str, str]]] = {}
    for r in heads.itertuples():
        by_source.setdefault(r.source, []).append((r.doc_id, _head(r.own_text), _head(r.text)))
    errors: list[str] = []
    skipped: list[str] = []
    out: list[tuple[CodedRow, str]] = []
    seen: dict[str, int] = {}
    for row in rows:
        doc_id = None
        src = Path(row.source).name if row.source else None
        if row.doc_id:
            if row.doc_id not in known_ids:
                skipped.append(f"line {row.line}: unknown doc_id {row.doc_id}")
                continue
            doc_id = row.doc_id
        elif row.blogger_id and row.blogger_id in by_blogger:
            doc_id = by_blogger[row.blogger_id]
        elif src and row.doc and (src, row.doc) in index:
            doc_id, parent = index[(src, row.doc)]
            if row.parent != parent:
                errors.append(f"line {row.line}: {src} {row.doc}: parent is {parent or 'none'} in the corpus, "
                              f"the file says {row.parent or 'none'}")
                continue
        elif src and (row.starts_with or row.text_starts_with):
            own, txt = _head(row.starts_with), _head(row.text_starts_with)
            pool = by_source.get(src) or [d for docs in by_source.values() for d in docs]
            hits = {d for d, oh, th in pool if _prefix_match(own, oh) or _prefix_match(txt, th)}
            if len(hits) > 1:
                errors.append(f"line {row.line}: {len(hits)} documents of {src} start like this row "
                              "(give doc_id)")
                continue
            if not hits:
                skipped.append(f"line {row.line}: no document of {src} starts like this row")
                continue
            doc_id = hits.pop()
        else:
            if not src or not row.doc:
                errors.append(f"line {row.line}: needs doc_id, or source and doc")
            elif not _DOC.match(row.doc):
                errors.append(f"line {row.line}: doc {row.doc!r} must be 'post', pN or cN")
            else:
                skipped.append(f"line {row.line}: no document {row.doc} in source {src}")
            continue
        if doc_id in seen:
            errors.append(f"line {row.line}: the same document as line {seen[doc_id]}")
            continue
        seen[doc_id] = row.line
        out.append((row, doc_id))
    if errors:
        raise CodeFileError(_summarise(file_name, errors))
    return out, skipped


def _prefix_match(a: str, b: str) -> bool:
    """Both non-empty and one starts the other (heads are cut at different lengths)."""
    return bool(a and b and (a.startswith(b) or b.startswith(a)))


def codes_frame(resolved: Iterable[tuple[CodedRow, str]], theme_names: Sequence[str], file_name: str) -> pd.DataFrame:
    """Long codes: doc_id, label_kind, label, value. Every taxonomy theme gets present or
    absent; a present theme's stance, when coded, a stance row; sentiment when coded."""
    names = list(theme_names)
    errors: list[str] = []
    recs = []
    for row, doc_id in resolved:
        unknown = sorted(set(row.themes) - set(names))
        if unknown:
            errors.append(f"line {row.line}: unknown theme(s) {', '.join(unknown)} (themes: {', '.join(names)})")
            continue
        for t in names:
            recs.append((doc_id, THEME, t, PRESENT if t in row.themes else ABSENT))
            if row.themes.get(t):
                recs.append((doc_id, STANCE, t, row.themes[t]))
        if row.sentiment:
            recs.append((doc_id, SENTIMENT, SENTIMENT, row.sentiment))
    if errors:
        raise CodeFileError(_summarise(file_name, errors))
    return pd.DataFrame(recs, columns=["doc_id", "label_kind", "label", "value"])
