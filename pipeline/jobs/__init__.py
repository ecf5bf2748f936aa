"""The imperative shell per stage: read from the store, call the stage library, write
back in one transaction, return a small summary. No Prefect here (``pipeline.flows``
wraps each job in one task) and no CLI code (``pipeline.cli`` calls ``pipeline.api``).

``STAGES`` is the ordered list of stages that ``probation-corpus run`` executes.
"""

from __future__ import annotations

from collections.abc import Callable

from pipeline.jobs.classify import classify_job
from pipeline.jobs.clean import clean_job
from pipeline.jobs.context import JobContext
from pipeline.jobs.dedupe import dedupe_job
from pipeline.jobs.embed import embed_job
from pipeline.jobs.ingest import ingest_job
from pipeline.jobs.segment import segment_job
from pipeline.jobs.topics import topics_job

Job = Callable[[JobContext], dict]

# name -> job, in run order. Later stages append here.
STAGES: dict[str, Job] = {
    "ingest": ingest_job,
    "clean": clean_job,
    "dedupe": dedupe_job,
    "segment": segment_job,
    "embed": embed_job,
    "topics": topics_job,
    "classify": classify_job,
}

__all__ = ["JobContext", "STAGES", "Job"]
