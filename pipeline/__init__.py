"""probation-corpus: the 'On Probation' blog as a studyable corpus.

Functional core: one package per stage (``pipeline.ingest``, ``pipeline.clean``, ...)
made of pure functions over plain records / DataFrames. Imperative shell:
``pipeline.store`` (the only DuckDB code), ``pipeline.flows`` (the only Prefect code),
``pipeline.jobs`` (read store -> call library -> write store, per stage) and
``pipeline.cli`` (a thin shell over ``pipeline.api``).
"""

__version__ = "0.1.0"
