"""Docs are tested: every config key and every CLI command is documented, and every
public view has a section in docs/schema.md."""

from __future__ import annotations

import re
from pathlib import Path

import click

from pipeline.cli.main import main
from pipeline.config import defaults
from pipeline.store import connect

DOCS = Path(__file__).resolve().parent.parent / "docs"


def _keys(d, prefix=""):
    for k, v in d.items():
        if isinstance(v, dict):
            yield from _keys(v, f"{prefix}{k}.")
        else:
            yield f"{prefix}{k}"


def test_every_config_key_is_documented():
    text = (DOCS / "config.md").read_text()
    missing = [k for k in _keys(defaults()) if f"`{k}`" not in text]
    assert not missing, f"undocumented config keys: {missing}"


def test_every_documented_key_exists():
    text = (DOCS / "config.md").read_text()
    documented = set(re.findall(r"^- `([a-z_]+\.[a-z_.0-9]+)`", text, flags=re.M))
    assert documented <= set(_keys(defaults())), documented - set(_keys(defaults()))


def _commands(group: click.Group, prefix="probation-corpus"):
    for name, cmd in sorted(group.commands.items()):
        yield f"{prefix} {name}"
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, f"{prefix} {name}")


def test_every_cli_command_is_documented():
    text = (DOCS / "cli.md").read_text()
    headings = re.findall(r"^### `([^`]+)`", text, flags=re.M)
    missing = [c for c in _commands(main) if not any(h == c or h.startswith(c + " ") for h in headings)]
    assert not missing, f"undocumented commands: {missing}"


def test_every_public_view_is_documented(tmp_db):
    conn = connect(tmp_db)
    views = [r[0] for r in conn.execute(
        "SELECT view_name FROM duckdb_views() WHERE NOT internal AND schema_name = 'main'").fetchall()]
    text = (DOCS / "schema.md").read_text()
    missing = [v for v in views if not re.search(rf"^##+ `?{v}`?\s*$", text, flags=re.M)]
    assert not missing, f"views without a section in docs/schema.md: {missing}"


def test_stage_registry_is_lazy():
    """Listing stages imports no stage module, so quick commands start fast."""
    import subprocess
    import sys

    code = ("import sys, pipeline.cli.main, pipeline.jobs as j; names = list(j.STAGES); "
            "heavy = [m for m in ('torch', 'spacy', 'sklearn', 'bertopic', 'pipeline.jobs.classify') "
            "if m in sys.modules]; print(names, heavy); assert not heavy, heavy")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "'ingest'" in out.stdout and "'classify'" in out.stdout
