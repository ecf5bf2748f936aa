"""Large text copies are streamed (issue 14, item 4): read line by line in two passes,
their documents written in batches inside the ingest's one transaction, so memory does
not grow with the file. The documents, ids, warnings and rejects equal a whole read.
All inputs are synthetic (invented here or in tests/fixtures/text_dump)."""

from __future__ import annotations

import dataclasses
import tracemalloc
from pathlib import Path

import pytest

from benchmarks.hostile import text_copy
from pipeline.api import Corpus
from pipeline.ingest import assign_ids
from tests.readkit import read_input
from pipeline.ingest.ids import StreamIds
from pipeline.ingest.reader import Reader
from pipeline.ingest.readers.text_dump import sniff, stream_text_dump
from pipeline.records import InputError, ParseResult
from pipeline.store import connect
from tests.e2e.test_crash_resume import _views

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "text_dump"

# Invented variants a line-by-line read must get exactly right.
_NUMBERED = ("Monday, 1 July 2019\n\nAn invented title\n\nThe post body.\nAnon\n\n3 comments:\n\n"
             "  1. First comment.\n\n    ReplyDelete\n    Replies\n    1. A reply.\n\n      Delete\n"
             "  2. Same words.\n\n    ReplyDelete\n  3. Same words.\n\n    ReplyDelete\n  Reply\n")
VARIANTS = {
    "crlf.txt": _NUMBERED.replace("\n", "\r\n").encode(),
    "bom.txt": b"\xef\xbb\xbf" + _NUMBERED.encode(),
    "no_final_newline.txt": _NUMBERED.rstrip("\n").encode(),
    "line_separator.txt": _NUMBERED.replace("The post body.", "The post\u2028body.").encode(),
    "mojibake.txt": _NUMBERED.replace("First comment.", "It\u00e2\u20ac\u2122s mojibake.").encode(),
    "replacement_char.txt": _NUMBERED.replace("A reply.", "Lost \ufffd byte.").encode(),
    "empty_body.txt": "3 comments:\n\n  1. Only comments here.\n\n    ReplyDelete\n".encode(),
    "glued.txt": ("An invented post without header.\nIt goes on.\n\nAnon\nWhat a first comment\n"
                  "ReplyDeleteA second one\nDeleteA reply\nReplyDelete\nA last unclosed one\n").encode(),
    "no_thread.txt": "Tuesday, 2 July 2019\n\nJust a post\n\nNothing else.\n".encode(),
    "glued_after_count.txt": ("Monday, 1 July 2019\nT\n\nBody.\n2 comments:\nOne\nReplyDeleteTwo\n"
                              "DeleteThree\n").encode(),
}


def _streamed(path: Path):
    out = read_input(path, stream_min_bytes=0)
    assert out.error is None and out.stream is not None, out.error
    docs = list(out.stream)
    return out.result, docs


def _inputs(tmp_path: Path) -> list[Path]:
    paths = sorted(p for p in FIXTURES.glob("*.txt") if p.name != "cp1252.txt")
    for name, data in VARIANTS.items():
        (tmp_path / name).write_bytes(data)
        paths.append(tmp_path / name)
    return paths


def test_a_streamed_copy_reads_exactly_like_a_whole_one(tmp_path):
    for path in _inputs(tmp_path):
        whole = read_input(path)
        assert whole.error is None, (path.name, whole.error)
        result, docs = _streamed(path)
        assert [dataclasses.asdict(d) for d in docs] == [dataclasses.asdict(d) for d in whole.result.docs], path.name
        assert result.warnings == whole.result.warnings, path.name
        assert result.rejects == whole.result.rejects, path.name
        assert result.declared_comments == whole.result.declared_comments, path.name
    assert any("mojibake" in w for w in read_input(tmp_path / "mojibake.txt").result.warnings)


def test_a_copy_that_is_not_utf8_falls_back_to_a_whole_read():
    out = read_input(FIXTURES / "cp1252.txt", stream_min_bytes=0)
    assert out.stream is None and out.error is None
    assert out.result.docs[0].text == "It’s £5 a week – an insult."


def test_a_copy_with_old_mac_line_ends_is_quarantined_not_a_crash(tmp_path):
    # the CSV sniffer used to raise csv.Error on a bare CR, which stopped the whole ingest
    p = tmp_path / "cr_only.txt"
    p.write_bytes(_NUMBERED.replace("\n", "\r").encode())
    out = read_input(p, stream_min_bytes=0)
    assert out.error is not None and out.error.code == "parse_error"


def test_an_empty_streamed_copy_is_an_input_error(tmp_path):
    p = tmp_path / "empty.txt"
    p.write_bytes(b"1 comments:\n\nReply\n")
    whole = read_input(p)
    assert whole.error is not None and whole.error.code == "empty_document"
    out = read_input(p, stream_min_bytes=0)
    with pytest.raises(InputError, match="no post body and no comments"):
        list(out.stream)


def test_stream_ids_in_small_batches_equal_whole_ids():
    # repeated comment texts get occurrence numbers across batch boundaries
    lines = ["Monday, 1 July 2019", "", "Same title", "", "Body.", "", "40 comments:", ""]
    for n in range(1, 41):
        lines += [f"  {n}. {'Repeated words.' if n % 3 else f'Unique words {n}.'}", "", "    ReplyDelete"]
        if n % 4 == 0:
            lines += ["    Replies", "    1. Repeated words.", "", "      Delete"]
    text = "\n".join(lines) + "\n"
    result, docs = stream_text_dump(lambda: text.split("\n"), None)
    docs = list(docs)
    whole, _ = assign_ids(ParseResult(format="text_dump", docs=docs), "Europe/London", {})
    ids = StreamIds(docs[0], "Europe/London", {})
    streamed = [ids.post]
    for i in range(1, len(docs), 3):
        streamed += ids.comments(docs[i:i + 3])
    assert streamed == whole
    assert len({d.doc_id for d in whole}) == len(whole)


def _ingest(db: str, paths: list[str], stream: bool, batch: int = 7) -> dict:
    overrides = [f"ingest.stream_min_mb={0 if stream else 10000}", f"ingest.batch_documents={batch}"]
    return Corpus(db, overrides=overrides).ingest(paths)


def test_a_streamed_ingest_stores_what_a_whole_one_does(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for path in _inputs(tmp_path):
        (folder / path.name).write_bytes(path.read_bytes())
    (folder / "cp1252.txt").write_bytes((FIXTURES / "cp1252.txt").read_bytes())
    (folder / "empty.txt").write_bytes(b"1 comments:\n\nReply\n")
    (folder / "big.txt").write_bytes(text_copy(200 << 10, seed=7))
    whole_db, stream_db = str(tmp_path / "whole.duckdb"), str(tmp_path / "stream.duckdb")
    a = _ingest(whole_db, [str(folder)], stream=False)
    b = _ingest(stream_db, [str(folder)], stream=True)
    assert a["outcomes"] == b["outcomes"] and a["new_documents"] == b["new_documents"]
    assert b["outcomes"]["quarantined:empty_document"] == 1
    assert _views(stream_db) == _views(whole_db)
    # the same files again change nothing; another form of a streamed post joins it
    assert _ingest(stream_db, [str(folder)], stream=True)["new_documents"] == 0


def _failing_reader(after: int) -> Reader:
    """The text-copy reader, failing after ``after`` documents (as if the file changed
    between the two passes)."""

    def parse_lines(lines, ctx):
        result, docs = stream_text_dump(lines, ctx)

        def failing():
            for i, d in enumerate(docs):
                if i == after:
                    raise ValueError("the file changed while it was read")
                yield d
        return result, failing()

    def parse(text, ctx):
        raise ValueError("streamed only")

    return Reader(name="failing_copy", sniff=lambda head, name: 0.0, parse=parse, parse_lines=parse_lines)


def test_a_stream_failing_half_way_leaves_the_database_as_it_was(tmp_path, monkeypatch):
    from pipeline.ingest import registry

    db = str(tmp_path / "fail.duckdb")
    good = tmp_path / "good.txt"
    good.write_bytes((FIXTURES / "numbered_replies.txt").read_bytes())
    _ingest(db, [str(good)], stream=True)
    before = _views(db)
    monkeypatch.setitem(registry._extra, "failing_copy", _failing_reader(after=30))
    big = tmp_path / "big.txt"
    big.write_bytes(text_copy(100 << 10, seed=8))
    corpus = Corpus(db, overrides=["ingest.stream_min_mb=0", "ingest.batch_documents=7"])
    with pytest.raises(InputError, match="failed half-way through.*nothing was stored"):
        corpus.ingest([str(big)], format="failing_copy")
    assert _views(db) == before  # 4 batches had been written inside the transaction
    conn = connect(db, read_only=True)
    try:
        status = conn.execute("SELECT status FROM runs ORDER BY started_at DESC LIMIT 1").fetchone()[0]
    finally:
        conn.close()
    assert status == "failed"


def _python_peak(path: Path, db: str) -> int:
    tracemalloc.start()
    try:
        _ingest(db, [str(path)], stream=True, batch=2000)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_memory_of_a_streamed_ingest_does_not_grow_with_the_file(tmp_path):
    """Python's own allocations (DuckDB's are capped by ingest.stream_duckdb_mb): a copy
    four times larger needs about the same peak, where a whole read needs four times it."""
    small, large = tmp_path / "small.txt", tmp_path / "large.txt"
    small.write_bytes(text_copy(1 << 20, seed=9))
    large.write_bytes(text_copy(4 << 20, seed=9))
    p_small = _python_peak(small, str(tmp_path / "s.duckdb"))
    p_large = _python_peak(large, str(tmp_path / "l.duckdb"))
    assert p_large < 1.5 * p_small, (p_small >> 20, p_large >> 20)


def test_text_copies_still_sniff_as_text_copies():
    assert sniff(_NUMBERED, "x.txt") >= 0.6
