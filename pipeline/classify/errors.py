"""Errors of the classify stage a user can fix (one line: what went wrong, how to fix it).

All derive from :class:`pipeline.errors.UserError` (the CLI shows them as one line) and,
for callers written before, from ``ValueError``. Programming errors inside the stage stay
plain ``ValueError``/``AssertionError`` and keep their traceback.
"""

from __future__ import annotations

from pipeline.config import ConfigError
from pipeline.errors import UserError


class ClassifyError(UserError, ValueError):
    """Base of the classify stage's user errors."""


class ClassifySettingError(ClassifyError, ConfigError):
    """A ``[classify]`` setting (or theme table) that cannot be used."""


class ModelFolderError(ClassifyError):
    """A model folder that is missing, unreadable or made for another embedding model."""


class TrainingDataError(ClassifyError):
    """Too few (or no) coded documents to train or evaluate."""


class LabelError(ClassifyError):
    """A coded label that is not one of the guidelines' labels."""
