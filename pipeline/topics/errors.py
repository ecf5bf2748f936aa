"""The topic stage's user error."""

from __future__ import annotations

from pipeline.errors import UserError


class TopicsError(UserError, ValueError):
    """Topic modelling cannot go on; the message is one line and says why."""
