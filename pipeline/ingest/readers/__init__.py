"""The built-in readers, listed explicitly (the registry reads this list; importing a
reader module registers nothing)."""

from pipeline.ingest.readers import (
    blogger_export,
    blogger_feed_atom,
    blogger_feed_json,
    blogger_html,
    tabular,
    text_dump,
)

BUILTIN_READERS = (
    text_dump.READER,
    blogger_export.READER,
    blogger_feed_atom.READER,
    blogger_feed_json.READER,
    blogger_html.READER,
    tabular.READER,
)
