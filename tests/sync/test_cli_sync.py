"""`probation-corpus sync URL` and `Corpus.sync` against the synthetic blog on 127.0.0.1."""

from __future__ import annotations

from click.testing import CliRunner

from pipeline.api import Corpus
from pipeline.cli.main import main
from pipeline.config import load_config
from tests.sync.conftest import query


def _sets(tmp_path) -> list[str]:
    return ["--set", f"sync.raw_dir={tmp_path / 'raw'}", "--set", "sync.delay_seconds=0"]


def test_cli_sync_prints_a_summary_and_stores_the_documents(blog, tmp_path, tmp_db):
    result = CliRunner().invoke(main, ["sync", blog.base + "/", "--format", "json", "--db", tmp_db, *_sets(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "9 new documents, 0 edited, 0 newly deleted" in result.output
    assert "watermarks: posts=2026-01-19T08:15:00.000Z" in result.output
    assert all(r.query["alt"] == "json" for r in blog.feed_requests())
    assert query(tmp_db, "SELECT flow, status FROM runs") == [("sync", "completed")]


def test_cli_sync_errors_are_one_line(blog, tmp_path, tmp_db):
    blog.robots = "User-agent: *\nDisallow: /\n"
    result = CliRunner().invoke(main, ["sync", blog.base, "--db", tmp_db, *_sets(tmp_path)])
    assert result.exit_code == 1
    assert "robots.txt" in result.output and len(result.output.strip().splitlines()) == 1
    bad = CliRunner().invoke(main, ["sync", "corpus/sample", "--db", tmp_db])
    assert bad.exit_code == 1 and "not an http(s) address" in bad.output


def test_api_sync_full(blog, tmp_path, tmp_db):
    config = load_config(overrides={"sync": {"raw_dir": str(tmp_path / "raw"), "delay_seconds": 0}})
    first = Corpus(tmp_db, config).sync(blog.base)
    again = Corpus(tmp_db, config).sync(blog.base, full=True)
    assert first["new_documents"] == 9 and again["new_documents"] == 0
    posts = [r.query for r in blog.feed_requests() if r.path == "/feeds/posts/default"]
    assert len(posts) == 2 and "updated-min" not in posts[-1]  # --full ignores the stored watermark
    per_post = {r.path for r in blog.feed_requests() if r.path.endswith("/comments/default")
                and r.path != "/feeds/comments/default"}
    assert len(per_post) == 3  # and reads every post's comments feed
