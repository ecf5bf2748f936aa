"""Reader: a table of posts and comments as CSV (or TSV) or JSON Lines.

Columns (canonical names): ``id``, ``body`` (required), ``post``, ``parent``, ``author``,
``timestamp``, ``title``, ``url`` (optional). ``ctx.options["columns"]`` maps canonical
names to the file's own, e.g. ``{"body": "comment_text"}``. A row whose ``post`` is empty
or its own id is a post; any other row is a comment of that post, and ``parent`` names
its parent comment (empty or the post's id: top level). A ``post`` or ``parent`` that is
no row of the file names one of another input (a comments file beside a posts file, or a
later file of comments on stored posts): such rows, and the replies below them, are kept
with their raw rows in ``outside_rows`` and placed by
:func:`pipeline.ingest.ids.resolve_outside` when ids are assigned. Each bad row becomes
a Reject (locator ``row N`` for CSV, counting the header as row 1; ``line N`` for JSON
Lines) and the good rows are kept.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from itertools import islice

from pipeline.ingest.blogger import BLOGGER_ID, local_to_utc, number_positions
from pipeline.ingest.reader import ReadContext, Reader
from pipeline.records import InputError, ParseResult, RawDoc, Reject

FORMAT = "tabular"
COLUMNS = ("id", "post", "parent", "author", "timestamp", "body", "title", "url")
REQUIRED = ("id", "body")
DELIMITERS = ",\t;|"
_EPOCH = re.compile(r"^\d{10}(\d{3})?$")
_UK_FORMATS = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y")


@dataclass(frozen=True)
class Row:
    """One table row with canonical column names (values stripped text)."""

    locator: str
    values: dict[str, str]
    raw: str


# ---------------------------------------------------------------- options and values


def column_mapping(options: dict) -> dict[str, str]:
    """Canonical name -> the file's column name, from ``options["columns"]``."""
    given = options.get("columns") or {}
    if not isinstance(given, dict):
        raise InputError("bad_option", "reader option 'columns' must map canonical names to column names")
    unknown = sorted(set(given) - set(COLUMNS))
    if unknown:
        raise InputError("bad_option", f"unknown column name(s) in 'columns': {', '.join(unknown)}; "
                                       f"known: {', '.join(COLUMNS)}")
    return {c: str(given.get(c, c)) for c in COLUMNS}


def parse_timestamp(value: str, tz: str) -> tuple[datetime | None, bool]:
    """(naive UTC time, date_only) of a cell; raises ValueError if it is not a time.

    Accepts ISO 8601 (an offset or ``Z`` is honoured; without one the time is the blog's
    local time), a bare date (date only), epoch seconds or milliseconds, and UK
    ``dd/mm/yyyy[ hh:mm[:ss]]``. An empty cell is no time.
    """
    value = value.strip()
    if not value:
        return None, False
    if _EPOCH.match(value):
        secs = int(value) / (1000 if len(value) == 13 else 1)
        return datetime.fromtimestamp(secs, tz=timezone.utc).replace(tzinfo=None), False
    ts = None
    try:
        ts = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        for fmt in _UK_FORMATS:
            try:
                ts = datetime.strptime(value, fmt)
                break
            except ValueError:
                continue
    if ts is None:
        raise InputError("bad_timestamp", f"unreadable timestamp {value!r}")
    if len(value) == 10:  # a bare date: known only to the day
        return ts, True
    if ts.tzinfo is not None:
        return ts.astimezone(timezone.utc).replace(tzinfo=None), False
    return local_to_utc(ts, tz), False


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value).strip()


# ---------------------------------------------------------------- front ends


def _delimiter(head: str) -> str:
    """The one of , TAB ; | that splits the header line into the most fields."""
    first = head.split("\n", 1)[0]
    return max(DELIMITERS, key=lambda d: (len(next(csv.reader([first], delimiter=d))), d == ","))


def _records(text: str, delim: str, limit: int | None = None) -> list[list[str]]:
    return list(islice(csv.reader(io.StringIO(text, newline=""), delimiter=delim), limit))


def csv_rows(text: str, mapping: dict[str, str]) -> tuple[list[Row], list[Reject]]:
    """Rows of a CSV/TSV table; rows of the wrong width are rejected."""
    text = text.lstrip("\ufeff")
    delim = _delimiter(text[:65536])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise InputError("empty", "CSV file has no header") from None
    missing = [f"{c} (as {mapping[c]!r})" if mapping[c] != c else c for c in REQUIRED if mapping[c] not in header]
    if missing:
        raise InputError("missing_columns", f"table lacks column(s) {', '.join(missing)}; "
                                            f"its columns are: {', '.join(header)}")
    index = {c: header.index(mapping[c]) for c in COLUMNS if mapping[c] in header}
    rows: list[Row] = []
    rejects: list[Reject] = []
    try:
        for n, record in enumerate(reader, 2):
            if not any(cell.strip() for cell in record):
                continue
            raw = _csv_line(record, delim)
            if len(record) != len(header):
                rejects.append(Reject(f"row {n}", f"row has {len(record)} fields, the header has {len(header)}",
                                      raw, "bad_row"))
                continue
            rows.append(Row(f"row {n}", {c: record[i].strip() for c, i in index.items()}, raw))
    except csv.Error as exc:
        raise InputError("malformed_csv", f"CSV cannot be read past row {reader.line_num}: {exc}") from None
    return rows, rejects


def _csv_line(record: list[str], delim: str) -> str:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delim).writerow(record)
    return buf.getvalue().rstrip("\r\n")


def jsonl_rows(text: str, mapping: dict[str, str]) -> tuple[list[Row], list[Reject]]:
    """Rows of a JSON Lines file; lines that are not JSON objects are rejected."""
    inverse = {mapping[c]: c for c in COLUMNS}
    rows: list[Row] = []
    rejects: list[Reject] = []
    for n, line in enumerate(text.lstrip("\ufeff").splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            rejects.append(Reject(f"line {n}", f"malformed JSON ({exc.msg} at column {exc.colno})", line, "bad_row"))
            continue
        if not isinstance(obj, dict):
            rejects.append(Reject(f"line {n}", "line is JSON but not an object", line, "bad_row"))
            continue
        rows.append(Row(f"line {n}", {inverse[k]: _cell(v) for k, v in obj.items() if k in inverse}, line))
    if not rows and rejects:
        raise InputError("malformed_json", f"no line is a JSON object (first: {rejects[0].locator}: "
                                           f"{rejects[0].reason})")
    return rows, rejects


# ---------------------------------------------------------------- rows -> documents


def build(rows: list[Row], rejects: list[Reject], tz: str) -> ParseResult:
    """Posts and comments from validated rows; each bad row becomes a Reject."""
    good: dict[str, tuple[Row, datetime | None, bool]] = {}
    for row in rows:
        v = row.values
        rid = v.get("id", "")
        problem = ""
        ts, date_only = None, False
        if not rid:
            problem = "no id"
        elif rid in good:
            problem = f"duplicate id {rid!r} (first at {good[rid][0].locator})"
        elif not v.get("body"):
            problem = "empty body"
        else:
            try:
                ts, date_only = parse_timestamp(v.get("timestamp", ""), tz)
            except InputError as exc:
                problem = str(exc)
        if problem:
            rejects.append(Reject(row.locator, problem, row.raw, "bad_row"))
            continue
        good[rid] = (row, ts, date_only)

    def post_of(rid: str) -> str:
        p = good[rid][0].values.get("post", "")
        return rid if not p or p == rid else p

    posts = {rid for rid in good if post_of(rid) == rid}
    in_file = {row.values.get("id", "") for row in rows}  # every row id, kept or not
    outside: dict[str, str] = {}  # comments naming a post or parent of another input
    parents: dict[str, str | None] = {}
    for rid in good:
        if rid in posts:
            continue
        row = good[rid][0]
        post, parent = post_of(rid), row.values.get("parent", "")
        if post not in posts and post in in_file:
            rejects.append(Reject(row.locator, f"unknown post {post!r} (its row in this file is not a kept post)",
                                  row.raw, "bad_row"))
            continue
        parents[rid] = None if not parent or parent == post else parent
        if post not in posts or (parents[rid] and parents[rid] not in in_file):
            outside[rid] = row.raw
    # a reply needs a kept parent comment of the same post (or one outside the file,
    # placed later); drop rows until that holds
    changed = True
    while changed:
        changed = False
        for rid, parent in list(parents.items()):
            if parent is not None and parent in in_file and (
                    parent not in parents or post_of(parent) != post_of(rid) or _in_cycle(rid, parents)):
                row = good[rid][0]
                reason = f"reply cycle through {parent!r}" if parent in parents and _in_cycle(rid, parents) \
                    else f"unknown parent {parent!r} (no kept comment of post {post_of(rid)!r} has that id)"
                rejects.append(Reject(row.locator, reason, row.raw, "bad_row"))
                del parents[rid]
                outside.pop(rid, None)
                changed = True
    # a reply below such a row goes with it if it cannot be placed: keep its raw row too
    changed = True
    while changed:
        changed = False
        for rid, parent in parents.items():
            if rid not in outside and parent in outside:
                outside[rid] = good[rid][0].raw
                changed = True

    docs: list[RawDoc] = []
    for rid, (row, ts, date_only) in good.items():
        if rid not in posts and rid not in parents:
            continue
        v = row.values
        is_post = rid in posts
        docs.append(RawDoc(
            local_id=rid, kind="post" if is_post else "comment", post_local=post_of(rid), text=v["body"],
            parent_local=None if is_post else parents[rid], author=v.get("author") or None,
            published_at=ts, date_only=date_only, title=(v.get("title") or None) if is_post else None,
            url=v.get("url") or None, blogger_id=rid if BLOGGER_ID.match(rid) else None, locator=row.locator))
    rejects.sort(key=lambda r: int(r.locator.split()[-1]))
    return ParseResult(format=FORMAT, docs=number_positions(docs), rejects=rejects, table_ids=True,
                       outside_rows=outside)


def _in_cycle(rid: str, parents: dict[str, str | None]) -> bool:
    seen = {rid}
    cur = parents.get(rid)
    while cur is not None:
        if cur in seen:
            return True
        seen.add(cur)
        cur = parents.get(cur)
    return False


# ---------------------------------------------------------------- the reader


def _json_or_none(line: str) -> object:
    try:
        return json.loads(line)
    except json.JSONDecodeError:
        return None


def _is_jsonl(text: str) -> bool:
    return text.lstrip("\ufeff \t\r\n").startswith("{")


def parse(text: str, ctx: ReadContext) -> ParseResult:
    """Parse a CSV/TSV or JSON Lines table (see module doc)."""
    mapping = column_mapping(ctx.options)
    rows, rejects = (jsonl_rows if _is_jsonl(text) else csv_rows)(text, mapping)
    if not rows and not rejects:
        raise InputError("empty", "table has no rows")
    return build(rows, rejects, ctx.timezone)


def sniff(head: str, name: str) -> float:
    """JSON objects one per line, or a delimited header with rows of the same width.

    0.9 when the canonical ``id`` and ``body`` columns are present, else 0.6 (a mapped
    table: name the format, or rely on nothing else claiming it).
    """
    s = head.lstrip("\ufeff \t\r\n")
    lines = [ln for ln in s.splitlines() if ln.strip()][:20]
    if not lines:
        return 0.0
    if s.startswith("{"):
        considered = lines[:-1] if len(lines) > 2 else lines  # the last line may be cut by the head sample
        objs = [obj for obj in map(_json_or_none, considered) if isinstance(obj, dict)]
        if len(objs) < 2 or len(objs) < 0.5 * len(considered):
            return 0.0
        return 0.9 if set(REQUIRED) <= set(objs[0]) else 0.6
    delim = _delimiter(s)
    try:
        records = _records(s, delim, 21)
    except csv.Error:
        return 0.0
    if len(records) > 2:
        records = records[:-1]  # the last record may be cut by the head sample
    header = [h.strip() for h in records[0]]
    rows = records[1:]
    if len(header) < 2 or not rows or not all(header) or len(set(header)) != len(header) \
            or any(len(h) > 64 for h in header) or sum(len(r) == len(header) for r in rows) < 0.5 * len(rows):
        return 0.0
    return 0.9 if set(REQUIRED) <= set(header) else 0.6


READER = Reader(
    name=FORMAT,
    sniff=sniff,
    parse=parse,
    description="CSV/TSV or JSON Lines table of posts and comments (column mapping via options)",
)
