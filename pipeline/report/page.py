"""The report as one self-contained HTML page: plotly's JavaScript inlined once, each chart a
div drawn by a small inline script, every text from the corpus escaped. Nothing is fetched
(no CDN, no web fonts)."""

from __future__ import annotations

import json

import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from pipeline.report.data import SENTIMENTS, ReportData
from pipeline.report.text import cell, citation, day, esc, missing, shorten

COLOURS = {"post": "#1f5f8b", "comment": "#e08a2c", "FAVOR": "#2e8b57", "AGAINST": "#c0392b",
           "NONE": "#9aa0a6", "NEGATIVE": "#c0392b", "NEUTRAL": "#9aa0a6", "POSITIVE": "#2e8b57"}
PLOT_CONFIG = {"displaylogo": False, "responsive": True, "showLink": False,
               "modeBarButtonsToRemove": ["sendDataToCloud"]}

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:0;color:#1d232a;background:#f6f7f9}
header{background:#1f3b57;color:#fff;padding:1.4rem 2rem}header h1{margin:0 0 .3rem;font-size:1.6rem}
header p{margin:.1rem 0;opacity:.9}main{max-width:1100px;margin:0 auto;padding:1rem 2rem 3rem}
section{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.08);padding:1rem 1.4rem;margin:1.2rem 0}
h2{font-size:1.25rem;margin:.2rem 0 .6rem}h3{font-size:1.05rem;margin:1rem 0 .4rem}
nav a{margin-right:1rem;color:#fff}.figs{display:flex;gap:1rem;flex-wrap:wrap}
.kpi{display:inline-block;margin:0 1.6rem .4rem 0}.kpi b{display:block;font-size:1.5rem}
table{border-collapse:collapse;width:100%;font-size:.88rem}th,td{border-bottom:1px solid #e3e6ea;padding:.3rem .45rem;text-align:left;vertical-align:top}
th{background:#f0f2f5}td.num{text-align:right;font-variant-numeric:tabular-nums}
blockquote{margin:.6rem 0 .2rem;padding:.5rem .9rem;border-left:4px solid #1f5f8b;background:#f3f6f9;white-space:pre-wrap}
.source{font-size:.85rem;color:#4a5561;margin:0 0 .9rem .2rem}.note{color:#5b6670;font-size:.9rem}
.plot{width:100%;min-height:380px}figure{margin:0}figcaption{font-size:.85rem;color:#5b6670}
.wrap{overflow-x:auto}code{font-size:.85em}
"""


def _json(obj) -> str:
    """JSON safe inside a <script> element."""
    return (obj if isinstance(obj, str) else json.dumps(obj)).replace("</", "<\\/").replace("<!--", "<\\!--")


def chart(chart_id: str, fig: go.Figure, caption: str) -> str:
    fig.update_layout(margin={"l": 50, "r": 20, "t": 40, "b": 40}, template="plotly_white",
                      font={"family": "system-ui, sans-serif"}, legend={"orientation": "h", "y": -0.15})
    return (f'<figure class="chart" data-chart="{esc(chart_id)}"><div id="chart-{esc(chart_id)}" class="plot">'
            f'</div><script>(function(){{var f={_json(fig.to_json())};'
            f'Plotly.newPlot("chart-{esc(chart_id)}",f.data,f.layout,{_json(PLOT_CONFIG)});}})();</script>'
            f"<figcaption>{esc(caption)}</figcaption></figure>")


def _label(text: str) -> str:
    """Text shown inside a chart (plotly reads a few HTML tags): escaped."""
    return esc(text)


def volume_chart(df: pd.DataFrame, time_bin: str) -> go.Figure:
    fig = go.Figure()
    for kind, name in (("post", "posts"), ("comment", "comments")):
        fig.add_bar(x=df["period"], y=df[kind], name=name, marker_color=COLOURS[kind])
    fig.update_layout(barmode="stack", title=f"Posts and comments per {time_bin}", yaxis_title="documents")
    return fig


def topics_chart(df: pd.DataFrame, time_bin: str) -> go.Figure:
    fig = go.Figure()
    for topic, g in df.groupby("topic", sort=False):
        fig.add_scatter(x=g["period"], y=g["share"], name=_label(str(topic)), mode="lines", stackgroup="one",
                        customdata=g["n"], hovertemplate="%{y:.0%} (%{customdata} documents)")
    fig.update_layout(title=f"Topics over time (share of each {time_bin}'s documents)",
                      yaxis={"tickformat": ".0%", "range": [0, 1]}, legend={"font": {"size": 10}})
    return fig


def stance_chart(df: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    for theme, g in df.groupby("theme"):
        fig.add_scatter(x=g["period"], y=g["net"], name=_label(str(theme)), mode="lines+markers",
                        customdata=g[["FAVOR", "AGAINST", "NONE"]].to_numpy(),
                        hovertemplate="net %{y:+.2f}: %{customdata[0]} favour, %{customdata[1]} against, "
                                      "%{customdata[2]} none")
    fig.add_hline(y=0, line_color="#888", line_width=1)
    fig.update_layout(title="Stance by theme over time (net: share in favour minus share against)",
                      yaxis={"range": [-1.05, 1.05], "title": "net stance toward the theme's target"})
    return fig


def sentiment_chart(df: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    for label in SENTIMENTS:
        g = df[df["label"] == label]
        fig.add_bar(y=[_label(t) for t in g["theme"]], x=g["share"], name=label.lower(), orientation="h",
                    marker_color=COLOURS[label], customdata=g[["n", "total"]].to_numpy(),
                    hovertemplate="%{x:.0%} (%{customdata[0]} of %{customdata[1]})")
    fig.update_layout(barmode="stack", title="Sentiment of the own words, by theme",
                      xaxis={"tickformat": ".0%", "range": [0, 1]})
    return fig


def table(df: pd.DataFrame, columns: dict[str, str], numeric: tuple[str, ...] = (), max_rows: int = 0) -> str:
    """An HTML table of the named columns (header labels given), every cell escaped."""
    rows = df if not max_rows else df.head(max_rows)
    head = "".join(f"<th>{esc(label)}</th>" for label in columns.values())
    body = []
    for r in rows.itertuples(index=False):
        rec = r._asdict()
        body.append("<tr>" + "".join(
            f'<td class="num">{esc(rec[c])}</td>' if c in numeric else f"<td>{esc(rec[c])}</td>"
            for c in columns) + "</tr>")
    more = (f'<p class="note">{len(df) - len(rows)} more rows in the database.</p>'
            if max_rows and len(df) > len(rows) else "")
    return f'<div class="wrap"><table><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>{more}'


def quotes_section(df: pd.DataFrame, max_chars: int) -> str:
    if df.empty:
        return '<p class="note">No quotes yet: run the classify stage (`probation-corpus run`).</p>'
    out = []
    for theme, g in df.groupby("theme", sort=True):
        out.append(f'<h3 id="quotes-{esc(theme)}">{esc(theme)}</h3>')
        for r in g.itertuples(index=False):
            when = day(r.published_at) or "undated"
            if not missing(r.date_is_post_date) and bool(r.date_is_post_date) and when != "undated":
                when += " (post date)"
            link = cell(r.permalink)
            link_html = (f'<a href="{esc(link)}" rel="noopener noreferrer">{esc(link)}</a>' if link
                         else "no permalink")
            out.append(f"<blockquote>{esc(shorten(r.quote, max_chars))}</blockquote>"
                       f'<p class="source">— {esc(cell(r.pseudonym) or "Anonymous")}, {esc(when)}, on '
                       f'“{esc(cell(r.post_title) or "untitled post")}”, {link_html} '
                       f'<span class="note">({esc(r.stance)}, {esc(r.kind)})</span></p>')
    return "".join(out)


def _n(n, noun: str) -> str:
    return f"{esc(n)} {noun}{'' if n == 1 else 's'}"


def _or_note(frame: pd.DataFrame, html: str, note: str) -> str:
    return html if not frame.empty else f'<p class="note">{esc(note)}</p>'


def render(data: ReportData) -> str:
    """The whole page."""
    c = data.counts
    span = f"{day(c.get('first')) or 'no dates'} to {day(c.get('last')) or 'no dates'}"
    charts = []
    if not data.volume.empty:
        charts.append(("volume", chart("volume", volume_chart(data.volume, data.time_bin),
                                       "Comments without a time of their own count at their post's date"
                                       + (f"; {data.undated} documents with no date at all are not shown."
                                          if data.undated else "."))))
    if not data.topics.empty:
        charts.append(("topics", chart("topics", topics_chart(data.topics, data.time_bin),
                                       "Current topic model (topics_over_time): the largest topics by name, the rest "
                                       "grouped; documents without a date of their own are left out.")))
    if not data.stance.empty:
        charts.append(("stance", chart("stance", stance_chart(data.stance),
                                       "Latest classify run; one point per theme and year (comments dated as above).")))
    if not data.sentiment.empty:
        charts.append(("sentiment", chart("sentiment", sentiment_chart(data.sentiment),
                                          "Latest classify run, default sentiment method.")))
    chart_html = {k: v for k, v in charts}
    missing_note = '<p class="note">No data yet for this chart: run `probation-corpus run`.</p>'
    ev = data.evaluations
    notes = "".join(f'<p class="note">{esc(n)}</p>' for n in data.notes)
    body = f"""
<header><h1>{esc(data.title)}</h1>
<p>{_n(c.get('posts', 0), 'post')} and {_n(c.get('comments', 0), 'comment')}, {esc(span)}.
Generated {esc(data.generated_at)} from <code>{esc(data.database)}</code> (schema v{esc(c.get('schema_version'))}).</p>
<nav><a href="#volume">Volume</a><a href="#topics">Topics</a><a href="#stance">Stance</a><a href="#sentiment">Sentiment</a>
<a href="#quotes">Quotes</a><a href="#accuracy">Label accuracy</a><a href="#provenance">Provenance</a></nav></header>
<main>{notes}
<section id="volume"><h2>Volume over time</h2>{chart_html.get('volume', missing_note)}</section>
<section id="topics"><h2>Topics over time</h2>{chart_html.get('topics', missing_note)}</section>
<section id="stance"><h2>Stance by theme over time</h2>{chart_html.get('stance', missing_note)}</section>
<section id="sentiment"><h2>Sentiment by theme</h2>{chart_html.get('sentiment', missing_note)}</section>
<section id="quotes"><h2>Top quotes per theme</h2>
<p class="note">Own words only, most confident first (as <code>probation-corpus quotes</code>); each with its
pseudonym, date, post and permalink.</p>{quotes_section(data.quotes, data.quote_max_chars)}</section>
<section id="accuracy"><h2>Label accuracy</h2>
<p class="note">Cross-validated against human codes (<code>model_evaluations</code>, latest evaluation per model
kind). Read these before citing a label.</p>
{_or_note(ev, table(ev, {"model_kind": "model", "method": "method", "macro_f1": "macro-F1", "micro_f1": "micro-F1",
                         "n_items": "items", "cv_folds": "folds", "run_id": "run", "created_at": "evaluated"},
                    numeric=("macro_f1", "micro_f1", "n_items", "cv_folds")),
          "No evaluations yet: import codes (`probation-corpus annotate import`) and run `probation-corpus evaluate`.")}
</section>
<section id="provenance"><h2>Provenance</h2>
<h3>Sources ({len(data.sources)})</h3>
{_or_note(data.sources, table(data.sources, {"path_or_url": "source", "format": "format", "documents": "documents",
          "declared_comments": "declared comments", "parsed_comments": "parsed comments", "warnings": "warnings",
          "ingested_at": "ingested", "sha256": "sha256"}, numeric=("documents", "declared_comments",
          "parsed_comments", "warnings")), "No sources ingested.")}
<h3>Quarantine ({len(data.quarantine)})</h3>
{_or_note(data.quarantine, table(data.quarantine, {"source": "source", "locator": "where", "code": "code",
          "reason": "reason", "at": "at"}, max_rows=200), "Nothing quarantined: every input was used.")}
<h3>Runs (latest {len(data.runs)})</h3>
{_or_note(data.runs, table(data.runs, {"run_id": "run", "flow": "flow", "started_at": "started",
          "finished_at": "finished", "status": "status", "code_version": "code version"}), "No runs recorded.")}
</section></main>"""
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{esc(data.title)}</title><style>{CSS}</style>"
            f'<script type="text/javascript">{get_plotlyjs()}</script></head><body>{body}</body></html>\n')


def chart_ids(data: ReportData) -> list[str]:
    """The charts the page draws (those with data)."""
    frames = {"volume": data.volume, "topics": data.topics, "stance": data.stance, "sentiment": data.sentiment}
    return [k for k, f in frames.items() if not f.empty]


__all__ = ["render", "chart_ids", "citation"]
