"""blogger_export: legacy and 2018/Takeout backups, streamed; skips and rejects counted."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from pipeline.config import load_config
from pipeline.ingest.readers.blogger_export import parse_stream, sniff
from pipeline.ingest.registry import ReadContext
from pipeline.ingest.xmlsafe import CHUNK
from tests.ingest.golden import check_golden
from tests.ingest.readers.blogger_fixtures import FIXTURES, one_line, read_data, read_ok

EXPORTS = ["legacy_export.xml", "takeout_export.atom"]


@pytest.mark.parametrize("name", EXPORTS)
def test_golden(name):
    check_golden(read_ok(name, "blogger_export"), "blogger_export", Path(name).stem)


def test_legacy_export_keeps_posts_and_comments_skips_drafts_and_ignores_settings():
    res = read_ok("legacy_export.xml", "blogger_export")
    assert [(d.kind, d.local_id[-4:]) for d in res.docs] == [
        ("post", "0001"), ("comment", "0001"), ("comment", "0003"), ("comment", "0002")]
    assert res.warnings == ["skipped 1 draft posts", "skipped 1 static pages"]
    text = "\n".join(d.text for d in res.docs)
    assert "Draft text" not in text and "furniture" not in text and "On Probation" not in text
    reply = res.docs[3]
    assert reply.parent_local == "7200000000000000001" and reply.position == 2
    assert res.declared_comments == 3 and res.parsed_comments == 3 and not res.rejects


def test_takeout_export_keeps_only_live_entries():
    res = read_ok("takeout_export.atom", "blogger_export")
    by_id = {d.local_id[-2:]: d for d in res.docs}
    assert sorted(by_id) == ["01", "02", "03", "08", "46"]
    assert by_id["46"].url == "/2019/06/rota-chaos-part-two.html"  # blogger:filename, as given
    assert by_id["02"].parent_local == "7100000000000000001"       # bare inReplyTo id
    assert by_id["03"].parent_local == "7100000000000000002"       # inReplyTo as a full tag id
    assert by_id["08"].parent_local is None and by_id["08"].flags == ("parent_removed",)  # parent was spam
    assert by_id["01"].author == "Anonymous"
    assert res.warnings == [
        "skipped 1 comments on skipped posts", "skipped 1 comments with status SOFT_TRASHED",
        "skipped 1 comments with status SPAM_COMMENT", "skipped 1 posts with status DRAFT", "skipped 1 static pages"]
    assert [by_id[k].position for k in ("01", "02", "08", "03")] == [1, 2, 3, 4]


def test_sniff_needs_export_markers_not_a_file_name():
    takeout = (FIXTURES / "takeout_export.atom").read_text()
    assert sniff(takeout, "feed.txt") == 0.95
    assert sniff((FIXTURES / "legacy_export.xml").read_text(), "x") == 0.95
    assert sniff((FIXTURES / "posts_feed.atom.xml").read_text(), "blog-export.xml") == 0.0
    assert read_data(takeout.encode(), "notes.txt").format == "blogger_export"


class _ChunkedOnly(io.BytesIO):
    """A stream that fails any read that could pull the whole file at once."""

    def __init__(self, data: bytes):
        super().__init__(data)
        self.reads = 0

    def read(self, size: int | None = -1) -> bytes:
        assert size is not None and 0 < size <= CHUNK, "the export must be read in chunks"
        self.reads += 1
        return super().read(size)


def _big_export(n_comments: int) -> bytes:
    head = (FIXTURES / "takeout_export.atom").read_bytes().split(b"</feed>")[0]
    comment = ("<entry><id>tag:blogger.com,1999:blog-1234567890123456789.post-8{n:018d}</id>"
               "<blogger:parent>tag:blogger.com,1999:blog-1234567890123456789.post-5550001112223334446"
               "</blogger:parent><blogger:inReplyTo/><blogger:type>COMMENT</blogger:type>"
               "<blogger:status>LIVE</blogger:status><author><name>Anonymous</name></author>"
               "<content type='html'>Generated comment number {n} for a streaming test.</content>"
               "<published>2019-07-03T10:00:00.000Z</published></entry>\n")
    return head + "".join(comment.format(n=i) for i in range(n_comments)).encode() + b"</feed>\n"


def test_large_export_is_streamed_in_chunks():
    data = _big_export(5_000)
    fh = _ChunkedOnly(data)
    res = parse_stream(fh, ReadContext(name="big.atom", timezone=load_config().get("ingest.timezone")))
    assert fh.reads > len(data) // CHUNK
    assert res.parsed_comments == 4 + 5_000
    assert res.docs[-1].position == 4 + 5_000


def test_truncated_export_keeps_complete_entries():
    data = (FIXTURES / "takeout_export.atom").read_bytes()
    res = read_data(data[:data.index(b"A live reply to a comment")], "feed.atom").result
    assert [d.local_id[-2:] for d in res.docs] == ["46", "01", "02"]
    assert res.warnings[0].startswith("XML breaks off at line")
    (rej,) = res.rejects
    assert rej.code == "malformed_xml" and rej.raw.startswith(b"<entry>") and b"7100000000000000008" in rej.raw


def test_export_cut_before_any_entry_is_malformed():
    data = (FIXTURES / "legacy_export.xml").read_bytes()
    out = read_data(data[:data.index(b"<title type='text'>Blog name")], "blog.xml")
    assert out.format == "blogger_export"
    assert out.error.code == "malformed_xml" and one_line(out.error.message)


def test_entity_declarations_in_an_export_are_refused():
    data = (FIXTURES / "legacy_export.xml").read_bytes().replace(
        b"<feed ", b'<!DOCTYPE feed [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>\n<feed ', 1)
    out = read_data(data, "blog.xml")
    assert out.format == "blogger_export"
    assert out.error.code == "xml_entities" and one_line(out.error.message)


def test_comment_without_any_post_reference_is_rejected():
    data = (FIXTURES / "legacy_export.xml").read_bytes()
    start = data.index(b"<thr:in-reply-to ")  # the first comment's post reference
    end = data.index(b"/>", start) + 2
    res = read_data(data[:start] + data[end:], "blog.xml").result
    (rej,) = res.rejects
    assert rej.locator == "entry 7" and "names no post" in rej.reason and "7200000000000000001" in rej.raw
    assert res.parsed_comments == 2
