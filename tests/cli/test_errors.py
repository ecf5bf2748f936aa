"""The CLI's error boundary: a UserError is one line and exit code 1; any other exception is
a bug and keeps its traceback, followed by a one-line hint to report it."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli.common import BUG_HINT
from pipeline.cli.main import main
from pipeline.store import queries

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "text_dump"


@pytest.fixture
def db(tmp_path):
    path = str(tmp_path / "errors.duckdb")
    res = CliRunner().invoke(main, ["ingest", str(FIXTURES / "anthology.txt"), "--db", path])
    assert res.exit_code == 0, res.output
    return path


def test_a_user_error_is_one_line_without_traceback(tmp_path):
    out = CliRunner().invoke(main, ["status", "--db", str(tmp_path / "none.duckdb")])
    assert out.exit_code == 1
    lines = out.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error:") and "no database" in lines[0]
    assert "Traceback" not in out.output and BUG_HINT not in out.output


@pytest.mark.parametrize("exc", [ValueError("internal: shapes do not match"), KeyError("no_such_column")])
def test_an_internal_bug_shows_its_traceback_and_the_hint(db, monkeypatch, exc):
    def broken(*args, **kwargs):
        raise exc

    monkeypatch.setattr(queries, "status", broken)
    out = CliRunner().invoke(main, ["status", "--db", db])
    assert out.exit_code == 1
    assert "Traceback (most recent call last)" in out.output
    assert type(exc).__name__ in out.output and "broken" in out.output
    assert out.output.strip().splitlines()[-1] == BUG_HINT


def test_a_user_error_raised_inside_a_stage_is_still_one_line(db, monkeypatch):
    from pipeline.config import ConfigError

    def refuses(*args, **kwargs):
        raise ConfigError("segment.source_min_overlap must be in (0, 1]: set it to a share above 0 and at most 1")

    monkeypatch.setattr(queries, "status", refuses)
    out = CliRunner().invoke(main, ["status", "--db", db])
    assert out.exit_code == 1
    assert out.output.strip().splitlines() == [
        "Error: segment.source_min_overlap must be in (0, 1]: set it to a share above 0 and at most 1"]
