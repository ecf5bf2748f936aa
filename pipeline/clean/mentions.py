"""References to other comments by their time, and their resolution. Pure.

Commenters on Blogger are mostly "Anonymous", so they point at each other by the time
Blogger shows under a comment: "@19:35", "Anon 16:13", "11:27 yesterday", "the post
at 08:46", "Anonymous 3 March 2022 at 14:05", or a paragraph opening "07:30.".
``extract_mentions`` finds them; ``resolve_mentions`` points each at the comment in
the same post published at that local time (the nearest earlier one).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pandas as pd

_MONTHS = {m: i for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september",
     "october", "november", "december"], 1)}
_T = r"(?P<h>[01]?\d|2[0-3])[:.](?P<m>[0-5]\d)(?!\d)"
_TC = r"(?P<h>[01]?\d|2[0-3]):(?P<m>[0-5]\d)(?!\d)"  # colon only, where a dot could be a decimal
_DAY = r"(?P<day>yesterday|today|last night|this morning|this afternoon|this evening)"
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # Blogger's own stamp copied: "Anonymous 3 March 2022 at 14:05"
    ("stamp", re.compile(
        r"(?-i:(?P<name>\b[A-Z][\w'’.]*(?:\s[A-Z][\w'’.]*)?))\s+(?P<d>\d{1,2})\s+(?P<mon>" + "|".join(_MONTHS)
        + r")\s+(?P<y>\d{4})\s+at\s+" + _TC, re.IGNORECASE)),
    ("at_sign", re.compile(r"@\s?" + _T + r"(?:\s+" + _DAY + r")?", re.IGNORECASE)),
    ("anon", re.compile(r"\b(?P<name>anon(?:ymous)?)\.?\s*(?:@|at)?\s*" + _T + r"(?:\s+" + _DAY + r")?",
                        re.IGNORECASE)),
    ("noun", re.compile(
        r"\b(?:comment|post|poster|commenter|contributor|contribution|message|entry)s?\s+(?:at|@|of)\s+"
        + _T + r"(?:\s+" + _DAY + r")?", re.IGNORECASE)),
    ("day", re.compile(r"(?<![\d:.])" + _T + r"\s+" + _DAY + r"\b", re.IGNORECASE)),
    ("line_start", re.compile(r"(?m)^" + _TC + r"(?=\s*[.,:;\-–—])")),
)


@dataclass(frozen=True)
class Mention:
    """One time reference. ``hour``/``minute`` are blog-local; ``on`` a date when the
    reference names one; ``days_back`` 1 for "yesterday", 0 for "today", None if unsaid."""

    raw: str
    start: int
    end: int
    hour: int
    minute: int
    pattern: str
    on: date | None = None
    days_back: int | None = None
    name: str | None = None


def extract_mentions(text: str) -> list[Mention]:
    """Every time reference in ``text``, in reading order; overlapping matches are
    reported once (the most specific pattern wins)."""
    found: list[Mention] = []
    taken: list[tuple[int, int]] = []
    for name, pat in _PATTERNS:
        for m in pat.finditer(text):
            s, e = m.span()
            if any(s < te and ts < e for ts, te in taken):
                continue
            g = m.groupdict()
            on = None
            if g.get("y"):
                try:
                    on = date(int(g["y"]), _MONTHS[g["mon"].lower()], int(g["d"]))
                except ValueError:
                    continue
            day = (g.get("day") or "").lower()
            days_back = 1 if day in ("yesterday", "last night") else (0 if day else None)
            found.append(Mention(m.group(0), s, e, int(g["h"]), int(g["m"]), name, on, days_back,
                                 g.get("name")))
            taken.append((s, e))
    return sorted(found, key=lambda x: x.start)


def local_time(ts: datetime, tz: str) -> datetime:
    """A naive-UTC timestamp as naive blog-local time."""
    return ts.replace(tzinfo=timezone.utc).astimezone(ZoneInfo(tz)).replace(tzinfo=None)


def resolve_mentions(mentions: pd.DataFrame, comments: pd.DataFrame, tz: str) -> pd.Series:
    """The ``target_doc_id`` of each mention (None where it cannot be known).

    ``mentions`` has ``doc_id, post_id, hour, minute, on, days_back`` and the
    mentioning document's ``published_at`` (naive UTC) and ``date_only``; ``comments``
    has ``doc_id, post_id, published_at, date_only``. A target is a comment of the
    same post, not the mentioning one, whose local time shows that hour and minute:
    on the named day if there is one, else the nearest published before the
    mentioning comment. Comments without a precise time (text copies) never match.
    """
    if mentions.empty:
        return pd.Series([], dtype="object", index=mentions.index)
    timed = comments[comments["published_at"].notna() & ~comments["date_only"].astype(bool)]
    by_post: dict[str, list[tuple[datetime, str]]] = {}
    for row in timed.itertuples(index=False):
        by_post.setdefault(row.post_id, []).append((local_time(row.published_at.to_pydatetime(), tz), row.doc_id))
    out: list[str | None] = []
    for row in mentions.itertuples(index=False):
        cands = [(t, d) for t, d in by_post.get(row.post_id, ())
                 if d != row.doc_id and t.hour == row.hour and t.minute == row.minute]
        me = None
        if row.published_at is not None and not pd.isna(row.published_at) and not bool(row.date_only):
            me = local_time(pd.Timestamp(row.published_at).to_pydatetime(), tz)
        if row.on is not None and not pd.isna(row.on):
            cands = [(t, d) for t, d in cands if t.date() == pd.Timestamp(row.on).date()]
        elif row.days_back is not None and not pd.isna(row.days_back) and me is not None:
            want = me.date() - timedelta(days=int(row.days_back))
            cands = [(t, d) for t, d in cands if t.date() == want]
        if me is not None:
            cands = [(t, d) for t, d in cands if t <= me]
        out.append(max(cands)[1] if cands else None)
    return pd.Series(out, dtype="object", index=mentions.index)


__all__ = ["Mention", "extract_mentions", "resolve_mentions", "local_time"]
