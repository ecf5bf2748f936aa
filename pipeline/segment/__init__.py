"""Segment stage: each document's own words vs quoted (another commenter's words, a
short quotation) and pasted (letter, press release, article, tweet) text, with
character offsets and the source document where the corpus holds it. Pure."""

from pipeline.segment.core import (
    KIND_NAMES,
    DocInput,
    Match,
    Segment,
    Segmentation,
    SegmentOptions,
    looks_own,
    segment_document,
)
from pipeline.segment.frame import OWN_COLUMNS, SEGMENT_COLUMNS, segment_frame
from pipeline.segment.quotes import QuoteSpan, quote_spans

# Bump when segmentation logic changes: stored segmentations made by another version are
# redone on the next run.
LOGIC_VERSION = 2

__all__ = ["LOGIC_VERSION", "KIND_NAMES", "DocInput", "Match", "Segment", "Segmentation", "SegmentOptions", "looks_own",
           "segment_document", "QuoteSpan", "quote_spans", "segment_frame", "SEGMENT_COLUMNS", "OWN_COLUMNS"]
