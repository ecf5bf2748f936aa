"""Command line: a thin shell over ``pipeline.api``."""
