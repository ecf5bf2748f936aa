"""The local explorer: a small read-only ASGI app over ``pipeline.api``.

Writers browse quotes by theme, stance, topic and date, open the whole thread around a
quote and copy a citation; academics run read-only SQL (``Corpus.sql``) and download the
result as CSV. Server-rendered HTML, a few lines of inline JavaScript, nothing fetched
from elsewhere. Every page only reads (GET); the database is opened read-only per request.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from urllib.parse import urlencode

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pipeline.api import Corpus
from pipeline.cli.output import emit
from pipeline.config import Config
from pipeline.errors import UserError
from pipeline.report.text import cell, citation, day, esc, missing
from pipeline.sections import ServeSettings
from pipeline.settings import typed

STANCES = ("FAVOR", "AGAINST", "NONE")

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:0;color:#1d232a;background:#f6f7f9}
header{background:#1f3b57;color:#fff;padding:.8rem 2rem}header a{color:#fff;margin-right:1.2rem;font-weight:600}
main{max-width:1050px;margin:0 auto;padding:1rem 2rem 3rem}form.filters{display:flex;gap:.8rem;flex-wrap:wrap;align-items:end}
label{display:flex;flex-direction:column;font-size:.8rem;color:#4a5561}select,input,textarea{font:inherit;padding:.25rem}
.card{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.08);padding:.8rem 1.1rem;margin:.9rem 0}
blockquote{margin:.2rem 0 .5rem;padding:.4rem .8rem;border-left:4px solid #1f5f8b;background:#f3f6f9;white-space:pre-wrap}
.meta{font-size:.85rem;color:#4a5561}.tag{display:inline-block;background:#e8edf3;border-radius:4px;padding:0 .35rem;margin-right:.3rem;font-size:.78rem}
button{font:inherit;cursor:pointer;padding:.2rem .6rem}.doc{white-space:pre-wrap;background:#fff;border-radius:6px;padding:.6rem .9rem;margin:.5rem 0;border:1px solid #e3e6ea}
.doc.highlight{border:2px solid #e08a2c;background:#fff8ef}.doc .who{font-weight:600;white-space:normal}
#status{position:sticky;top:0;background:#fff3cd;padding:.3rem .6rem;border-radius:4px;min-height:1.2em;font-size:.85rem}
#status:empty{display:none}.error{color:#a61b1b;font-weight:600}table{border-collapse:collapse;font-size:.85rem;background:#fff}
th,td{border:1px solid #e3e6ea;padding:.25rem .4rem;text-align:left;vertical-align:top}th{background:#f0f2f5}
.pager a{margin-right:1rem}
"""

JS = """
async function copyText(text){
  try{await navigator.clipboard.writeText(text);return true;}catch(e){
    const ta=document.createElement('textarea');ta.value=text;document.body.appendChild(ta);ta.select();
    let ok=false;try{ok=document.execCommand('copy');}catch(e2){}ta.remove();return ok;}
}
document.addEventListener('click',async function(ev){
  const b=ev.target.closest('button.cite');if(!b)return;
  const text=b.dataset.citation;const ok=await copyText(text);
  const s=document.getElementById('status');s.textContent=(ok?'Copied: ':'Copy this citation: ')+text;
  s.dataset.citation=text;
});
"""


def page(title: str, body: str, status: int = 200) -> HTMLResponse:
    html = (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{esc(title)}</title>'
            f"<style>{CSS}</style></head><body><header><a href=\"/quotes\">Quotes</a><a href=\"/sql\">SQL</a>"
            f'<span class="meta" style="color:#cfd8e3">probation-corpus explorer (read-only)</span></header>'
            f'<main><div id="status" role="status"></div>{body}</main><script>{JS}</script></body></html>')
    return HTMLResponse(html, status_code=status)


def _options(values, chosen, labels=None) -> str:
    out = ['<option value="">any</option>']
    for v in values:
        sel = " selected" if str(v) == str(chosen or "") else ""
        out.append(f'<option value="{esc(v)}"{sel}>{esc((labels or {}).get(v, v))}</option>')
    return "".join(out)


def _cite_button(r) -> str:
    text = citation(r["pseudonym"], r["published_at"], r["post_title"], r["permalink"], r["kind"])
    return f'<button class="cite" type="button" data-citation="{esc(text)}">Copy citation</button>'


def quote_card(r) -> str:
    when = day(r["published_at"]) or "undated"
    if not missing(r["date_is_post_date"]) and bool(r["date_is_post_date"]) and when != "undated":
        when += " (post date)"
    link = cell(r["permalink"])
    topic = (f'<span class="tag">topic {esc(r["topic_id"])}: {esc(r["topic_label"])}</span>'
             if not missing(r.get("topic_id")) else "")
    return (f'<div class="card quote" data-doc="{esc(r["doc_id"])}" data-theme="{esc(r["theme"])}"><blockquote>{esc(r["quote"])}</blockquote>'
            f'<div class="meta">— <b>{esc(cell(r["pseudonym"]) or "Anonymous")}</b>, {esc(when)}, on '
            f'“{esc(cell(r["post_title"]) or "untitled post")}” '
            + (f'<a href="{esc(link)}" rel="noopener noreferrer">permalink</a>' if link else "(no permalink)")
            + f'</div><div class="meta"><span class="tag">{esc(r["theme"])}</span><span class="tag">'
            f'{esc(r["stance"])}</span><span class="tag">{esc(r["sentiment"])}</span>{topic} '
            f'<a class="thread" href="/thread/{esc(r["doc_id"])}#{esc(r["doc_id"])}">open thread</a> '
            f"{_cite_button(r)}</div></div>")


def _date(value: str, name: str) -> str | None:
    """A YYYY-MM-DD filter value, or None when empty."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise UserError(f"{name} {value!r} is not a date", "use YYYY-MM-DD") from None


def _depths(df) -> dict[str, int]:
    parent = dict(zip(df["doc_id"], df["parent_id"]))
    depth: dict[str, int] = {}
    for doc in df["doc_id"]:
        d, cur, seen = 0, parent.get(doc), set()
        while isinstance(cur, str) and cur in parent and cur not in seen and d < 10:
            seen.add(cur)
            d += 1
            cur = parent.get(cur)
        depth[doc] = d
    return depth


def create_app(db: str | Path | None = None, config: Config | None = None) -> FastAPI:
    """The explorer over the database ``db`` (default ``paths.db``)."""
    corpus = Corpus(db, config)
    config = corpus.config
    corpus.status()  # fail now, in one line, if there is no database
    serve = typed(config, ServeSettings)
    page_size, max_rows = serve.page_size, serve.sql_max_rows
    app = FastAPI(title="probation-corpus explorer", docs_url=None, redoc_url=None, openapi_url=None)

    @app.exception_handler(UserError)
    async def user_error(request: Request, exc: UserError):
        return page("error", f'<p class="error">{esc(exc.one_line())}</p>', 400)

    @app.get("/")
    def home():
        return RedirectResponse("/quotes")

    @app.get("/quotes", response_class=HTMLResponse)
    def quotes(theme: str = "", stance: str = "", topic: str = "", since: str = "", until: str = "",
               page_no: int = Query(1, alias="page", ge=1)):
        facets = corpus.explore_facets()
        topic_id = int(topic) if topic.lstrip("-").isdigit() else None
        df, total = corpus.explore_quotes(theme or None, stance or None, topic_id, _date(since, "from"),
                                       _date(until, "to"),
                                       page_size, (page_no - 1) * page_size)
        labels = {tid: f"{tid}: {label}" for tid, label in facets["topics"]}
        form = (f'<form class="filters card" method="get" action="/quotes">'
                f'<label>theme<select name="theme">{_options(facets["themes"], theme)}</select></label>'
                f'<label>stance<select name="stance">{_options(STANCES, stance)}</select></label>'
                f'<label>topic<select name="topic">{_options([t for t, _ in facets["topics"]], topic, labels)}'
                f'</select></label><label>from<input type="date" name="since" value="{esc(since)}"></label>'
                f'<label>to<input type="date" name="until" value="{esc(until)}"></label>'
                f'<button type="submit">Show quotes</button></form>')
        shown = f"{total} quotes" + (f", page {page_no}" if total > page_size else "")
        cards = "".join(quote_card(r) for r in df.to_dict("records")) or '<p class="meta">No quote matches.</p>'
        args = {k: v for k, v in {"theme": theme, "stance": stance, "topic": topic, "since": since,
                                  "until": until}.items() if v}
        pager = []
        if page_no > 1:
            pager.append(f'<a href="/quotes?{esc(urlencode({**args, "page": page_no - 1}))}">previous</a>')
        if page_no * page_size < total:
            pager.append(f'<a href="/quotes?{esc(urlencode({**args, "page": page_no + 1}))}">next</a>')
        return page("Quotes", f'<h1>Quotes</h1>{form}<p class="meta" id="count">{esc(shown)}</p>{cards}'
                              f'<p class="pager">{"".join(pager)}</p>')

    @app.get("/thread/{doc_id}", response_class=HTMLResponse)
    def thread(doc_id: str):
        df = corpus.thread(doc_id)
        depth = _depths(df)
        post = df[df["kind"] == "post"]
        title = cell(post["title"].iloc[0]) if len(post) else "untitled post"
        docs = []
        post_date = post["published_at"].iloc[0] if len(post) else None
        post_url = cell(post["url"].iloc[0]) if len(post) else ""
        for r in df.to_dict("records"):
            mark = " highlight" if r["doc_id"] == doc_id else ""
            dated = not missing(r["published_at"])
            stamp = r["published_at"] if dated else post_date
            when = (cell(stamp) if dated and not r["date_only"] else day(stamp)) or "undated"
            if not dated and not missing(post_date):
                when += " (post date)"
            link = cell(r["url"])
            head = (f'<div class="who">{esc(r["pseudonym"])} · {esc(when)}'
                    + (f' · <a href="{esc(link)}" rel="noopener noreferrer">permalink</a>' if link else "")
                    + (" · " + _cite_button({"pseudonym": r["pseudonym"], "published_at": stamp,
                                             "post_title": title, "permalink": link or post_url,
                                             "kind": r["kind"]}))
                    + "</div>")
            docs.append(f'<article id="{esc(r["doc_id"])}" class="doc {esc(r["kind"])}{mark}" '
                        f'style="margin-left:{2 * depth[r["doc_id"]]}rem">{head}{esc(r["text"])}</article>')
        return page(title, f'<h1>{esc(title)}</h1><p class="meta">{len(df) - len(post)} comments; '
                           f'the quote you opened is highlighted.</p>{"".join(docs)}'
                           f'<script>var h=document.querySelector(".doc.highlight");'
                           f'if(h)h.scrollIntoView({{block:"center"}});</script>')

    def _run(q: str):
        return corpus.sql(q)

    @app.get("/sql", response_class=HTMLResponse)
    def sql(q: str = ""):
        result = ""
        if q.strip():
            try:
                cols, rows = _run(q)
            except UserError as exc:
                result = f'<p class="error" id="sql-error">{esc(exc.one_line())}</p>'
            else:
                head = "".join(f"<th>{esc(c)}</th>" for c in cols)
                body = "".join("<tr>" + "".join(f"<td>{esc(v)}</td>" for v in r) + "</tr>" for r in rows[:max_rows])
                more = (f'<p class="meta">Showing {max_rows} of {len(rows)} rows; the CSV has them all.</p>'
                        if len(rows) > max_rows else f'<p class="meta" id="rowcount">{len(rows)} rows</p>')
                result = (f'{more}<p><a id="csv" href="/sql.csv?{esc(urlencode({"q": q}))}" download>Download CSV</a>'
                          f'</p><div style="overflow-x:auto"><table id="result"><thead><tr>{head}</tr></thead>'
                          f"<tbody>{body}</tbody></table></div>")
        form = (f'<form method="get" action="/sql" class="card"><label>read-only SQL over the public views '
                f'(docs/schema.md)<textarea name="q" rows="5" cols="90">{esc(q)}</textarea></label>'
                f'<button type="submit">Run</button></form>')
        return page("SQL", f"<h1>SQL</h1>{form}{result}")

    @app.get("/sql.csv")
    def sql_csv(q: str):
        cols, rows = _run(q)
        buf = io.StringIO()
        emit(cols, rows, "csv", out=buf)
        return Response(buf.getvalue(), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="query.csv"'})

    return app
