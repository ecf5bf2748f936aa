"""Themes, stance and sentiment of each document's own words.

Pure library: taxonomy (``taxonomy``), seed-term matching (``phrases``), embedding
similarity (``similarity``), the supervised models (``themes``, ``sentiment``,
``stance``), the zero-shot NLI backend (``nli``), metrics and cross-validation
(``metrics``, ``training``), model folders (``persist``) and applying it all
(``apply``). No database, Prefect or CLI code here.
"""

from pipeline.classify.labels import SENTIMENTS, STANCES
from pipeline.classify.taxonomy import Taxonomy, Theme, taxonomy_from_config

__all__ = ["SENTIMENTS", "STANCES", "Taxonomy", "Theme", "taxonomy_from_config"]
