"""The shared Blogger format examples (../shared/formats/blogger/) all parse, by content."""

from __future__ import annotations

import pytest

from tests.readkit import read_input

EXPECTED = {
    "01_posts_feed.atom.xml": ("blogger_feed_atom", 1, 0),
    "02_comments_feed.atom.xml": ("blogger_feed_atom", 0, 2),
    "03_comments_feed.json": ("blogger_feed_json", 0, 2),
    "04_legacy_backup_export.xml": ("blogger_export", 1, 2),
    "05_takeout_2018_feed.atom": ("blogger_export", 1, 2),
    "06_threaded_comments.html": ("blogger_html", 0, 2),
    "07_legacy_comments_block.html": ("blogger_html", 0, 2),
}


@pytest.fixture
def blogger_dir(formats_dir):
    d = formats_dir / "blogger"
    if not d.is_dir():
        pytest.skip("../shared/formats/blogger not present")
    return d


def test_every_example_is_covered(blogger_dir):
    assert sorted(p.name for p in blogger_dir.iterdir() if p.name[:2].isdigit()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_parses(blogger_dir, name):
    fmt, posts, comments = EXPECTED[name]
    out = read_input(blogger_dir / name)
    assert out.error is None, out.error and out.error.message
    assert out.format == fmt
    res = out.result
    assert sum(d.kind == "post" for d in res.docs) == posts and res.parsed_comments == comments
    assert not res.rejects
    if comments == 2:  # every example's second comment replies to the first, where the form says so
        first, second = [d for d in res.docs if d.kind == "comment"]
        assert (first.local_id, second.local_id) == ("7000000000000000001", "7000000000000000002")
        threaded = not name.startswith("07")
        assert second.parent_local == ("7000000000000000001" if threaded else None)
        assert first.published_at.isoformat() == "2011-03-14T22:20:00"


def test_atom_and_json_examples_give_the_same_documents(blogger_dir):
    atom = read_input(blogger_dir / "02_comments_feed.atom.xml").result
    js = read_input(blogger_dir / "03_comments_feed.json").result
    assert atom.docs and js.docs == atom.docs
    assert js.declared_comments == atom.declared_comments == 2


def test_legacy_export_example_skips_its_draft(blogger_dir):
    res = read_input(blogger_dir / "04_legacy_backup_export.xml").result
    assert res.warnings == ["skipped 1 draft posts"]
    assert "draft" not in " ".join(d.text for d in res.docs)
