"""Headless Debian chromium driven by Playwright, for the report and explorer tests.

Never downloads a browser: it launches /usr/bin/chromium (``make test`` installs it with
apt-get when missing). Screenshots go to ``outputs/test-artifacts/`` (or
``$PROBATION_TEST_ARTIFACTS``), kept after the run.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("PROBATION_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def artifacts_dir() -> Path:
    d = Path(os.environ.get("PROBATION_TEST_ARTIFACTS", REPO / "outputs" / "test-artifacts"))
    d.mkdir(parents=True, exist_ok=True)
    return d


def screenshot(page, name: str, **kwargs) -> Path:
    path = artifacts_dir() / name
    page.screenshot(path=str(path), **kwargs)
    print(f"screenshot: {path}")
    return path


@contextlib.contextmanager
def browser_context(**kwargs):
    """A fresh persistent context (its own user-data-dir, removed afterwards)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"the browser tests need Debian's chromium at {CHROMIUM}: `make test` installs it "
                    "(apt-get install chromium, as root)")
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="pc-chromium-")
    try:
        with sync_playwright() as p:
            ctx = p.chromium.launch_persistent_context(
                profile, executable_path=CHROMIUM, args=ARGS, headless=True,
                viewport={"width": 1280, "height": 900}, **kwargs)
            try:
                yield ctx
            finally:
                ctx.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def watch(page) -> dict:
    """Collect console errors, page errors and every request URL of a page."""
    seen: dict = {"errors": [], "requests": []}
    page.on("console", lambda m: seen["errors"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: seen["errors"].append(f"pageerror: {e}"))
    page.on("request", lambda r: seen["requests"].append(r.url))
    return seen
