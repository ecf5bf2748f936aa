"""Torture run: hostile inputs and statements, built here (all synthetic), each tried
against a database already holding good data. Prints a table: input, outcome, reason,
and whether the stored data was unchanged (documents and sources as before, byte-for-byte
database file for `sql`). Run: ``python -m benchmarks.torture`` (about a minute)."""

from __future__ import annotations

import codecs
import hashlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

from benchmarks.hostile import deep_page, deep_thread, text_copy
from pipeline.api import Corpus
from pipeline.errors import UserError
from pipeline.store import connect

REPO = Path(__file__).resolve().parent.parent
GOOD = REPO / "tests" / "fixtures" / "text_dump" / "numbered_replies.txt"
STOCK = REPO / "tests" / "fixtures" / "text_dump"
TEXT = GOOD.read_text(encoding="utf-8")


def _files(tmp: Path) -> list[tuple[str, object]]:
    """(label, builder) pairs; a builder makes the input under ``tmp`` and returns its path."""
    def write(name: str, data: bytes):
        def build(d: Path) -> str:
            p = d / name
            p.write_bytes(data)
            return str(p)
        return build

    def link(name: str, target: str | None, loop: bool = False):
        def build(d: Path) -> str:
            p = d / name
            if loop:
                os.symlink(d / (name + ".b"), p)
                os.symlink(p, d / (name + ".b"))
            else:
                os.symlink(target, p)
            return str(d)
        return build

    def bad_name(d: Path) -> str:
        with open(os.fsencode(str(d)) + b"/caf\xe9\xff.txt", "wb") as fh:
            fh.write(TEXT.replace("Rota", "Renamed rota").encode())
        return str(d)

    def fifo(d: Path) -> str:
        os.mkfifo(d / "pipe.txt")
        return str(d)

    return [
        ("empty file", write("empty.txt", b"")),
        ("whitespace only", write("blank.txt", b"  \n\n\t\n")),
        ("binary", write("blob.txt", bytes(range(256)) * 40)),
        ("undecodable bytes", write("bad.txt", b"\x81\x8d\x8f\x90\x9d" * 400)),
        ("UTF-8 BOM", write("bom8.txt", codecs.BOM_UTF8 + TEXT.replace("Rota", "Bom8 rota").encode())),
        ("UTF-16 LE BOM", write("u16le.txt", codecs.BOM_UTF16_LE + TEXT.replace("Rota", "U16 rota").encode("utf-16-le"))),
        ("UTF-16 BE BOM", write("u16be.txt", codecs.BOM_UTF16_BE + TEXT.replace("Rota", "U16be rota").encode("utf-16-be"))),
        ("UTF-16 LE, no BOM", write("u16n.txt", TEXT.replace("Rota", "U16n rota").encode("utf-16-le"))),
        ("UTF-32 BOM", write("u32.txt", codecs.BOM_UTF32_LE + TEXT.replace("Rota", "U32 rota").encode("utf-32-le"))),
        ("unknown format", write("notes.txt", b"just some words\nwith no blog structure\n")),
        ("truncated HTML", write("cut.html", (REPO / "tests/fixtures/blogger/threaded_page.html").read_bytes()[:3000])),
        ("billion laughs", write("laughs.xml", b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa">'
                                 b'<!ENTITY b "&a;&a;&a;&a;">]><feed>&b;</feed>')),
        ("XXE", write("xxe.xml", b'<?xml version="1.0"?><!DOCTYPE f [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                      b'<feed xmlns="http://www.w3.org/2005/Atom">&x;</feed>')),
        ("non-UTF-8 file name", bad_name),
        ("symlink loop", link("loop", None, loop=True)),
        ("dangling symlink", link("gone.txt", "/nonexistent/nowhere.txt")),
        ("symlink outside the folder", link("passwd.txt", "/etc/passwd")),
        ("named pipe", fifo),
        ("reply chain 3,000 deep", write("deep.html", deep_thread(3000))),
        ("page with 3,000 nested blocks", write("nested.html", deep_page(3000))),
        ("text copy 5 MB", write("big.txt", text_copy(5 << 20))),
    ]


STATEMENTS = [
    "COPY (SELECT 'x') TO '{db}' (FORMAT csv)", "COPY documents TO '{tmp}/out.csv'", "EXPORT DATABASE '{tmp}/dump'",
    "SET threads = 1", "PRAGMA threads = 1", "CALL pragma_version()", "CHECKPOINT", "VACUUM", "INSTALL httpfs",
    "LOAD httpfs", "ATTACH ':memory:' AS m", "select 1; select 2", "DELETE FROM documents",
    "DROP VIEW documents", "SELECT * FROM read_csv('/etc/passwd')", "SELECT count(*) FROM documents",
    "WITH k AS (SELECT kind FROM documents) SELECT kind, count(*) FROM k GROUP BY kind",
]


def _snapshot(db: str) -> list[tuple]:
    conn = connect(db, read_only=True)
    try:
        return conn.execute("SELECT doc_id, text FROM document_rows ORDER BY doc_id").fetchall() + \
            conn.execute("SELECT sha256, path_or_url FROM source_files ORDER BY sha256").fetchall()
    finally:
        conn.close()


def _digest(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def main(argv: list[str] | None = None) -> list[tuple]:
    rows: list[tuple] = []
    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        stocked = tmp / "stocked.duckdb"
        Corpus(str(stocked)).ingest([str(STOCK)])
        for i, (label, build) in enumerate(_files(tmp)):
            case = tmp / f"case{i}"
            case.mkdir()
            db = str(tmp / f"case{i}.duckdb")
            shutil.copyfile(stocked, db)
            before = _snapshot(db)
            try:
                summary = Corpus(db).ingest([build(case)])
                outcome = ", ".join(f"{k} {v}" for k, v in summary["outcomes"].items()) or "nothing"
                reason = "; ".join(e.split(": ", 1)[-1] for e in summary["errors"])[:70] or "-"
            except UserError as exc:
                outcome, reason = "refused", exc.one_line()[:70]
            except Exception as exc:  # a crash is a finding: show it
                outcome, reason = "CRASH", f"{type(exc).__name__}: {str(exc).splitlines()[0][:60]}"
            after = _snapshot(db)
            kept = set(before) <= set(after)  # nothing stored before was lost or changed
            rows.append((label, outcome, reason, "yes" if kept else "NO"))
        for stmt in STATEMENTS:
            db = str(tmp / "sql.duckdb")
            shutil.copyfile(stocked, db)
            before = _digest(db)
            try:
                cols, result = Corpus(db).sql(stmt.format(db=db, tmp=tmp))
                outcome, reason = "ran", f"{len(result)} row(s)"
            except UserError as exc:
                outcome, reason = "refused", exc.one_line()[:70]
            except Exception as exc:
                outcome, reason = "CRASH", f"{type(exc).__name__}: {str(exc).splitlines()[0][:60]}"
            unchanged = _digest(db) == before and not (tmp / "out.csv").exists() and not (tmp / "dump").exists()
            rows.append((f"sql: {stmt.format(db='<db>', tmp='<tmp>')[:45]}", outcome, reason, "yes" if unchanged else "NO"))
    width = max(len(r[0]) for r in rows)
    print(f"{'input':<{width}}  {'outcome':<34}  {'unchanged':<9}  reason")
    for label, outcome, reason, kept in rows:
        print(f"{label:<{width}}  {outcome[:34]:<34}  {kept:<9}  {reason}")
    return rows


if __name__ == "__main__":
    rows = main(sys.argv[1:])
    sys.exit(1 if any(r[1] == "CRASH" or r[3] == "NO" for r in rows) else 0)
