"""``read_input`` / ``read_bytes`` with the ``[ingest]`` settings of the config (the one
source of their values) unless a test gives its own."""

from __future__ import annotations

from pathlib import Path

from pipeline.config import load_config
from pipeline.ingest import core
from pipeline.ingest.core import InputOutcome
from pipeline.ingest.settings import IngestSettings
from pipeline.settings import typed


def config_kw(**kw) -> dict:
    return {**typed(load_config(), IngestSettings).read_limits(), **kw}


def read_input(path: Path, **kw) -> InputOutcome:
    return core.read_input(path, **config_kw(**kw))


def read_bytes(data: bytes, name: str, **kw) -> InputOutcome:
    return core.read_bytes(data, name, **config_kw(**kw))
