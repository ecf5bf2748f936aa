"""Bad paths never stop an ingest: each becomes a quarantine row with its reason, and the
good files beside it are ingested (issue 14). Inputs are synthetic."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.api import Corpus
from pipeline.cli.main import main
from pipeline.store import connect

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "text_dump"
GOOD = FIXTURES / "numbered_replies.txt"
OTHER = FIXTURES / "anthology.txt"


def _rows(db: str, sql: str) -> list[tuple]:
    conn = connect(db, read_only=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def _quarantine(db: str) -> dict[str, tuple[str, str]]:
    return {code: (source, reason) for source, code, reason in
            _rows(db, "SELECT source, code, reason FROM quarantine")}


def _good_ingested(db: str) -> None:
    sources = [r[0] for r in _rows(db, "SELECT path_or_url FROM sources")]
    assert any(s.endswith("good.txt") for s in sources), sources
    assert _rows(db, "SELECT count(*) FROM documents")[0][0] > 0


@pytest.fixture
def folder(tmp_path) -> Path:
    d = tmp_path / "in"
    d.mkdir()
    shutil.copyfile(GOOD, d / "good.txt")
    return d


def test_undecodable_file_name_is_stored_escaped_and_the_ingest_goes_on(folder, tmp_db):
    bad = os.fsencode(str(folder)) + b"/caf\xe9-\xff.txt"
    with open(bad, "wb") as fh:
        fh.write(OTHER.read_bytes())
    summary = Corpus(tmp_db).ingest([str(folder)])
    assert summary["outcomes"].get("ingested") == 2, summary
    _good_ingested(tmp_db)
    rows = _rows(tmp_db, "SELECT path_or_url, warnings FROM sources WHERE path_or_url LIKE '%caf%'")
    assert rows and rows[0][0].endswith("caf\\xe9-\\xff.txt")
    assert any("not valid UTF-8" in w for w in rows[0][1])
    out = CliRunner().invoke(main, ["status", "--db", tmp_db])
    assert out.exit_code == 0, out.output


def test_symlink_loop_is_quarantined_and_the_good_files_ingested(folder, tmp_db):
    (folder / "loop_a.txt").symlink_to(folder / "loop_b.txt")
    (folder / "loop_b.txt").symlink_to(folder / "loop_a.txt")
    (folder / "self").symlink_to(folder / "self")
    (folder / "gone.txt").symlink_to(folder / "nowhere.txt")
    summary = Corpus(tmp_db).ingest([str(folder)])
    assert summary["outcomes"].get("ingested") == 1, summary
    _good_ingested(tmp_db)
    codes = [r[0] for r in _rows(tmp_db, "SELECT code FROM quarantine ORDER BY source")]
    assert codes == ["dangling_link", "symlink_loop", "symlink_loop", "symlink_loop"]
    q = _quarantine(tmp_db)
    assert "nowhere.txt" in q["dangling_link"][1] and "loop" in q["symlink_loop"][1]


def test_links_outside_the_given_folders_are_not_followed_unless_asked(folder, tmp_path, tmp_db):
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.copyfile(OTHER, outside / "secret.txt")
    (folder / "out_file.txt").symlink_to(outside / "secret.txt")
    (folder / "out_dir").symlink_to(outside)
    (folder / "in_file.txt").symlink_to(folder / "good.txt")  # inside: read once, not twice
    summary = Corpus(tmp_db).ingest([str(folder)])
    assert summary["outcomes"] == {"ingested": 1, "quarantined:symlink_outside": 2}, summary
    assert "follow_symlinks" in _quarantine(tmp_db)["symlink_outside"][1]

    db2 = str(tmp_path / "follow.duckdb")
    out = CliRunner().invoke(main, ["ingest", str(folder), "--db", db2, "--follow-symlinks"])
    assert out.exit_code == 0, out.output
    assert len(_rows(db2, "SELECT * FROM sources")) == 2  # secret.txt once (by content)
    assert _rows(db2, "SELECT count(*) FROM quarantine")[0][0] == 0


def test_followed_link_loops_between_folders_end(folder, tmp_path, tmp_db):
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.copyfile(OTHER, outside / "other.txt")
    (outside / "back").symlink_to(folder)
    (folder / "there").symlink_to(outside)
    summary = Corpus(tmp_db, overrides=["ingest.follow_symlinks=true"]).ingest([str(folder)])
    assert summary["outcomes"].get("ingested") == 2, summary


def test_unreadable_file_is_quarantined(folder, tmp_db):
    # /proc/self/mem opens but fails on read (EIO), even for root
    summary = Corpus(tmp_db).ingest([str(folder), "/proc/self/mem"])
    assert summary["outcomes"].get("quarantined:unreadable") == 1, summary
    _good_ingested(tmp_db)
    assert "cannot read" in _quarantine(tmp_db)["unreadable"][1]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_file_without_read_permission_is_quarantined(folder, tmp_db):
    locked = folder / "locked.txt"
    shutil.copyfile(OTHER, locked)
    locked.chmod(0)
    try:
        summary = Corpus(tmp_db).ingest([str(folder)])
    finally:
        locked.chmod(0o644)
    assert summary["outcomes"].get("quarantined:unreadable") == 1, summary
    _good_ingested(tmp_db)


def test_a_pipe_in_a_folder_is_not_opened(folder, tmp_db):
    os.mkfifo(folder / "pipe.txt")
    summary = Corpus(tmp_db).ingest([str(folder)])
    assert summary["outcomes"].get("quarantined:not_a_file") == 1, summary
    _good_ingested(tmp_db)
