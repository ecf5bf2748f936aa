"""Data preparation for the report: small pure functions over the frames the store reads."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from pipeline.config import ConfigError

BINS = {"month": "M", "quarter": "Q", "year": "Y"}
STANCES = ("FAVOR", "AGAINST", "NONE")
SENTIMENTS = ("NEGATIVE", "NEUTRAL", "POSITIVE")


def bin_periods(periods: pd.Series, time_bin: str) -> pd.Series:
    """Dates to the first day of their month, quarter or year."""
    if time_bin not in BINS:
        raise ConfigError(f"report.time_bin must be one of {', '.join(BINS)}, not {time_bin!r}")
    return pd.to_datetime(periods).dt.to_period(BINS[time_bin]).dt.start_time


def volume_series(df: pd.DataFrame, time_bin: str) -> pd.DataFrame:
    """Posts and comments per period: columns ``period``, ``post``, ``comment`` (0 where none)."""
    if df.empty:
        return pd.DataFrame(columns=["period", "post", "comment"])
    d = df.assign(period=bin_periods(df["period"], time_bin))
    wide = d.pivot_table(index="period", columns="kind", values="n", aggfunc="sum", fill_value=0)
    wide = wide.reindex(columns=["post", "comment"], fill_value=0).astype(int)
    return wide.reset_index()


def topic_shares(df: pd.DataFrame, time_bin: str, top_n: int) -> pd.DataFrame:
    """Share of each period's documents per topic: the ``top_n`` largest topics by name, the
    rest as 'other topics', outliers (topic -1) as 'no topic'. Columns: period, topic, n, share."""
    if df.empty:
        return pd.DataFrame(columns=["period", "topic", "n", "share"])
    d = df.assign(period=bin_periods(df["period"], time_bin))
    sizes = d[d["topic_id"] >= 0].groupby(["topic_id", "label"])["n"].sum().sort_values(ascending=False)
    keep = {tid: f"{tid}: {label}" for tid, label in list(sizes.index)[:max(top_n, 0)]}
    d["topic"] = [keep.get(t, "no topic" if t < 0 else "other topics") for t in d["topic_id"]]
    out = d.groupby(["period", "topic"], as_index=False)["n"].sum()
    out["share"] = out["n"] / out.groupby("period")["n"].transform("sum")
    order = {name: i for i, name in enumerate([*keep.values(), "other topics", "no topic"])}
    return out.sort_values(["period", "topic"], key=lambda s: s.map(order) if s.name == "topic" else s,
                           ignore_index=True)


def stance_series(df: pd.DataFrame) -> pd.DataFrame:
    """Per theme and year: FAVOR, AGAINST, NONE counts, their total and the net stance
    ``(FAVOR - AGAINST) / total`` (-1 all against, +1 all in favour)."""
    cols = ["theme", "period", *STANCES, "total", "net"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    wide = df.pivot_table(index=["theme", "period"], columns="stance", values="n", aggfunc="sum", fill_value=0)
    wide = wide.reindex(columns=list(STANCES), fill_value=0).astype(int).reset_index()
    wide["total"] = wide[list(STANCES)].sum(axis=1)
    wide["net"] = (wide["FAVOR"] - wide["AGAINST"]) / wide["total"]
    return wide[cols]


def sentiment_shares(df: pd.DataFrame) -> pd.DataFrame:
    """Per theme: documents and share by sentiment label. Columns: theme, label, n, share, total."""
    if df.empty:
        return pd.DataFrame(columns=["theme", "label", "n", "share", "total"])
    full = pd.MultiIndex.from_product([sorted(df["theme"].unique()), SENTIMENTS], names=["theme", "label"])
    out = df.groupby(["theme", "label"])["n"].sum().reindex(full, fill_value=0).reset_index()
    out["total"] = out.groupby("theme")["n"].transform("sum")
    out["share"] = out["n"] / out["total"]
    return out


@dataclass
class ReportData:
    """Everything the page shows, already prepared."""

    title: str
    generated_at: str
    database: str
    counts: dict
    time_bin: str
    volume: pd.DataFrame
    undated: int
    topics: pd.DataFrame
    stance: pd.DataFrame
    sentiment: pd.DataFrame
    quotes: pd.DataFrame
    quote_max_chars: int
    evaluations: pd.DataFrame
    sources: pd.DataFrame
    quarantine: pd.DataFrame
    runs: pd.DataFrame
    notes: list[str] = field(default_factory=list)
