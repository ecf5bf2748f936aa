"""The report on the sample: written by the flow's last step and by `probation-corpus report`,
opened in headless chromium (no console error, every chart drawn, nothing fetched)."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from pipeline.cli.main import main
from pipeline.store import report as reads
from tests.browser import browser_context, screenshot, watch

pytestmark = pytest.mark.slow


def test_the_flow_writes_the_report_last(sample_run):
    db, summary = sample_run
    rep = summary["report"]
    path = Path(rep["report"])
    assert path == Path(db).parent / "report.html" and path.is_file()
    assert rep["charts"] == 4 and rep["quotes"] > 0
    html = path.read_text(encoding="utf-8")
    # the run that wrote it is listed as completed under provenance
    assert re.search(rf"<td>{summary['run_id']}</td><td>main</td>.*?<td>completed</td>", html)


@pytest.fixture(scope="module")
def report_file(sample_evaluated, tmp_path_factory):
    db, cfg = sample_evaluated
    out = tmp_path_factory.mktemp("report") / "report.html"
    res = CliRunner().invoke(main, ["report", "--db", db, "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "4 charts" in res.output
    return db, out


def test_report_content(report_file):
    db, out = report_file
    html = out.read_text(encoding="utf-8")
    body = re.sub(r"<script.*?</script>", "", html.split("</head>", 1)[1], flags=re.S)
    for word in ("nan", "NaN", "NaT", "None"):
        assert not re.search(rf"\b{word}\b", body), word
    # self-contained: no script, stylesheet, font or image from elsewhere
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=\"?https?:", html)
    assert "@import" not in html and "@font-face" not in html
    con = duckdb.connect(db, read_only=True)
    try:
        quotes_n = con.execute("SELECT count(DISTINCT theme) FROM quotes").fetchone()[0]
        methods = con.execute("SELECT DISTINCT method FROM model_evaluations WHERE class = '_overall'").fetchall()
        sources = con.execute("SELECT count(*) FROM sources").fetchone()[0]
        # every document is counted once in the volume chart or said to have no date
        total = con.execute("SELECT count(*) FROM documents").fetchone()[0]
        assert reads.volume(con)["n"].sum() + reads.undated(con) == total
    finally:
        con.close()
    assert len(re.findall(r'<h3 id="quotes-', body)) == quotes_n
    section = body.split('id="accuracy"', 1)[1].split("</section>", 1)[0]
    assert {m for (m,) in methods} <= set(re.findall(r"<td>(\w+)</td>", section)) and methods
    assert f"Sources ({sources})" in body and "Nothing quarantined" in body


def test_report_renders_in_chromium(report_file):
    _, out = report_file
    with browser_context() as ctx:
        page = ctx.new_page()
        seen = watch(page)
        page.goto(out.as_uri(), wait_until="load")
        figures = page.locator("figure.chart")
        assert figures.count() == 4
        page.wait_for_function("document.querySelectorAll('figure.chart .js-plotly-plot .main-svg').length >= 4")
        for i in range(figures.count()):
            fig = figures.nth(i)
            assert fig.locator(".js-plotly-plot svg.main-svg").count() >= 1, fig.get_attribute("data-chart")
            # something is drawn: bars, lines or areas
            assert fig.locator("g.trace, path.js-line, g.point").count() > 0, fig.get_attribute("data-chart")
        assert page.locator("blockquote").count() > 0
        screenshot(page, "report.png", full_page=True)
        screenshot(page, "report-top.png")
        assert seen["errors"] == []
        assert all(u.startswith(("file:", "data:", "blob:")) for u in seen["requests"]), seen["requests"]
