"""The segment stage's rules as they were before issue 9 (LOGIC_VERSION 1), frozen
here as the baseline that ``benchmarks/segment_eval.py`` scores beside today's rules.
A verbatim copy of ``pipeline/segment/core.py`` and ``frame.py`` at that version; not
used by the pipeline."""
