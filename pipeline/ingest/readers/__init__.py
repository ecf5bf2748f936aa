"""Built-in readers; importing this package registers them."""

from pipeline.ingest.readers import text_dump  # noqa: F401
from pipeline.ingest.readers import blogger_export  # noqa: F401
from pipeline.ingest.readers import blogger_feed_atom  # noqa: F401
from pipeline.ingest.readers import blogger_feed_json  # noqa: F401
from pipeline.ingest.readers import blogger_html  # noqa: F401
from pipeline.ingest.readers import tabular  # noqa: F401
