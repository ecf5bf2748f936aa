"""The README's walkthrough, executed: every command line of every ```sh block that follows a
``<!-- walkthrough -->`` marker runs against a copy of the sample database (as the default
``outputs/probation.duckdb`` of a scratch working directory) and must exit 0 and print
something. Adding a line to a marked block adds it to this test."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

MARKER = "<!-- walkthrough -->"
PROGRAM = ".venv/bin/probation-corpus"


def walkthrough_commands(readme: str) -> list[str]:
    """Command lines of the marked ```sh blocks, in order (blank and comment lines left out)."""
    commands = []
    for block in re.findall(re.escape(MARKER) + r"\s*\n```sh\n(.*?)\n```", readme, flags=re.S):
        for line in block.splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                commands.append(line.strip())
    return commands


def test_walkthrough_blocks_are_found():
    """Cheap guard: the marked blocks parse, every marker has its block, and each line is a command."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    commands = walkthrough_commands(readme)
    assert readme.count(MARKER) == len(re.findall(re.escape(MARKER) + r"\s*\n```sh\n", readme)) >= 3
    assert len(commands) >= 8
    assert all(shlex.split(c, comments=True)[0] == PROGRAM for c in commands), commands
    assert walkthrough_commands(f"x\n{MARKER}\n```sh\n{PROGRAM} status  # c\n\n# note\n```\n") == [
        f"{PROGRAM} status  # c"]


COMMANDS = walkthrough_commands((REPO / "README.md").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def workdir(sample_run, tmp_path_factory):
    """A scratch working directory laid out like a checkout after `make run`."""
    root = tmp_path_factory.mktemp("walkthrough")
    (root / "outputs" / "reports").mkdir(parents=True)
    shutil.copy(sample_run[0], root / "outputs" / "probation.duckdb")
    (root / "corpus").symlink_to(REPO / "corpus", target_is_directory=True)
    return root


def _argv(command: str) -> list[str]:
    argv = shlex.split(command, comments=True)
    assert argv[0] == PROGRAM
    exe = Path(sys.executable).with_name("probation-corpus")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "pipeline.cli.main"], argv[1:]


@pytest.mark.slow
@pytest.mark.parametrize("command", COMMANDS, ids=[f"{i:02d}-{' '.join(shlex.split(c, comments=True)[1:3])}"
                                                    for i, c in enumerate(COMMANDS)])
def test_walkthrough_command(command, workdir):
    program, args = _argv(command)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p),
           "COLUMNS": "200"}
    res = subprocess.run([*program, *args], cwd=workdir, env=env, capture_output=True, text=True, timeout=600,
                         stdin=subprocess.DEVNULL)
    assert res.returncode == 0, f"{command}\n{res.stdout}\n{res.stderr}"
    assert res.stdout.strip() or res.stderr.strip(), f"no output: {command}"
    print(f"$ {command}\n{res.stdout[-2000:]}")
