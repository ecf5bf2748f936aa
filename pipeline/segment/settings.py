"""The segment stage's settings from a loaded config: ``[segment]`` (every key a field of
:class:`SegmentOptions`), the sign-off settings of ``[clean]`` and the paragraph
classifier ``segment.classifier_model`` names."""

from __future__ import annotations

from pipeline.clean.settings import CleanSettings
from pipeline.config import Config, resolve_path
from pipeline.segment.core import SegmentOptions
from pipeline.segment.features import ParagraphModel, load_model
from pipeline.settings import typed


def load_classifier(path: str) -> ParagraphModel | None:
    """The paragraph classifier stored at ``path`` (``segment.classifier_model``; None when "")."""
    path = path.strip()
    return load_model(resolve_path(path)) if path else None


def segment_options(config: Config) -> SegmentOptions:
    """``SegmentOptions`` from a loaded config."""
    section = config.section("segment")
    clean = typed(config, CleanSettings)
    return SegmentOptions.from_config(section, clean.signoff_options(),
                                      classifier=load_classifier(str(section["classifier_model"])))
