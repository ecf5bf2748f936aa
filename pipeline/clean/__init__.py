"""Clean stage: Unicode repair, whitespace, page furniture; links, time mentions and
sign-off pseudonyms. Pure functions over strings and DataFrames (no database code)."""

from pipeline.clean.frame import CleanResult, clean_frame
from pipeline.clean.links import Link, domain_of, extract_links, url_line_spans
from pipeline.clean.mentions import Mention, extract_mentions, local_time, resolve_mentions
from pipeline.clean.signoff import Signoff, SignoffOptions, find_signoff, is_anonymous
from pipeline.clean.text import (
    CleanOptions,
    clean_text,
    normalise_whitespace,
    repair_unicode,
    strip_furniture,
)

# Bump when cleaning logic changes: documents cleaned by another version are cleaned again.
LOGIC_VERSION = 1

__all__ = [
    "LOGIC_VERSION", "CleanResult", "clean_frame", "Link", "domain_of", "extract_links", "url_line_spans", "Mention",
    "extract_mentions", "local_time", "resolve_mentions", "Signoff", "SignoffOptions", "find_signoff",
    "is_anonymous", "CleanOptions", "clean_text", "normalise_whitespace", "repair_unicode", "strip_furniture",
]
