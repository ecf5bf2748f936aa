"""Helpers for stage tests: synthetic text copies and running stages on a database."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.config import load_config
from pipeline.jobs import STAGES, JobContext


def text_dump(date: str, title: str, body: str, comments: list[str]) -> str:
    """A numbered-thread text copy of a post page (the text_dump reader's format)."""
    out = [date, "", title, "", body, "", f"{len(comments)} comments:", ""]
    for i, c in enumerate(comments, 1):
        lines = c.split("\n")
        out.append(f"  {i}. {lines[0]}")
        out.extend(f"    {ln}" if ln else "" for ln in lines[1:])
        out += ["", "    ReplyDelete"]
    return "\n".join(out) + "\n"


def run_stages(db: str, paths: list[Path], stages=("ingest", "clean", "dedupe", "segment"), **overrides) -> dict:
    config = load_config(overrides=overrides or None)
    out = {}
    for name in stages:
        ctx = JobContext(db, config, f"run-{name}", tuple(str(p) for p in paths) if name == "ingest" else ())
        out[name] = STAGES[name](ctx)
    return out


@pytest.fixture
def write_dump(tmp_path):
    def write(name: str, *args) -> Path:
        p = tmp_path / "in" / name
        p.parent.mkdir(exist_ok=True)
        p.write_text(text_dump(*args), encoding="utf-8")
        return p

    return write


def clean_settings(**overrides):
    """``CleanSettings`` of the built-in config (plus ``[clean]`` overrides)."""
    from pipeline.clean.settings import CleanSettings

    from pipeline.settings import typed

    return typed(load_config(overrides={"clean": overrides} if overrides else None), CleanSettings)


def rules_options(**overrides):
    """``SegmentOptions`` of the built-in config with the paragraph classifier off (the
    rules alone), plus ``[segment]`` overrides."""
    from pipeline.segment.settings import segment_options

    over = {"segment": {"classifier_model": "", **overrides}}
    return segment_options(load_config(overrides=over))
