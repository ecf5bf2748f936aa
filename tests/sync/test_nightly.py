"""The nightly-sync deployment syncs the configured blog, then runs the incremental stages:
in Prefect's local mode, and on a REAL Prefect server with a REAL process worker (the
server/worker fixtures of tests/flows/test_deployments.py, which stop them also on failure)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client

from pipeline.flows import deployments
from pipeline.flows.scheduled import nightly_sync
from pipeline.sync.feeds import SyncError
from tests.flows.test_deployments import RUN_WAIT_S, _tail, deployed, server, worker  # noqa: F401 (fixtures)
from tests.sync.blogsim import Fault
from tests.sync.conftest import query

pytestmark = pytest.mark.slow


def _overrides(blog_url: str, tmp_path: Path) -> list[str]:
    return [f'sync.blogs=["{blog_url}"]', "schedule.sync_paths=[]", f"sync.raw_dir={tmp_path / 'raw'}",
            "sync.delay_seconds=0", "sync.max_results=2"]


def test_nightly_sync_fetches_the_blog_then_runs_the_stages(blog, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "nightly.duckdb"
    summary = nightly_sync(db_path=str(db), stages=["ingest", "clean"], overrides=_overrides(blog.base, tmp_path))
    assert summary["sync"][blog.base]["new_documents"] == 9
    assert summary["stages"]["clean"]["cleaned"] == 9
    assert query(str(db), "SELECT flow, status FROM runs ORDER BY started_at") == [
        ("nightly-sync:sync", "completed"), ("nightly-sync", "completed")]
    # the next night asks only for what changed
    blog.requests.clear()
    again = nightly_sync(db_path=str(db), stages=["ingest", "clean"], overrides=_overrides(blog.base, tmp_path))
    assert again["sync"][blog.base]["new_documents"] == 0
    assert all("updated-min" in r.query for r in blog.feed_requests() if r.path.endswith("/default")
               and r.path in ("/feeds/posts/default", "/feeds/comments/default"))


def test_a_failed_blog_still_runs_the_stages_and_fails_the_flow(blog, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "nightly.duckdb"
    blog.faults.append(Fault("/feeds/posts/default", status=403, times=1))
    with pytest.raises(SyncError, match="sync failed for 1 blog"):
        nightly_sync(db_path=str(db), stages=["ingest"], overrides=_overrides(blog.base, tmp_path))
    assert query(str(db), "SELECT flow, status FROM runs ORDER BY started_at") == [
        ("nightly-sync:sync", "failed"), ("nightly-sync", "completed")]


def test_worker_runs_nightly_sync_against_the_local_blog(blog, server, worker, tmp_path):  # noqa: F811
    db = tmp_path / "deployed.duckdb"
    run = deployments.trigger("nightly-sync", {
        "db_path": str(db), "stages": ["ingest", "clean"], "overrides": _overrides(blog.base, tmp_path)},
        wait_s=RUN_WAIT_S)
    assert run.state_type == "COMPLETED", f"nightly-sync ended {run.state}: {run.message}\n{_tail(worker)}"
    # the new documents arrived, through the blog's feeds
    assert query(str(db), "SELECT count(*) FROM documents") == [(9,)]
    assert blog.feed_requests("/feeds/posts/default")
    flows = query(str(db), "SELECT flow, status, params FROM runs ORDER BY started_at")
    assert [(f, s) for f, s, _ in flows] == [("nightly-sync:sync", "completed"), ("nightly-sync", "completed")]
    assert json.loads(flows[0][2]) == {"url": blog.base}
    assert len(list((tmp_path / "raw").rglob("*.atom.xml"))) == 9
    with get_client(sync_client=True) as client:
        assert client.read_flow_run(run.id).state.is_completed()
