"""Ingest stage: readers for every form the blog comes in, and id assignment.

Pure except for reading the input files themselves. Never imports duckdb or prefect.
"""

from pipeline.ingest.core import InputOutcome, iter_input_files, read_bytes, read_input
from pipeline.ingest.ids import assign_ids, post_key, post_keys_of, resolve_outside
from pipeline.ingest.registry import ReadContext, Reader, all_readers, choose_reader, register

__all__ = [
    "InputOutcome", "iter_input_files", "read_bytes", "read_input", "assign_ids", "post_key", "post_keys_of", "resolve_outside",
    "all_readers", "ReadContext", "Reader", "choose_reader", "register",
]
