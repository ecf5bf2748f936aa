from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.config import load_config
from pipeline.jobs import JobContext
from pipeline.jobs import STAGES
from pipeline.jobs.runlog import recorded_run
from pipeline.jobs.sync import sync_job
from pipeline.store import connect
from pipeline.sync.http import PoliteClient
from tests.sync.blogsim import Blog, FakeTime, serve


@pytest.fixture
def blog() -> Iterator[Blog]:
    with serve() as b:  # stopped by the context manager, also on failure
        yield b


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def sync_config(tmp_path: Path):
    def make(**sync):
        base = {"raw_dir": str(tmp_path / "raw"), "delay_seconds": 0.5, "timeout_seconds": 2.0, "max_retries": 2,
                "backoff_base_seconds": 1.0, "backoff_cap_seconds": 8.0, "max_results": 2}
        return load_config(overrides={"sync": {**base, **sync}})

    return make


@pytest.fixture
def do_sync(tmp_db, sync_config, fake_time):
    """Run one sync (a recorded run, as the api does) with the injected clock; returns
    (summary, client). Extra keywords are [sync] settings or job options."""

    def run(url: str, *, fmt: str | None = None, full: bool = False, **sync):
        config = sync_config(**sync)
        client = PoliteClient.from_config(config.section("sync"), sleep=fake_time.sleep, clock=fake_time.clock,
                                          rng=random.Random(7))
        options = {"url": url, "format": fmt, "full": full}
        try:
            with recorded_run(tmp_db, "sync", options, config) as (run_id, summary):
                summary.update(sync_job(JobContext(tmp_db, config, run_id, (), options), ingest=STAGES["ingest"],
                                               client=client))
        finally:
            client.close()
        return summary, client

    return run


def query(db: str, sql: str, params: list | None = None) -> list[tuple]:
    conn = connect(db, read_only=True)
    try:
        return conn.execute(sql, params or []).fetchall()
    finally:
        conn.close()
