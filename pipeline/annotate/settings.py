"""``[annotate]`` settings: field names are the TOML keys (``pipeline/defaults.toml``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class AnnotateSettings:
    SECTION: ClassVar[str] = "annotate"
    sample_size: int
    strategy: str
    exclude_coded: bool
    adjudicator: str
    export_dir: str
