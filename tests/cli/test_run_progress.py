"""`run` reports each stage's progress: plain lines when not on a terminal, and the flow
forwards every stage's reports to the caller."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.api import Corpus
from pipeline.cli.main import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "text_dump"
STAGES = ("ingest", "clean", "dedupe", "segment", "index")
LINE = re.compile(r"^(\w+): (?:(\d+)/(\d+) \((\d+)%\)|nothing to do), elapsed \d+:\d\d:\d\d$")

pytestmark = pytest.mark.slow


def test_run_writes_progress_lines_when_not_a_terminal(tmp_db):
    args = ["run", str(FIXTURES), "--db", tmp_db]
    for s in STAGES:
        args += ["--stage", s]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    lines = [ln for ln in result.stderr.splitlines() if LINE.match(ln)]
    assert [ln for ln in result.stderr.splitlines() if ln.strip() and not LINE.match(ln)] == []
    seen = [LINE.match(ln).group(1) for ln in lines]
    assert list(dict.fromkeys(seen)) == list(STAGES)  # every stage, in run order
    for stage in STAGES:
        mine = [LINE.match(ln) for ln in lines if ln.startswith(stage + ":")]
        first, last = mine[0], mine[-1]
        assert first.group(2) == "0"
        assert last.group(2) == last.group(3) and last.group(4) == "100"  # the stage finished
    assert "ingest: 9/9 (100%)" in result.stderr and "clean: 28/28 (100%)" in result.stderr
    assert not any(LINE.match(ln) for ln in result.stdout.splitlines()) and result.stdout.startswith("run ")


def test_the_flow_forwards_every_stage_report(tmp_db):
    reports: list[tuple[str, int, int]] = []
    summary = Corpus(tmp_db).run([str(FIXTURES)], stages=list(STAGES),
                                 progress=lambda label, done, total: reports.append((label, done, total)))
    assert list(summary["stages"]) == list(STAGES)
    assert list(dict.fromkeys(r[0] for r in reports)) == list(STAGES)
    assert ("index", 28, 28) in reports and ("ingest", 9, 9) in reports
