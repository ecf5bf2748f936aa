"""Cells and citations as text: missing values never print as nan, NaT or None."""

from __future__ import annotations

import html
import math
from typing import Any

import pandas as pd


def missing(value: Any) -> bool:
    """None, NaN, NaT or pandas' NA."""
    if value is None:
        return True
    try:
        result = pd.isna(value)
    except (TypeError, ValueError):
        return False
    return bool(result) if getattr(result, "ndim", 0) == 0 and not isinstance(result, (list, tuple)) else False


def cell(value: Any, digits: int = 3) -> str:
    """A value as plain text: missing -> '', floats rounded, timestamps ISO (date only at midnight)."""
    if missing(value):
        return ""
    if isinstance(value, float):
        return str(value) if math.isinf(value) else f"{value:.{digits}f}"
    if hasattr(value, "isoformat"):
        if hasattr(value, "hour"):
            if (value.hour, value.minute, value.second) == (0, 0, 0):
                return value.date().isoformat()
            return value.isoformat(sep=" ", timespec="minutes")
        return value.isoformat()
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            return cell(value.item(), digits)
        except (ValueError, AttributeError):
            pass
    return str(value)


def esc(value: Any, digits: int = 3) -> str:
    """A value as escaped HTML text."""
    return html.escape(cell(value, digits), quote=True)


def day(value: Any) -> str:
    """A date as '12 March 2019'; '' when missing."""
    if missing(value) or not hasattr(value, "strftime"):
        return ""
    return f"{value.day} {value.strftime('%B %Y')}"


def citation(pseudonym: Any, published_at: Any, post_title: Any, permalink: Any, kind: Any = "comment") -> str:
    """A formatted citation: pseudonym, date, post title, permalink (missing parts left out)."""
    who = cell(pseudonym) or "Anonymous"
    what = "comment on" if cell(kind) == "comment" else "post"
    title = cell(post_title)
    parts = [who, day(published_at) or "undated",
             f'{what} "{title}"' if title else ("comment" if what == "comment on" else "untitled post"),
             "On Probation blog"]
    link = cell(permalink)
    return ", ".join(parts) + (f", {link}" if link else "")


def shorten(text: Any, max_chars: int) -> str:
    """At most ``max_chars`` characters, cut at a word with an ellipsis; '' when missing."""
    s = cell(text)
    if max_chars <= 0 or len(s) <= max_chars:
        return s
    cut = s[:max_chars].rsplit(" ", 1)[0]
    return (cut or s[:max_chars]).rstrip(" ,;:") + "…"
