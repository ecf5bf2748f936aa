"""Quote sets as Markdown or Word (python-docx): one block quote per quote, a source line
under it, the comment it answers and flagged names where asked. Pure: takes the rows of
:func:`pipeline.quotes.select.publication_frame` and returns text or a Document."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from pipeline.quotes.build import ELISION


def header_lines(selection: Mapping[str, Any], n: int, min_confidence: float, pseudonymised: bool,
                 sampled: tuple[int, int] | None = None, citable_only: bool = False) -> list[str]:
    """What the set is: the filters, the confidence floor, how rows were chosen."""
    chosen = ", ".join(f"{k} {v}" for k, v in selection.items() if v not in (None, "", False, 0)) or "all themes"
    lines = [f"{n} quote{'s' if n != 1 else ''} ({chosen}).",
             f"Labels at least {min_confidence:.2f} confident (quotes.min_confidence or --min-confidence)"
             + ("; only labels whose calibrated precision on real blog text is at least 0.8 "
                "(label_quality; --all-labels for every label)." if citable_only else "."),
             (f"A random sample of {sampled[0]} (seed {sampled[1]})." if sampled else "Most confident first."),
             f"Each quote is the author's words exactly as written; {ELISION} marks words left out "
             "(someone else's, or a fragment)."]
    if pseudonymised:
        lines.append("Authors are pseudonymised (keyed hash; the key is not in this file): "
                     "[Author-…] in a quote replaces a handle.")
    return lines


def source_line(row: Mapping[str, Any]) -> str:
    """``— author, date, on “post title”, permalink (theme, stance)``."""
    parts = [str(row["pseudonym"]), str(row["date"]), f"on “{row['post_title']}”"]
    if row.get("permalink"):
        parts.append(str(row["permalink"]))
    labels = f"{row['theme']} {row['theme_score']:.2f}" if row.get("theme_score") is not None else str(row["theme"])
    if row.get("stance"):
        labels += f", stance {row['stance']}"
    return "— " + ", ".join(parts) + f" ({labels})"


def context_line(row: Mapping[str, Any]) -> str | None:
    """``In reply to author (comment): “first sentence”`` (None for a post)."""
    if not row.get("context_author") and not row.get("context_text"):
        return None
    what = row.get("context_kind") or "comment"
    text = f": “{row['context_text']}”" if row.get("context_text") else ""
    return f"In reply to {row['context_author']} ({what}){text}"


def names_note(row: Mapping[str, Any]) -> str | None:
    names = list(row.get("names_flagged") or [])
    if not names:
        return None
    return "Names of people in this quote: " + ", ".join(names) + " (check before publishing)."


def _records(df: pd.DataFrame) -> list[dict]:
    return df.to_dict("records")


def to_markdown(df: pd.DataFrame, header: Sequence[str], context: bool = False) -> str:
    """Markdown: the header as a note, then per quote a block quote, its source line,
    the context and flagged names."""
    out = ["\n".join(f"*{h}*" for h in header), ""]
    for r in _records(df):
        out.append("\n".join("> " + line if line else ">" for line in str(r["quote"]).splitlines()))
        out.append("")
        out.append(source_line(r))
        extra = [x for x in ((context_line(r) if context else None), names_note(r)) if x]
        for x in extra:
            out.append("")
            out.append(f"*{x}*")
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def to_docx(df: pd.DataFrame, header: Sequence[str], context: bool = False, title: str = "Quotes"):
    """A python-docx Document: a title, the header, then per quote a paragraph in the
    ``Quote`` style (one per paragraph of the quote), a source line under it, and the
    context and flagged names as notes."""
    from docx import Document
    from docx.shared import Pt

    doc = Document()
    doc.add_heading(title, level=1)
    for h in header:
        doc.add_paragraph(h).runs[0].italic = True
    for r in _records(df):
        for para in [p for p in str(r["quote"]).split("\n\n") if p.strip()]:
            block = doc.add_paragraph(style="Quote")
            for i, line in enumerate(para.split("\n")):
                if i:
                    block.add_run().add_break()
                block.add_run(line)

        src = doc.add_paragraph(source_line(r))
        src.runs[0].font.size = Pt(9)
        for x in ((context_line(r) if context else None), names_note(r)):
            if x:
                note = doc.add_paragraph(x)
                note.runs[0].italic = True
                note.runs[0].font.size = Pt(9)
    return doc


__all__ = ["context_line", "header_lines", "names_note", "source_line", "to_docx", "to_markdown"]
