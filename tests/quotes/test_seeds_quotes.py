"""`probation-corpus quotes` on the three real seed pages (skipped when absent): no
missing-value words, no quote with a hole, nothing the segmenter marked quote or pasted.
Assertions are about structure only; no seed text is written here."""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner

from pipeline.cli.main import main
from pipeline.config import load_config
from pipeline.jobs import STAGES, JobContext
from tests.conftest import REPO
from tests.quotes.checks import assert_no_missing_values, hole_report

pytestmark = [pytest.mark.seeds, pytest.mark.slow]


@pytest.fixture(scope="module")
def seeds_quotes_db(tmp_path_factory):
    from tests.conftest import SHARED

    d = SHARED / "seeds"
    if not d.is_dir() or not any(d.glob("*.txt")):
        pytest.skip("../shared/seeds not present")
    root = tmp_path_factory.mktemp("seeds_quotes")
    for kind in ("theme", "sentiment", "stance"):
        if (REPO / "models" / kind).is_dir():
            shutil.copytree(REPO / "models" / kind, root / "models" / kind)
    db = str(root / "seeds.duckdb")
    config = load_config(overrides={"paths": {"models_dir": str(root / "models"),
                                              "reports_dir": str(root / "reports")}})
    for name in ("ingest", "clean", "dedupe", "segment", "quotes", "classify"):
        STAGES[name](JobContext(db, config, f"seeds-{name}", (str(d),) if name == "ingest" else ()))
    return db


def test_quotes_on_the_seeds_print_no_missing_values(seeds_quotes_db):
    printed = 0
    for fmt in ("md", "table", "csv", "json"):
        out = CliRunner().invoke(main, ["quotes", "--db", seeds_quotes_db, "--format", fmt, "--context",
                                        "--min-confidence", "0", "--limit", "1000"])
        assert out.exit_code == 0, out.output
        assert_no_missing_values(fmt, out.stdout)
        printed += len(out.stdout)
    assert printed > 0


def test_seed_quotes_have_no_hole_and_no_text_of_others(seeds_quotes_db):
    rep = hole_report(seeds_quotes_db)
    with_quote = [d for d in rep["docs"] if d["quote"] is not None]
    print(f"\nseeds: {len(with_quote)} of {len(rep['docs'])} documents have a quote; "
          f"old own-text holes in {len(rep['old'])}, new in {len(rep['new'])}")
    assert with_quote
    assert not rep["overlap"]
    assert not rep["new"], list(rep["new"].items())[:3]
