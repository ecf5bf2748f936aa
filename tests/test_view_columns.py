"""The promise that public views only gain columns: every column documented in
docs/schema.md exists in its view on a freshly migrated database."""

from __future__ import annotations

import re
from pathlib import Path

from pipeline.store import connect

SCHEMA = Path(__file__).resolve().parent.parent / "docs" / "schema.md"


def documented_columns(text: str) -> dict[str, set[str]]:
    """``{view: {column, ...}}`` from the tables under each ``## view`` heading; a heading
    ``### view: columns added by ...`` adds to that view."""
    out: dict[str, set[str]] = {}
    current = None
    for line in text.splitlines():
        m = re.match(r"^#{2,3} `?([a-z_][a-z0-9_]*)`?(:.*)?\s*$", line)
        if m:
            current = m.group(1)
            continue
        if line.startswith("#"):
            current = None
            continue
        if current and line.startswith("|") and not re.match(r"^\|\s*-", line):
            first = line.split("|")[1]
            cols = re.findall(r"`([a-z_][a-z0-9_]*)`", first)
            if cols and first.strip() not in ("column",):
                out.setdefault(current, set()).update(cols)
    return out


def test_parser_reads_sections_and_added_columns():
    doc = ("## alpha\n| column | meaning |\n|---|---|\n| `a` | x |\n| `b`, `c` | y |\n"
           "## Other things\n| `zzz` | not a view |\n### alpha: columns added later\n| `d` | z |\n")
    assert documented_columns(doc) == {"alpha": {"a", "b", "c", "d"}}


def test_every_documented_column_exists(tmp_db):
    conn = connect(tmp_db)
    try:
        views = {r[0] for r in conn.execute(
            "SELECT view_name FROM duckdb_views() WHERE NOT internal AND schema_name = 'main'").fetchall()}
        missing = {}
        for view, cols in documented_columns(SCHEMA.read_text()).items():
            if view not in views:
                continue
            have = {r[0] for r in conn.execute(f'DESCRIBE "{view}"').fetchall()}
            if cols - have:
                missing[view] = sorted(cols - have)
        assert not missing, f"documented columns missing from their views: {missing}"
        assert len([v for v in documented_columns(SCHEMA.read_text()) if v in views]) >= 10
    finally:
        conn.close()
