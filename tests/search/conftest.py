"""A small invented corpus (synthetic: written for these tests) run through every stage
up to the search index, once per test session."""

from __future__ import annotations

import pytest

from pipeline.api import Corpus
from pipeline.config import load_config
from tests.stagekit import text_dump

# Invented texts. Each post and comment is about one distinct matter, so that a query
# has one right answer.
THREADS = [
    ("12 March 2019", "The caravan weekend",
     "We took the team caravan to the coast for a weekend of planning and it rained every single day.",
     ["Nothing says strategic away day like a leaking caravan roof and a soggy flipchart.",
      "Our office never gets a weekend away, only another spreadsheet."]),
    ("3 June 2020", "Burst pipe at the office",
     "Water poured through the ceiling of the reporting centre after the plumbing upstairs failed overnight.",
     ["The interview rooms were flooded and the carpets still smell of damp a month later.",
      "Facilities said the repair contract does not cover ceilings."]),
    ("20 January 2021", "Ballot result",
     "Members balloted on the new offer and the turnout was the highest the branch has seen.",
     ["I voted to reject because the offer ignores the lowest paid grades.",
      "Ballots always arrive the week everyone is on leave."]),
    ("8 September 2022", "The new laptop rollout",
     "Every officer was given a laptop that cannot open the case management system without three passwords.",
     ["My laptop restarts for updates in the middle of every supervision session.",
      "The helpdesk queue is now longer than my caseload."]),
    ("15 May 2023", "Allotment club",
     "A few of us started growing tomatoes and courgettes on an allotment behind the hostel.",
     ["The residents now ask more about the beans than about their licence conditions.",
      "Best tomatoes I have eaten in years, grown by people nobody else would give a chance."]),
]


@pytest.fixture(scope="session")
def search_db(tmp_path_factory) -> str:
    """A database with the invented corpus ingested, cleaned, deduplicated, segmented,
    embedded (MiniLM, on CPU) and indexed."""
    root = tmp_path_factory.mktemp("search_corpus")
    inputs = root / "in"
    inputs.mkdir()
    for i, (date, title, body, comments) in enumerate(THREADS):
        (inputs / f"thread{i}.txt").write_text(text_dump(date, title, body, comments), encoding="utf-8")
    (inputs / "broken.bin").write_bytes(b"\x00\x01\x02 not a text \xff\xfe")  # quarantined: raw bytes kept
    db = str(root / "search.duckdb")
    config = load_config(overrides={"embed": {"device": "cpu"}})
    for stage in ("ingest", "clean", "dedupe", "segment", "embed", "index"):  # each recorded in `runs`
        Corpus(db, config).run_stage(stage, [str(inputs)] if stage == "ingest" else [])
    return db
