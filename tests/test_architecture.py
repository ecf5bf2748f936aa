"""The shape of the code: a functional core and a thin imperative shell."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "pipeline"
STAGES = ["ingest", "clean", "dedupe", "segment", "quotes", "embed", "topics", "classify", "annotate", "search",
          "sync", "report"]


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
            if node.module.startswith("pipeline."):
                roots.add(".".join(node.module.split(".")[:2]))
    return roots


def files(where: str = "") -> list[Path]:
    return sorted((PKG / where).rglob("*.py"))


@pytest.mark.parametrize("stage", STAGES)
def test_stage_packages_are_pure(stage):
    for f in files(stage):
        bad = imported_roots(f) & {"duckdb", "prefect", "click", "rich", "pipeline.store", "pipeline.jobs",
                                   "pipeline.flows", "pipeline.cli"}
        assert not bad, f"{f.relative_to(PKG)} imports {bad}"


@pytest.mark.parametrize("module,home", [("prefect", "flows"), ("duckdb", "store"), ("click", "cli")])
def test_one_home_per_outside_world(module, home):
    offenders = [str(f.relative_to(PKG)) for f in files() if module in imported_roots(f)
                 and f.relative_to(PKG).parts[0] != home]
    assert not offenders, f"{module} imported outside pipeline/{home}: {offenders}"
