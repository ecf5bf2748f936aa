"""Checks shared by the quote tests on a whole database: holes, and text of others."""

from __future__ import annotations

from pipeline.quotes import quote_holes, segment_holes
from pipeline.quotes.sentences import analyse
from pipeline.store import connect

MISSING_WORDS = ("nan", "NaT", "None")


def stored(db: str) -> list[dict]:
    """Every stored quote with its text, own spans and other (quote/pasted) spans."""
    conn = connect(db, read_only=True)
    try:
        rows = conn.execute(
            """SELECT q.doc_id, q.quote, q.pieces, c.clean_text,
                      list([s.start, s."end"] ORDER BY s.start) FILTER (WHERE s.kind = 'own') AS own,
                      list([s.start, s."end"] ORDER BY s.start) FILTER (WHERE s.kind <> 'own') AS other
               FROM quote_docs q JOIN clean_docs c USING (doc_id)
               LEFT JOIN doc_segments s USING (doc_id)
               GROUP BY ALL ORDER BY q.doc_id""").fetchall()
    finally:
        conn.close()
    return [{"doc_id": r[0], "quote": r[1], "pieces": [(p["start"], p["end"]) for p in r[2]], "text": r[3],
             "own": [tuple(x) for x in (r[4] or [])], "other": [tuple(x) for x in (r[5] or [])]} for r in rows]


def hole_report(db: str) -> dict:
    """Documents whose quote has a hole, today's (``new``) and the old own-text quote's
    (``old``: own segments joined with a blank), by sentence spans from spaCy."""
    docs = stored(db)
    analyses = analyse([d["text"] for d in docs])
    new, old, overlap = {}, set(), []
    for d, a in zip(docs, analyses):
        if d["quote"] is not None:
            h = quote_holes(d["text"], d["pieces"], d["quote"], a.sentences)
            if h:
                new[d["doc_id"]] = h
            for s, e in d["other"]:
                if any(ps < e and s < pe for ps, pe in d["pieces"]):
                    overlap.append(d["doc_id"])
        if d["own"] and segment_holes(d["text"], d["own"], a.sentences):
            old.add(d["doc_id"])
    return {"new": new, "old": old, "overlap": overlap, "docs": docs}


def _bad(value) -> bool:
    if isinstance(value, float):
        return value != value
    return isinstance(value, str) and value.strip() in MISSING_WORDS


def assert_no_missing_values(fmt: str, out: str) -> None:
    """No field printed as nan, NaT or None (the words may occur inside a quote's text:
    "None of us were asked")."""
    import csv
    import io
    import json
    import re

    if fmt == "csv":
        bad = [(i, c) for i, row in enumerate(csv.reader(io.StringIO(out))) for c in row if _bad(c)]
    elif fmt == "json":
        def walk(v):
            if isinstance(v, dict):
                return [x for val in v.values() for x in walk(val)]
            if isinstance(v, list):
                return [x for val in v for x in walk(val)]
            return [v] if _bad(v) else []
        bad = walk(json.loads(out))
    elif fmt == "table":
        bad = re.findall(r"│\s*(?:nan|NaT|None)\s*│", out)
    else:  # md / docx text: the source and context lines, field by field
        bad = []
        for line in out.splitlines():
            line = line.strip("*")
            if line.startswith("— "):
                fields = re.split(r", (?![^“]*”)", line[2:].split(" (")[0])
                bad += [f for f in fields if _bad(f.removeprefix("on “").rstrip("”"))]
                bad += [f for f in re.findall(r"\(([^()]*)\)$", line) if any(_bad(x) for x in
                                                                                re.split(r"[ ,]+", f))]
            elif line.startswith("In reply to "):
                who = line[len("In reply to "):].split(":")[0]
                bad += [w for w in re.split(r" \(|\)", who) if _bad(w)]
        bad += re.findall(r"\bNaT\b", out)
    assert not bad, f"missing values printed as words in {fmt}: {bad[:5]}"
