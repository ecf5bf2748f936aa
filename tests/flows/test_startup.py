"""Prefect's local mode: its start-up wait comes from the config, and a server that does
not start is one line that says what to do, with no server process left (issue 14)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "text_dump"


def _processes_with_env(marker: str) -> list[int]:
    """Live processes whose environment holds ``marker`` (children inherit it)."""
    out = []
    for env in Path("/proc").glob("[0-9]*/environ"):
        try:
            if marker.encode() in env.read_bytes():
                out.append(int(env.parent.name))
        except OSError:
            continue
    return out


@pytest.mark.slow
def test_a_local_server_that_does_not_start_in_time_is_one_clear_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update({"PREFECT_HOME": str(tmp_path / "prefect"), "PYTHONPATH": str(REPO),
                "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"})
    # 1 s is too short for the server to come up on any machine: the start-up must fail.
    script = ("import sys; from pipeline.cli.main import main; sys.argv = ['probation-corpus', 'run', "
              f"{str(FIXTURES)!r}, '--db', {str(tmp_path / 'x.duckdb')!r}, '--stage', 'ingest', "
              "'--set', 'flows.local_startup_timeout_s=1']; main()")
    proc = subprocess.Popen([sys.executable, "-c", script], env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=240)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, 9)
            proc.wait()
    assert proc.returncode == 1, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "flows.local_startup_timeout_s" in lines[0] and "PREFECT_API_URL" in lines[0]
    assert not _processes_with_env(f"PREFECT_HOME={tmp_path / 'prefect'}")


def test_the_wait_is_set_from_the_config():
    from prefect.settings import PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS

    from pipeline.config import load_config
    from pipeline.flows.startup import local_server_wait

    if os.environ.get("PREFECT_API_URL"):
        pytest.skip("a Prefect server is set: local mode is not used")
    with local_server_wait(load_config(overrides=["flows.local_startup_timeout_s=123"])):
        assert PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value() == 123


@pytest.mark.slow
def test_the_local_server_started_early_is_the_one_the_flow_uses(tmp_path):
    """``start_early``: the server starts before ``ready()`` is called, answers after it,
    and Prefect's client then talks to it: one server process, not two."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update({"PREFECT_HOME": str(tmp_path / "prefect"), "PYTHONPATH": str(REPO),
                "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"})
    script = f"""
import httpx, psutil, time
from prefect.client.orchestration import get_client
from prefect.server.api.server import SubprocessASGIServer
from pipeline.config import load_config
from pipeline.flows.startup import local_server_wait

with local_server_wait(load_config(), start_early=True) as ready:
    deadline = time.monotonic() + 60
    while SubprocessASGIServer().server_process is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert SubprocessASGIServer().server_process is not None  # started without ready()
    ready()
    server = SubprocessASGIServer()
    assert httpx.get(server.api_url + "/health", timeout=10).status_code == 200
    with get_client(sync_client=True) as client:
        assert str(client.api_url).rstrip("/") == server.api_url.rstrip("/")
        client.hello()
    servers = [p for p in psutil.Process().children(recursive=True) if "uvicorn" in " ".join(p.cmdline())]
    assert len(servers) == 1, servers
print("OK")
"""
    proc = subprocess.run([sys.executable, "-c", script], env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0 and proc.stdout.strip().endswith("OK"), (proc.stdout, proc.stderr[-3000:])
    assert not _processes_with_env(f"PREFECT_HOME={tmp_path / 'prefect'}")
