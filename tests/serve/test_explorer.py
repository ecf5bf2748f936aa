"""The local explorer on the sample: the app's filters against SQL (in process), then the
real server (`probation-corpus serve` on a free 127.0.0.1 port) in headless chromium:
browse quotes by theme, open a thread, copy a citation, run SQL, download CSV, and a
write refused."""

from __future__ import annotations

import csv
import io
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request

import duckdb
import pytest
from fastapi.testclient import TestClient

from pipeline.serve.app import create_app
from tests.browser import REPO, browser_context, screenshot, watch

pytestmark = pytest.mark.slow


def _count(db: str, sql: str, params=()) -> int:
    con = duckdb.connect(db, read_only=True)
    try:
        return con.execute(sql, list(params)).fetchone()[0]
    finally:
        con.close()


def test_quote_filters_match_sql(sample_evaluated):
    db, cfg = sample_evaluated
    client = TestClient(create_app(db, cfg))
    floor = cfg.get("quotes.min_confidence")  # the explorer shows what `quotes` would (docs/quotes.md)
    topics = ("FROM quotes q JOIN doc_topics dt ON dt.doc_id = q.doc_id JOIN topics t "
              "ON t.run_id = dt.run_id AND t.topic_id = dt.topic_id WHERE t.is_current")
    theme, topic = duckdb.connect(db, read_only=True).execute(
        f"SELECT q.theme, dt.topic_id {topics} AND dt.topic_id >= 0 AND q.theme_score >= ? GROUP BY ALL "
        "ORDER BY count(*) DESC LIMIT 1", [floor]).fetchone()
    want = _count(db, f"SELECT count(*) {topics} AND q.theme = ? AND dt.topic_id = ? AND q.theme_score >= ? "
                      "AND q.published_at >= DATE '2012-01-01' AND q.published_at < DATE '2025-01-01'",
                  [theme, topic, floor])
    r = client.get("/quotes", params={"theme": theme, "topic": topic, "since": "2012-01-01", "until": "2024-12-31"})
    assert r.status_code == 200
    assert f'<p class="meta" id="count">{want} quotes' in r.text
    assert r.text.count('class="card quote"') == min(want, cfg.get("serve.page_size"))
    first, second = (client.get("/quotes", params={"page": n}).text for n in (1, 2))
    assert ">next</a>" in first and ">previous</a>" in second
    docs = lambda html: set(re.findall(r'data-doc="([^"]+)" data-theme="([^"]+)"', html))  # noqa: E731
    assert docs(first) and docs(second) and not docs(first) & docs(second)
    r = client.get("/quotes", params={"stance": "AGAINST"})
    n_against = _count(db, "SELECT count(*) FROM quotes WHERE stance = ? AND theme_score >= ?", ["AGAINST", floor])
    assert f'id="count">{n_against} quotes' in r.text
    assert client.get("/thread/c_nosuchdocument").status_code == 400
    bad = client.get("/quotes", params={"since": "last week"})
    assert bad.status_code == 400 and "is not a date (use YYYY-MM-DD)" in bad.text
    # read-only: nothing but GET, and a write through the SQL page is refused
    assert client.post("/sql", data={"q": "SELECT 1"}).status_code == 405
    r = client.get("/sql", params={"q": "CREATE TABLE scribble AS SELECT 1"})
    assert 'id="sql-error"' in r.text
    assert _count(db, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'scribble'") == 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(sample_evaluated):
    db, _ = sample_evaluated
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, "-m", "pipeline.cli.main", "serve", "--db", db, "--port", str(port),
                             "--host", "127.0.0.1"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"serve exited {proc.returncode}: {proc.stdout.read().decode()}")
            try:
                with urllib.request.urlopen(base + "/quotes", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        yield db, base
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def test_writer_and_academic_in_the_browser(server, tmp_path):
    db, base = server
    theme = duckdb.connect(db, read_only=True).execute(
        "SELECT theme FROM quotes GROUP BY theme ORDER BY count(*) DESC, theme LIMIT 1").fetchone()[0]
    with browser_context(accept_downloads=True) as ctx:
        ctx.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
        page = ctx.new_page()
        seen = watch(page)

        # a writer browses quotes by theme
        page.goto(base + "/quotes", wait_until="load")
        page.select_option("select[name=theme]", theme)
        with page.expect_navigation():
            page.click("form.filters button[type=submit]")
        assert f"theme={theme}" in page.url
        cards = page.locator(".card.quote")
        assert cards.count() > 0
        assert all(t == theme for t in cards.locator(".tag:first-child").all_inner_texts())
        first = cards.first
        doc_id = first.get_attribute("data-doc")
        pseudonym = first.locator(".meta b").first.inner_text()

        # copies a citation
        first.locator("button.cite").click()
        page.wait_for_function("document.getElementById('status').textContent.length > 0")
        expected = first.locator("button.cite").get_attribute("data-citation")
        assert expected.startswith(pseudonym + ", ") and "On Probation blog" in expected
        assert page.evaluate("navigator.clipboard.readText()") == expected
        assert page.inner_text("#status") == "Copied: " + expected
        screenshot(page, "explorer-quotes.png")

        # opens the whole thread around the quote, the quote highlighted
        with page.expect_navigation():
            first.locator("a.thread").click()
        highlighted = page.locator("article.doc.highlight")
        assert highlighted.count() == 1 and highlighted.get_attribute("id") == doc_id
        in_thread = _count(db, "SELECT count(*) FROM documents WHERE post_id = "
                               "(SELECT post_id FROM documents WHERE doc_id = ?)", [doc_id])
        assert page.locator("article.doc").count() == in_thread
        screenshot(page, "explorer-thread.png")

        # an academic runs read-only SQL and downloads the result as CSV
        query = "SELECT kind, count(*) AS n FROM documents GROUP BY kind ORDER BY kind"
        page.goto(base + "/sql", wait_until="load")
        page.fill("textarea[name=q]", query)
        with page.expect_navigation():
            page.click("form button[type=submit]")
        assert page.locator("#result tbody tr").count() == 2
        with page.expect_download() as dl:
            page.click("#csv")
        saved = tmp_path / "query.csv"
        dl.value.save_as(saved)
        con = duckdb.connect(db, read_only=True)
        try:
            want = [["kind", "n"], *[[k, str(n)] for k, n in con.execute(query).fetchall()]]
        finally:
            con.close()
        assert list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8")))) == want
        screenshot(page, "explorer-sql.png")

        # a write is refused, in one line, and changes nothing
        page.fill("textarea[name=q]", "CREATE TABLE scribble AS SELECT 42 AS x")
        with page.expect_navigation():
            page.click("form button[type=submit]")
        assert "read-only" in page.inner_text("#sql-error")
        assert seen["errors"] == []
        assert all(u.startswith((base, "data:")) for u in seen["requests"]), seen["requests"]
    assert _count(db, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'scribble'") == 0
