"""Every segment says why it was cut: ``reason`` (the rule or the classifier features
that decided it, in words) and ``score`` (the paragraph classifier's probability that
the text is someone else's, where the classifier ran). The ``segments`` view gains both
columns at its end."""

import re

VERSION = 12
NAME = "segment_reasons"

_VIEW = """
CREATE OR REPLACE VIEW segments AS
SELECT g.doc_id, g.seg_no, g.start, g."end", g.kind, g.source_doc_id, g.signal, g.author,
       substr(c.clean_text, g.start + 1, g."end" - g.start) AS text, g.reason, g.score
FROM doc_segments g JOIN clean_docs c ON c.doc_id = g.doc_id
"""


def up(conn) -> None:
    conn.execute("ALTER TABLE doc_segments ADD COLUMN reason VARCHAR")
    conn.execute("ALTER TABLE doc_segments ADD COLUMN score DOUBLE")
    # Keep whatever columns another migration added to the view: append ours to its
    # current definition when it has the known shape, else write the view whole.
    row = conn.execute("SELECT sql FROM duckdb_views() WHERE view_name = 'segments' AND NOT internal").fetchone()
    sql = row[0] if row else ""
    parts = re.split(r"(\sFROM doc_segments (?:AS )?g\b)", sql)
    if len(parts) == 3 and "g.reason" not in sql and "SELECT" in parts[0].upper():
        head, marker, tail = parts
        body = head[head.upper().index("SELECT"):]
        conn.execute(f"CREATE OR REPLACE VIEW segments AS {body}, g.reason, g.score{marker}{tail.rstrip().rstrip(';')}")
    else:
        conn.execute(_VIEW)
