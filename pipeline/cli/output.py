"""One output helper for every command's ``--format``.

Commands build ``(columns, rows)`` or a DataFrame and call :func:`emit`; ``format_option``
adds the ``--format`` option with the formats a command supports.
"""

from __future__ import annotations

import csv
import json
import math
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TextIO

import click

TABULAR_FORMATS = ("table", "csv", "json")


def format_option(*formats: str, default: str | None = None) -> Callable:
    """``--format`` with the given choices (default: table, csv, json; first is default)."""
    choices = formats or TABULAR_FORMATS
    return click.option("--format", "fmt", type=click.Choice(list(choices)), default=default or choices[0],
                        show_default=True, help="Output format.")


def is_missing(value: Any) -> bool:
    """None, NaN, NaT and pandas' NA (scalars only; a list is never missing)."""
    if value is None:
        return True
    if isinstance(value, (list, tuple, dict, set, str, bytes)):
        return False
    try:
        import pandas as pd

        return bool(pd.isna(value)) if pd.api.types.is_scalar(value) else False
    except (TypeError, ValueError):
        return False


def display(value: Any) -> str:
    """A cell as text: missing values (None, NaN, NaT, NA) are empty, never 'nan' or 'None'."""
    if is_missing(value):
        return ""
    if isinstance(value, float) and math.isinf(value):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat()
    return str(value)


def jsonable(value: Any) -> Any:
    """A cell for JSON: missing values become null; timestamps ISO strings; numpy scalars plain."""
    if is_missing(value):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item") and not isinstance(value, (list, dict, str)):
        try:
            return value.item()
        except (ValueError, AttributeError):
            pass
    if hasattr(value, "tolist"):
        return value.tolist()
    return value


def frame_rows(df) -> tuple[list[str], list[tuple]]:
    """A DataFrame as ``(columns, rows)``."""
    return [str(c) for c in df.columns], [tuple(r) for r in df.itertuples(index=False, name=None)]


def emit(columns: Sequence[str], rows: Iterable[Sequence[Any]], fmt: str = "table",
         out: TextIO | None = None, title: str | None = None) -> None:
    """Write rows as an aligned table (rich), CSV or JSON (a list of objects)."""
    out = out or sys.stdout
    rows = list(rows)
    if fmt == "csv":
        w = csv.writer(out, lineterminator="\n")
        w.writerow(columns)
        w.writerows([display(v) for v in r] for r in rows)
    elif fmt == "json":
        out.write(json.dumps([{c: jsonable(v) for c, v in zip(columns, r)} for r in rows],
                             ensure_ascii=False, default=str) + "\n")
    elif fmt == "table":
        from rich.console import Console
        from rich.table import Table

        t = Table(*columns, title=title)
        for r in rows:
            t.add_row(*(display(v) for v in r))
        Console(file=out).print(t)
    else:
        raise click.BadParameter(f"unknown format {fmt!r}; choose from {', '.join(TABULAR_FORMATS)}")


def emit_frame(df, fmt: str = "table", out: TextIO | None = None, title: str | None = None) -> None:
    cols, rows = frame_rows(df)
    emit(cols, rows, fmt, out, title)
