"""Bad input: a clear one-line error, a quarantine row with the raw bytes, and the data
already stored left intact. Ingestion of a folder goes on past a bad file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.api import Corpus
from pipeline.config import load_config
from pipeline.store import connect

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "text_dump"
GOOD = FIXTURES / "numbered_replies.txt"


def _snapshot(db):
    conn = connect(db)
    try:
        return conn.execute(
            "SELECT doc_id, kind, post_id, parent_id, position, text FROM document_rows ORDER BY doc_id"
        ).fetchall()
    finally:
        conn.close()


def _quarantine(db):
    conn = connect(db)
    try:
        return conn.execute("SELECT source, locator, code, reason, raw, raw_truncated FROM quarantine").fetchall()
    finally:
        conn.close()


@pytest.fixture
def stocked_db(tmp_path):
    """A database that already holds one good post with its comments."""
    db = str(tmp_path / "db.duckdb")
    Corpus(db).ingest([str(GOOD)])
    return db


BLOGGER = FIXTURES.parent / "blogger"
_THREADED = (BLOGGER / "threaded_page.html").read_bytes()
_EXPORT = (BLOGGER / "legacy_export.xml").read_bytes()
BILLION_LAUGHS = (b'<?xml version="1.0"?>\n<!DOCTYPE feed [<!ENTITY a "aaaaaaaaaa">'
                  b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>\n'
                  b'<feed xmlns="http://www.w3.org/2005/Atom"><title>&c;</title></feed>')
XXE = (b'<?xml version="1.0"?>\n<!DOCTYPE feed [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
       b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>&x;</title></entry></feed>')
EXTERNAL_DTD = (b'<?xml version="1.0"?>\n<!DOCTYPE feed SYSTEM "http://example.invalid/feed.dtd">\n'
                b'<feed xmlns="http://www.w3.org/2005/Atom"></feed>')

BAD_INPUTS = {
    "truncated.html": (_THREADED[: _THREADED.index(b"post-body") + 40], "truncated_html"),
    "laughs.xml": (BILLION_LAUGHS, "xml_entities"),
    "xxe.atom": (XXE, "xml_entities"),
    "external_dtd.xml": (EXTERNAL_DTD, "xml_entities"),
    "malformed.xml": (_EXPORT[: _EXPORT.index(b"<entry>") + 40], "malformed_xml"),
    "plain_page.html": (b"<html><head><title>x</title></head><body><p>Just a page.</p></body></html>",
                        "no_blogger_content"),
    "rss.xml": (b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title></channel></rss>',
                "unknown_format"),
    "people.csv": (b"name,email\nann,a@example.invalid\nbob,b@example.invalid\n", "missing_columns"),
    "header_only.txt": (b"Monday, 1 July 2019\n\nA Title\n\n", "empty_document"),
    "empty.txt": (b"", "empty"),
    "blank.txt": (b"   \n\n\t\n", "empty"),
    "binary.txt": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "binary"),
    "undecodable.txt": (bytes(range(128, 256)) * 40, "undecodable"),
    "notes.txt": (b"Shopping list\neggs\nmilk\n", "unknown_format"),
    "data.bin.json": (b'{"some": "json", "that": ["is not", "a blog feed"]}', "unknown_format"),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_file_is_quarantined_and_nothing_else_changes(stocked_db, tmp_path, name):
    data, code = BAD_INPUTS[name]
    bad = tmp_path / "in" / name
    bad.parent.mkdir()
    bad.write_bytes(data)
    before = _snapshot(stocked_db)
    summary = Corpus(stocked_db).ingest([str(bad)])
    assert summary["outcomes"] == {f"quarantined:{code}": 1}
    (msg,) = summary["errors"]
    assert "\n" not in msg and name in msg
    rows = _quarantine(stocked_db)
    assert [(Path(r[0]).name, r[1], r[2]) for r in rows] == [(name, "", code)]
    assert rows[0][3] and "\n" not in rows[0][3]
    assert bytes(rows[0][4]) == data  # the raw bytes are kept
    assert _snapshot(stocked_db) == before
    # re-ingesting the same bad file adds nothing
    Corpus(stocked_db).ingest([str(bad)])
    assert len(_quarantine(stocked_db)) == 1


def test_mojibake_is_repaired_not_quarantined(tmp_db):
    summary = Corpus(tmp_db).ingest([str(FIXTURES / "mojibake_crlf.txt")])
    assert summary["outcomes"]["ingested"] == 1 and not _quarantine(tmp_db)
    conn = connect(tmp_db)
    text, warnings = conn.execute("SELECT d.text, s.warnings FROM documents d JOIN sources s USING (source_id)").fetchone()
    assert text == "It’s the same old story – again."
    assert any("mojibake" in w for w in warnings)


def test_too_large_for_a_non_streaming_reader_is_quarantined_with_capped_raw(stocked_db, tmp_path):
    big = tmp_path / "big.txt"
    big.write_text(GOOD.read_text() + ("  4. filler comment\n\n    ReplyDelete\n" * 400))
    before = _snapshot(stocked_db)
    cfg = load_config(overrides=["ingest.max_file_mb=0.001", "ingest.quarantine_raw_max_bytes=512"])
    summary = Corpus(stocked_db, cfg).ingest([str(big)])
    assert summary["outcomes"] == {"quarantined:too_large": 1}
    (row,) = _quarantine(stocked_db)
    assert row[2] == "too_large" and "max_file_mb" in row[3]
    assert len(bytes(row[4])) == 512 and row[5] is True
    assert _snapshot(stocked_db) == before


def test_folder_goes_on_past_bad_files_and_counts_outcomes(stocked_db, tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    for name, (data, _) in BAD_INPUTS.items():
        (folder / name).write_bytes(data)
    shutil.copy(FIXTURES / "anthology.txt", folder / "good.txt")
    shutil.copy(GOOD, folder / "already.txt")  # same bytes as stored: unchanged
    shutil.copy(FIXTURES / "furniture.txt", folder / "partial.txt")
    summary = Corpus(stocked_db).ingest([str(folder)])
    oc = summary["outcomes"]
    assert oc["ingested"] == 2 and oc["unchanged"] == 1 and oc["partial"] == 1
    assert oc["quarantined:empty"] == 2 and oc["quarantined:unknown_format"] == 3
    assert oc["quarantined:no_blogger_content"] == 1 and oc["quarantined:missing_columns"] == 1
    assert oc["quarantined:empty_document"] == 1
    assert oc["quarantined:binary"] == 1 and oc["quarantined:undecodable"] == 1
    assert oc["quarantined:xml_entities"] == 3 and oc["quarantined:truncated_html"] == 1
    # the fragments of the partial file are quarantined with their locators, and its post kept
    locs = {(Path(r[0]).name, r[1]) for r in _quarantine(stocked_db) if r[2] == "unplaced_fragment"}
    assert locs == {("partial.txt", "lines 1-2"), ("partial.txt", "line 16")}
    conn = connect(stocked_db)
    assert conn.execute("SELECT count(*) FROM documents WHERE title = 'Short Post'").fetchone()[0] == 1


def test_failure_half_way_leaves_the_database_as_it_was(stocked_db, tmp_path, monkeypatch):
    folder = tmp_path / "two"
    folder.mkdir()
    shutil.copy(FIXTURES / "anthology.txt", folder / "a.txt")
    shutil.copy(FIXTURES / "repost.txt", folder / "b.txt")
    before = _snapshot(stocked_db)

    import pipeline.jobs.ingest as job

    real = job.write_documents

    def failing(*args, **kwargs):  # the writes happen, then the job dies
        real(*args, **kwargs)
        raise RuntimeError("disk full (simulated)")

    monkeypatch.setattr(job, "write_documents", failing)
    with pytest.raises(RuntimeError):
        Corpus(stocked_db).ingest([str(folder)])
    assert _snapshot(stocked_db) == before
    conn = connect(stocked_db)
    status, error = conn.execute("SELECT status, error FROM runs ORDER BY started_at DESC LIMIT 1").fetchone()
    conn.close()
    assert status == "failed" and "disk full" in error
    monkeypatch.setattr(job, "write_documents", real)
    summary = Corpus(stocked_db).ingest([str(folder)])  # the re-run works
    assert summary["outcomes"]["ingested"] == 2


def test_missing_path_is_a_clear_error(tmp_db):
    from pipeline.records import InputError

    with pytest.raises(InputError, match="does not exist"):
        Corpus(tmp_db).ingest(["/no/such/file.txt"])


JSONL = (b'{"cid": "1", "thread": "", "who": "Ed", "when": "2020-01-01T10:00:00Z", "msg": "A post."}\n'
         b'{"cid": "2", "thread": "1", "who": "Anon", "when": "2020-01-01T11:00:00Z", "msg": "A comment."}\n')
MAPPING = {"id": "cid", "post": "thread", "author": "who", "timestamp": "when", "body": "msg"}


def test_column_mapping_sidecar_is_read_and_not_ingested(tmp_db, tmp_path):
    import json

    folder = tmp_path / "imp"
    folder.mkdir()
    (folder / "x.jsonl").write_bytes(JSONL)
    (folder / "x.jsonl.columns.json").write_text(json.dumps(MAPPING))
    (folder / "README.md").write_text("notes about this folder")
    summary = Corpus(tmp_db).ingest([str(folder)])
    assert summary["files"] == 1 and summary["outcomes"] == {"ingested": 1}
    conn = connect(tmp_db)
    assert conn.execute("SELECT kind, author FROM documents ORDER BY position").fetchall() == [
        ("post", "Ed"), ("comment", "Anon")]


def test_a_broken_sidecar_quarantines_its_file(stocked_db, tmp_path):
    folder = tmp_path / "imp"
    folder.mkdir()
    (folder / "x.jsonl").write_bytes(JSONL)
    (folder / "x.jsonl.columns.json").write_text("{not json")
    before = _snapshot(stocked_db)
    summary = Corpus(stocked_db).ingest([str(folder)])
    assert summary["outcomes"] == {"quarantined:bad_option": 1}
    (row,) = _quarantine(stocked_db)
    assert row[2] == "bad_option" and "x.jsonl.columns.json" in row[3] and bytes(row[4]) == JSONL
    assert _snapshot(stocked_db) == before


def test_a_cut_off_export_keeps_complete_entries_and_quarantines_the_rest(stocked_db, tmp_path):
    cut = _EXPORT[: _EXPORT.rindex(b"<entry>") + 60]
    bad = tmp_path / "cut_export.xml"
    bad.write_bytes(cut)
    before = _snapshot(stocked_db)
    summary = Corpus(stocked_db).ingest([str(bad)])
    assert summary["outcomes"]["ingested"] == 1 and summary["outcomes"]["partial"] == 1
    rows = _quarantine(stocked_db)
    assert rows and all(r[1] for r in rows)  # fragment rows carry a locator
    after = _snapshot(stocked_db)
    assert set(before) <= set(after) and len(after) > len(before)
