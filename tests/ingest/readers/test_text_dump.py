"""Golden-file tests for the plain-text reader, one synthetic fixture per variant."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.readkit import read_bytes, read_input
from pipeline.ingest.readers.text_dump import parse_date_line, sniff, tidy
from tests.ingest.golden import check_golden

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "text_dump"
ALL = sorted(p.name for p in FIXTURES.glob("*.txt"))


@pytest.mark.parametrize("name", ALL)
def test_golden(name):
    out = read_input(FIXTURES / name)
    assert out.error is None, out.error
    assert out.format == "text_dump"
    check_golden(out.result, "text_dump", Path(name).stem)


def _docs(name):
    out = read_input(FIXTURES / name)
    return out.result, {d.local_id: d for d in out.result.docs}


def test_numbered_thread_structure():
    res, d = _docs("numbered_replies.txt")
    assert res.declared_comments == 5 and res.parsed_comments == 5
    assert d["post"].title == "Rota Chaos Again" and d["post"].published_at.isoformat() == "2019-07-01T00:00:00"
    assert d["post"].date_only
    assert [(x.local_id, x.parent_local) for x in res.docs[1:]] == [
        ("c1", None), ("c2", "c1"), ("c3", "c1"), ("c4", None), ("c5", None)]
    # furniture removed, line breaks kept, indentation gone
    assert d["c1"].text == "Same in our PDU. The SPO said it came from region.\nNobody at region has met us."
    assert "ReplyDelete" not in "".join(x.text for x in res.docs)


def test_glued_thread_follows_the_marker_rules():
    res, d = _docs("glued_signoff.txt")
    assert [(x.local_id, x.parent_local, x.text.split()[0]) for x in res.docs[1:]] == [
        ("c1", None, "They"), ("c2", None, "What"), ("c3", "c2", "It"), ("c4", "c2", "No"), ("c5", None, "Napo")]
    assert "boundary_signoff" in d["post"].flags and d["post"].text.endswith("Anon")


def test_glued_boundary_without_signoff_is_marked_as_a_guess():
    res, d = _docs("glued_guess.txt")
    assert "boundary_guess" in d["post"].flags and "boundary_guess" in d["c1"].flags
    assert any("guess" in w for w in res.warnings)


def test_declared_count_mismatch_is_kept_not_fatal():
    text = (FIXTURES / "numbered_replies.txt").read_text().replace("5 comments:", "7 comments:")
    out = read_bytes(text.encode(), "x.txt")
    assert out.error is None and out.result.declared_comments == 7 and out.result.parsed_comments == 5


def test_unplaceable_lines_become_rejects():
    res, _ = _docs("furniture.txt")
    assert {r.locator for r in res.rejects} == {"lines 1-2", "line 16"}
    assert all(r.reason for r in res.rejects)


def test_lost_marker_is_warned_and_numbered_lists_stay_text():
    res, d = _docs("missing_marker.txt")
    assert res.parsed_comments == 3
    assert "unclosed" in d["c1"].flags
    assert d["c3"].text.endswith("1. caseloads\n2. sickness")


def test_anthology_flag_and_encodings():
    _, d = _docs("anthology.txt")
    assert "anthology" in d["post"].flags
    _, d = _docs("mojibake_crlf.txt")
    assert d["post"].text == "It’s the same old story – again."
    _, d = _docs("cp1252.txt")
    assert d["post"].text == "It’s £5 a week – an insult."


@pytest.mark.parametrize("line,iso", [
    ("Wednesday 15 March 2023", "2023-03-15"), ("Monday, 1 July 2019", "2019-07-01"),
    ("1st July 2019", "2019-07-01"), ("Guest Blog 90", None), ("31 February 2020", None),
])
def test_date_lines(line, iso):
    got = parse_date_line(line)
    assert (got.date().isoformat() if got else None) == iso


def test_sniff_refuses_other_text():
    assert sniff("name,post,body\n1,2,3", "a.csv") == 0.0
    assert sniff("just some notes\nwith nothing of a blog page", "notes.txt") == 0.0
    assert sniff("<html>", "a.txt") == 0.0
    assert sniff("Monday, 1 July 2019\n\nTitle\n", "a") > 0.5


def test_tidy_collapses_blank_runs_and_strips_indent():
    assert tidy(["", "  a  ", "", "", "    b", ""]) == "a\n\nb"
