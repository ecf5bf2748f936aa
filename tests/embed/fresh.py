"""A script in a fresh interpreter, for what a library reads once per process (MKL's
``MKL_CBWR``, oneDNN's and ideep's cache capacities): the repository on ``PYTHONPATH``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def run_fresh(script: str, *args: str, drop: Iterable[str] = (), env: Mapping[str, str] | None = None) -> Any:
    """Run ``script`` (with ``args``) in a new interpreter whose environment is this one's
    without the variables in ``drop`` and with ``env``; fail the test if it fails, else
    return the JSON on the last line it printed."""
    gone = set(drop)
    child = {k: v for k, v in os.environ.items() if k not in gone}
    child.update(env or {})
    child["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), child.get("PYTHONPATH")) if p)
    out = subprocess.run([sys.executable, "-c", script, *args], cwd=ROOT, env=child, capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])
