"""Built-in readers; importing this package registers them."""

from pipeline.ingest.readers import text_dump  # noqa: F401
