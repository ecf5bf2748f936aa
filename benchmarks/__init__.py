"""Benchmarks: each prints its figures and compares against a baseline in the same run
(ratios, not absolute seconds: these machines are noisy). Run all with
``python -m benchmarks`` (or ``make bench``), one with ``python -m benchmarks.<name>``."""
