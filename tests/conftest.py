from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("PROBATION_SHARED", REPO.parent / "shared"))
SAMPLE = REPO / "corpus" / "sample"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

# MKL's strict reproducibility, as a stage process has it: MKL reads MKL_CBWR once, at the
# process's first matrix product, and a test that builds a tiny model (tests/embed) makes
# one before any model is loaded. Without this, the test process encoded on every thread
# without strict mode and the Dask equality test (single-threaded workers) failed when it
# ran after such a test in the same process.
from pipeline.embed.registry import reproducible_cpu_math  # noqa: E402

reproducible_cpu_math()

# multiprocessing makes its folder for sockets (the forkserver's among them) at its first
# use and keeps it for the process's life, under ``tempfile.gettempdir()`` as it is then.
# Some tests point ``tempfile.tempdir`` at their long ``tmp_path``: a forkserver first
# started inside one would bind a socket path longer than AF_UNIX allows ("path too
# long"), and every later test in that process would reuse the folder. Fixed here, first.
import multiprocessing.util  # noqa: E402

multiprocessing.util.get_temp_dir()

# Under pytest-xdist (``make test`` runs two workers) each worker gets a Prefect home of
# its own, before anything imports Prefect: two local-mode servers on one SQLite file
# would wait on each other's locks. Removed when the worker's session ends.
_XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER")
_PREFECT_HOME = Path(tempfile.mkdtemp(prefix=f"prefect-{_XDIST_WORKER}-")) if _XDIST_WORKER else None
if _PREFECT_HOME is not None:
    os.environ["PREFECT_HOME"] = str(_PREFECT_HOME)


@pytest.fixture
def seeds_dir() -> Path:
    d = SHARED / "seeds"
    if not d.is_dir() or not any(d.glob("*.txt")):
        pytest.skip("../shared/seeds not present")
    return d


@pytest.fixture
def formats_dir() -> Path:
    d = SHARED / "formats"
    if not d.is_dir():
        pytest.skip("../shared/formats not present")
    return d


@pytest.fixture
def sample_dir() -> Path:
    return SAMPLE


@pytest.fixture
def tmp_db(tmp_path) -> str:
    return str(tmp_path / "test.duckdb")


@pytest.fixture
def memory_limits(monkeypatch):
    """``watch(module)``: spies on ``module.set_memory`` (the name under which a job or a
    store module such as ``pipeline.store.compact`` calls ``pipeline.store.set_memory``) and
    returns the list of the ``memory_limit`` each call left on its connection, as DuckDB
    reports it."""

    def watch(module) -> list[str]:
        seen: list[str] = []
        real = module.set_memory

        def spy(conn, mb, *args):
            real(conn, mb, *args)
            seen.append(conn.execute("SELECT current_setting('memory_limit')").fetchone()[0])

        monkeypatch.setattr(module, "set_memory", spy)
        return seen

    return watch


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory):
    """The whole flow (every stage, through Prefect's local mode) on the sample corpus,
    once per test session: (db_path, summary). Tests must only read from it."""
    from pipeline.api import Corpus
    from pipeline.config import load_config

    root = tmp_path_factory.mktemp("sample_run")
    # the shipped classifiers, so the run uses them; new artefacts go to the temp copy
    for kind in ("theme", "sentiment", "stance"):
        if (REPO / "models" / kind).is_dir():
            shutil.copytree(REPO / "models" / kind, root / "models" / kind)
    cfg = load_config(overrides={"paths": {"models_dir": str(root / "models"),
                                           "reports_dir": str(root / "reports")}})
    db = str(root / "sample.duckdb")
    summary = Corpus(db, cfg).run([str(SAMPLE)])
    return db, summary


@pytest.fixture(scope="session")
def sample_evaluated(sample_run, tmp_path_factory):
    """A copy of the sample database with the sample's answer key imported as one coder's
    codes and the sentiment models evaluated, so that ``model_evaluations`` has rows:
    (db_path, config). Shared by the report and explorer tests; they only read it."""
    from pipeline.api import Corpus
    from pipeline.config import load_config

    root = tmp_path_factory.mktemp("sample_evaluated")
    db = str(root / "sample.duckdb")
    shutil.copy(sample_run[0], db)
    cfg = load_config(overrides={"paths": {"reports_dir": str(root / "reports"), "models_dir": str(root / "models")}})
    Corpus(db, cfg).annotate_import(REPO / "corpus" / "annotations" / "sample_gold.jsonl", "answer-key")
    Corpus(db, cfg).evaluate(kinds=["sentiment"])
    return db, cfg


@pytest.fixture(scope="session", autouse=True)
def _stop_prefect_local_servers():
    """Stop Prefect's temporary local servers at the end of the session, explicitly (not
    only through Prefect's atexit hook): no uvicorn is left behind by the suite."""
    yield
    import sys

    server_mod = sys.modules.get("prefect.server.api.server")
    if server_mod is not None:
        for server in list(server_mod.SubprocessASGIServer._instances.values()):
            server.stop()
    if _PREFECT_HOME is not None:
        shutil.rmtree(_PREFECT_HOME, ignore_errors=True)
