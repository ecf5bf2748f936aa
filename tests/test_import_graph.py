"""No import cycle among the modules of ``pipeline/``: imports inside functions count
too (a lazy import that closes a cycle only hides it, as the old reader registry did)."""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "pipeline"


def module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """The pipeline modules ``path`` imports anywhere in it (``if TYPE_CHECKING`` blocks skipped)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()

    def resolve(mod: str | None, level: int) -> str | None:
        if level == 0:
            return mod
        base = package.split(".")
        base = base[: len(base) - (level - 1)]
        return ".".join(base + ([mod] if mod else []))

    skipped = {id(n) for node in ast.walk(tree)
               if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
               for n in ast.walk(node)}
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            for a in node.names:
                found.add(a.name)
        elif isinstance(node, ast.ImportFrom):
            mod = resolve(node.module, node.level)
            if mod is None:
                continue
            found.add(mod)
            for a in node.names:  # `from pipeline.x import y` where y is a module
                found.add(f"{mod}.{a.name}")
    out = set()
    for f in found:
        # importing pipeline.a.b also runs pipeline.a (its package __init__)
        parts = f.split(".")
        for i in range(1, len(parts) + 1):
            cand = ".".join(parts[:i])
            if cand in modules and cand != name and not name.startswith(cand + "."):
                out.add(cand)
    return out


def import_graph() -> dict[str, set[str]]:
    files = [p for p in PKG.rglob("*.py") if "__pycache__" not in p.parts]
    modules = {module_name(p) for p in files}
    return {module_name(p): imports_of(p, modules) for p in files}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def strong(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return out


def test_cycle_finder_finds_a_planted_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles_in_pipeline():
    found = cycles(import_graph())
    assert not found, "import cycles in pipeline/: " + "; ".join(" <-> ".join(c) for c in found)


# pipeline/jobs: the shared shell helpers every job may use; every other module is a job.
JOB_HELPERS = {"pipeline.jobs.context", "pipeline.jobs.progress", "pipeline.jobs.runlog",
               "pipeline.jobs.tagging"}
# Left to the classify helper of issue 8 (jobs/classify.py is theirs): remove on merge.
PENDING: set[tuple[str, str]] = set()


def job_imports(path: Path) -> set[str]:
    """The job modules ``path`` imports anywhere in it, including ``from pipeline.jobs import
    STAGES`` (the registry hands out every job)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "pipeline.jobs":
                targets = [f"pipeline.jobs.{a.name}" for a in node.names]
            else:
                targets = [node.module]
        else:
            continue
        found.update(t for t in targets if t.startswith("pipeline.jobs.") and t not in JOB_HELPERS)
    return found


def jobs_importing_jobs(folder: Path) -> set[tuple[str, str]]:
    edges = set()
    for p in sorted(folder.glob("*.py")):
        name = module_name(p) if folder == PKG / "jobs" else f"pipeline.jobs.{p.stem}"
        if p.name == "__init__.py" or name in JOB_HELPERS:
            continue
        edges.update((name, t) for t in job_imports(p) if t != name)
    return edges


def test_the_job_import_check_finds_a_planted_import(tmp_path):
    (tmp_path / "context.py").write_text("X = 1\n")
    (tmp_path / "a.py").write_text("from pipeline.jobs.context import X\n")
    (tmp_path / "b.py").write_text("def f():\n    from pipeline.jobs.a import g\n")
    (tmp_path / "c.py").write_text("from pipeline.jobs import STAGES\n")
    assert jobs_importing_jobs(tmp_path) == {("pipeline.jobs.b", "pipeline.jobs.a"),
                                             ("pipeline.jobs.c", "pipeline.jobs.STAGES")}


def test_no_job_imports_another_job():
    """pipeline/jobs: each job reads, calls its stage and writes; a job that needs another
    one's work gets it from its caller (the flow or the api), as sync gets ingest."""
    found = jobs_importing_jobs(PKG / "jobs") - PENDING
    assert not found, "jobs importing jobs: " + "; ".join(f"{a} -> {b}" for a, b in sorted(found))
