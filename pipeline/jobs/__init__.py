"""The imperative shell per stage: read from the store, call the stage library, write
back in one transaction, return a small summary. No Prefect here (``pipeline.flows``
wraps each job in one task) and no CLI code (``pipeline.cli`` calls ``pipeline.api``).

``STAGES`` is the ordered mapping stage name -> job that ``probation-corpus run``
executes. A job's module (and its models and libraries) is imported only when the job
is first looked up, so commands that only list stages, query or report start fast.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping

from pipeline.jobs.context import Job, JobContext

# name -> "module:function", in run order.
STAGE_TARGETS: dict[str, str] = {
    "ingest": "pipeline.jobs.ingest:ingest_job",
    "clean": "pipeline.jobs.clean:clean_job",
    "dedupe": "pipeline.jobs.dedupe:dedupe_job",
    "segment": "pipeline.jobs.segment:segment_job",
    "quotes": "pipeline.jobs.quotes:quotes_job",
    "embed": "pipeline.jobs.embed:embed_job",
    "topics": "pipeline.jobs.topics:topics_job",
    "classify": "pipeline.jobs.classify:classify_job",
    "index": "pipeline.jobs.index:index_job",
}


class _Stages(Mapping[str, Job]):
    """Read-only, ordered, lazily imported view of ``STAGE_TARGETS``."""

    def __init__(self, targets: Mapping[str, str]):
        self._targets = dict(targets)
        self._loaded: dict[str, Job] = {}

    def __getitem__(self, name: str) -> Job:
        if name not in self._loaded:
            module, func = self._targets[name].split(":")
            self._loaded[name] = getattr(importlib.import_module(module), func)
        return self._loaded[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._targets)

    def __len__(self) -> int:
        return len(self._targets)


STAGES: Mapping[str, Job] = _Stages(STAGE_TARGETS)

__all__ = ["JobContext", "STAGES", "STAGE_TARGETS", "Job"]
