"""A synthetic plugin distribution on ``sys.path`` for registry tests: a module plus a
``*.dist-info`` folder whose ``entry_points.txt`` names it, found by
``importlib.metadata`` like an installed package; removed again by the fixture."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def write_plugin(root: Path, module: str, source: str, entry_points: str) -> None:
    """Write ``module``.py with ``source`` and its dist-info with ``entry_points`` under
    ``root``, put ``root`` first on ``sys.path`` (once) and refresh the import caches."""
    (root / f"{module}.py").write_text(source)
    dist = root / f"{module}-0.1.dist-info"
    dist.mkdir(exist_ok=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module.replace('_', '-')}\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(entry_points)
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    importlib.invalidate_caches()


@contextmanager
def plugin_path(root: Path, module: str) -> Iterator[None]:
    """Leave ``sys.path`` and ``sys.modules`` as they were after the block."""
    try:
        yield
    finally:
        if str(root) in sys.path:
            sys.path.remove(str(root))
        sys.modules.pop(module, None)
        importlib.invalidate_caches()
