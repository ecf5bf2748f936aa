"""Reader: a saved Blogger post page (HTML), with threaded or old flat comments.

Keeps the post (title, date, body, Blogger id, URL) and every comment:
- threaded markup: ``li.comment#c<ID>`` with ``cite.user``, ``span.datetime a`` and
  ``p.comment-content``; a comment inside another's ``.comment-replies`` is its reply;
- old flat markup: ``dl#comments-block`` with ``dt.comment-author`` / ``dd.comment-body``
  / ``dd.comment-footer`` (no threading: parent is always NULL).
A permalink's ``showComment=<epoch ms>`` gives the exact UTC time. Only the post body and
the comments are read, never page furniture. A page cut off mid-document keeps what is
complete, warns, and rejects a comment (or post) the cut went through.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin

from bs4 import BeautifulSoup, Tag

from pipeline.ingest.blogger import local_to_utc, number_positions, page_url_key, parse_utc, show_comment_time
from pipeline.ingest.html_text import element_text
from pipeline.ingest.reader import ReadContext, Reader
from pipeline.records import InputError, ParseResult, RawDoc, Reject

_HTML_START = re.compile(r"<!doctype\s+html|<html\b", re.I)
_BLOGGER_MARK = re.compile(r"comment-holder|comments-block|class=['\"][^'\"]*\b(?:comment-content|post-body)\b"
                           r"|blogger\.com|blogspot\.", re.I)
_MARKUP_START = re.compile(r"\ufeff?\s*(?:<!--.*?-->\s*)*<(?:div|section|ol|ul|li|dl|dt|p|h\d|span|a)\b",
                           re.I | re.S)
_DECLARED = re.compile(r"^\s*(\d+|no)\s+comments?\s*:?\s*$", re.I)
_SAID = re.compile(r"\s*(?:said|wrote)\s*[.:…]*\s*$", re.I)
_LONG_ID = re.compile(r"^\d{6,}$")
_FURNITURE = ".blogger-post-footer, .post-share-buttons, .jump-link, .post-footer, script, style, noscript"
_POST_BODY_TAG = re.compile(r"<div\b[^>]*class=['\"][^'\"]*\bpost-body\b", re.I)
_AFTER_POST_BODY = re.compile(r"post-footer|post-bottom|id=['\"]comments['\"]|comment-holder|comments-block", re.I)
_MONTHS = {m: i for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december"], 1)}
_DATE_DMY = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]+),?\s+(\d{4})")
_DATE_MDY = re.compile(r"([A-Za-z]+)\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})")
_DATE_NUM = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{2,4})")
_CLOCK = re.compile(r"(\d{1,2})[:.](\d{2})(?::(\d{2}))?\s*([ap]\.?m\.?)?", re.I)


# ---------------------------------------------------------------- dates


def _calendar_date(text: str) -> datetime | None:
    """A date in a header or timestamp text: '14 March 2011', 'March 14, 2011', '14/03/2011'."""
    for rx, order in ((_DATE_DMY, "dmy"), (_DATE_MDY, "mdy")):
        if m := rx.search(text):
            a, b, year = m.groups()
            day, month = (a, b) if order == "dmy" else (b, a)
            if (mon := _MONTHS.get(month.lower())) is not None:
                try:
                    return datetime(int(year), mon, int(day))
                except ValueError:
                    return None
    if m := _DATE_NUM.search(text):  # day first (UK); month first when the day part cannot be a month
        d, mo, y = (int(g) for g in m.groups())
        if mo > 12 >= d:
            d, mo = mo, d
        try:
            return datetime(y + 2000 if y < 100 else y, mo, d)
        except ValueError:
            return None
    return None


def _clock(text: str) -> tuple[int, int, int] | None:
    if not (m := _CLOCK.search(text)):
        return None
    hour, minute, second = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    if m.group(4):
        hour = hour % 12 + (12 if m.group(4).lower().startswith("p") else 0)
    return (hour, minute, second) if hour < 24 and minute < 60 else None


def _local_stamp(text: str, tz: str) -> datetime | None:
    """A displayed 'date time' in the blog's local time, as naive UTC."""
    day, clock = _calendar_date(text), _clock(_DATE_NUM.sub(" ", text))
    if day is None or clock is None:
        return None
    return local_to_utc(day.replace(hour=clock[0], minute=clock[1], second=clock[2]), tz)


# ---------------------------------------------------------------- the post


def _classes(tag: Tag) -> list[str]:
    return tag.get("class") or []


def _container(body: Tag) -> Tag:
    """The element holding one post: nearest .post-outer / .post / article around its body."""
    for anc in body.parents:
        if anc.name == "article" or {"post-outer", "post", "hentry"} & set(_classes(anc)) \
                or anc.get("itemprop") == "blogPost":
            return anc
    return body.parent or body


def _post_time(box: Tag, body: Tag, tz: str) -> tuple[datetime | None, bool]:
    """(published_at, date_only) of a post: exact stamp, else date header (+ shown time)."""
    for sel, attr in (("time.published", "datetime"), ("abbr.published", "title"),
                      ("[itemprop=datePublished]", "content"), ("[itemprop=datePublished]", "title"),
                      ("time[datetime]", "datetime")):
        for el in box.select(sel):
            if (ts := parse_utc(el.get(attr), tz)) is not None:
                return ts, False
    header = body.find_previous(class_="date-header")
    day = _calendar_date(header.get_text(" ", strip=True)) if header else None
    if day is None:
        return None, False
    shown = box.select_one("abbr.published, .post-timestamp a, a.timestamp-link")
    clock = _clock(shown.get_text(" ", strip=True)) if shown else None
    if clock is None:
        return day, True
    return local_to_utc(day.replace(hour=clock[0], minute=clock[1], second=clock[2]), tz), False


def _post_id(box: Tag, body: Tag) -> str | None:
    meta = box.select_one("meta[itemprop=postId]")
    if meta and _LONG_ID.match(meta.get("content", "").strip()):
        return meta["content"].strip()
    if m := re.match(r"post-body-(\d{6,})$", body.get("id", "")):
        return m.group(1)
    for a in box.select("a[name]"):
        if _LONG_ID.match(a["name"].strip()):
            return a["name"].strip()
    return None


def _post_author(box: Tag) -> str | None:
    el = box.select_one(".post-author .fn, [itemprop=author] [itemprop=name]")
    if el is None:
        return None
    name = el.get("content") or el.get_text(" ", strip=True)
    return name.strip() or None


def _page_url(soup: BeautifulSoup) -> str | None:
    for sel, attr in (("link[rel=canonical]", "href"), ("meta[property='og:url']", "content")):
        el = soup.select_one(sel)
        if el and el.get(attr):
            return el[attr].strip()
    return None


def _posts(soup: BeautifulSoup, tz: str) -> list[tuple[Tag, RawDoc]]:
    """(post body element, post RawDoc) for each post body on the page, in page order."""
    bodies = [b for b in soup.select("div.post-body, div.entry-content")
              if not b.find_parent(class_="post-body") and not b.find_parent(class_="entry-content")]
    single = len(bodies) == 1
    out: list[tuple[Tag, RawDoc]] = []
    for n, body in enumerate(bodies, 1):
        box = _container(body)
        title_el = box.select_one(".post-title, .entry-title")
        title = title_el.get_text(" ", strip=True) if title_el else None
        if not title and single and (og := soup.select_one("meta[property='og:title']")):
            title = og.get("content", "").strip()
        published, date_only = _post_time(box, body, tz)
        link = box.select_one("a.timestamp-link[href], .post-title a[href], meta[itemprop=url][content]")
        url = (_page_url(soup) if single else None) or (link.get("href") or link.get("content") if link else None)
        pid = _post_id(box, body)
        for junk in body.select(_FURNITURE):
            junk.decompose()
        local = pid or ("post" if single else f"post{n}")
        out.append((body, RawDoc(local_id=local, kind="post", post_local=local, text=element_text(body),
                                 author=_post_author(box), published_at=published, date_only=date_only,
                                 title=title or None, url=url, blogger_id=pid,
                                 locator="post" if single else f"post {n}")))
    return out


# ---------------------------------------------------------------- comments


@dataclass
class _Comment:
    """A comment found on the page, before it is tied to its post."""

    tag: Tag
    cid: str
    author: str | None
    stamp_href: str | None   # the permalink (carries showComment=<epoch ms>)
    stamp_text: str          # the time as shown, blog-local
    content: Tag | None
    parent: str | None
    flags: tuple[str, ...]


def _stamp(link: Tag | None) -> tuple[str | None, str]:
    if link is None:
        return None, ""
    return (link.get("href") or "").strip() or None, link.get_text(" ", strip=True)


def _cid(tag: Tag, n: int) -> str:
    raw = (tag.get("id") or "").strip()
    if not raw and (anchor := tag.find("a", attrs={"name": True})):
        raw = anchor["name"].strip()
    return raw[1:] if re.match(r"^c\d+$", raw) else (raw or f"c{n}")


def _datetime_link(header: Tag) -> Tag | None:
    """``header.select_one(".datetime a")`` without CSS: soupsieve walks up to the root of
    the document on every call, which made a 3,000-deep reply chain quadratic."""
    for el in header.find_all(class_="datetime"):
        if (a := el.find("a")) is not None:
            return a
    return None


def _threaded(soup: BeautifulSoup) -> list[_Comment]:
    out: list[_Comment] = []
    for n, li in enumerate(soup.select("li.comment"), 1):
        block = li.find(class_="comment-block", recursive=False) or li
        header = block.find(class_="comment-header") or block
        cite = header.find("cite", class_="user")
        parent_li = li.find_parent("li", class_="comment")
        content = block.find(class_="comment-content")
        flags = tuple(f for f, present in (
            ("deleted", content is not None and content.find(class_="deleted-comment") is not None),
            ("blog_author", header.find(class_="blog-author") is not None)) if present)
        href, shown = _stamp(_datetime_link(header))
        out.append(_Comment(li, _cid(li, n), cite.get_text(" ", strip=True) if cite else None, href, shown,
                            content, _cid(parent_li, 0) if parent_li else None, flags))
    return out


def _flat(soup: BeautifulSoup) -> list[_Comment]:
    out: list[_Comment] = []
    for block in soup.select("dl#comments-block"):
        for n, dt in enumerate(block.find_all("dt", class_="comment-author"), 1):
            body = footer = None
            for sib in dt.find_next_siblings(["dt", "dd"]):
                if sib.name == "dt":
                    break
                if "comment-body" in _classes(sib) and body is None:
                    body = sib
                elif "comment-footer" in _classes(sib) and footer is None:
                    footer = sib
            links = [w.select_one(".comment-timestamp a") for w in (footer, body) if w is not None]
            href, shown = _stamp(next((a for a in links if a is not None), None))
            if body is not None:  # some templates put the timestamp inside the body: not text
                for inner in body.select(".comment-timestamp"):
                    inner.decompose()
            name = _SAID.sub("", dt.get_text(" ", strip=True)).strip()
            flags = ("blog_author",) if "blog-author" in _classes(dt) else ()
            out.append(_Comment(dt, _cid(dt, n), name or None, href, shown, body, None, flags))
    return out


def _comment_time(c: _Comment, tz: str) -> datetime | None:
    return show_comment_time(c.stamp_href) or (_local_stamp(c.stamp_text, tz) if c.stamp_text else None)


# ---------------------------------------------------------------- truncation


def _is_truncated(text: str) -> bool:
    """The page stops mid-document: inside a tag, before </html>, or with divs left open."""
    tail = text.rstrip()
    if tail.rfind("<") > tail.rfind(">"):
        return True
    if _HTML_START.search(text[:4096]) and not re.search(r"</html\s*>", text[-8192:], re.I):
        return True
    return len(re.findall(r"<div\b", text, re.I)) > len(re.findall(r"</div\s*>", text, re.I))


def _start_of(text: str, cid: str) -> int:
    m = re.search(r"""id=["']c?%s["']""" % re.escape(cid), text)
    return text.rfind("<", 0, m.start()) if m else -1


def _comment_complete(text: str, start: int, threaded: bool) -> bool:
    rest = text[start:]
    if threaded:
        return re.search(r"comment-content.*?</p\s*>", rest, re.S | re.I) is not None
    return re.search(r"comment-body.*?</dd\s*>", rest, re.S | re.I) is not None \
        and re.search(r"comment-timestamp.*?</a\s*>", rest, re.S | re.I) is not None


# ---------------------------------------------------------------- the reader


def parse(text: str, ctx: ReadContext) -> ParseResult:
    """Parse one saved post page (see module doc)."""
    tz = ctx.timezone
    soup = BeautifulSoup(text, "lxml")
    truncated = _is_truncated(text)
    warnings: list[str] = []
    rejects: list[Reject] = []

    threaded = _threaded(soup)
    comments = threaded or _flat(soup)
    posts = _posts(soup, tz)

    if truncated and comments:
        last = comments[-1]
        start = _start_of(text, last.cid)
        if start >= 0 and not _comment_complete(text, start, bool(threaded)):
            comments = comments[:-1]
            rejects.append(Reject(locator=f"comment c{last.cid}", code="truncated",
                                  reason="comment cut off by the end of a truncated page", raw=text[start:]))
    if truncated and posts and not comments:
        starts = [m.start() for m in _POST_BODY_TAG.finditer(text)]
        body_start = starts[-1] if starts else 0
        if not _AFTER_POST_BODY.search(text, body_start):
            _, post = posts.pop()
            rejects.append(Reject(locator=post.locator, code="truncated", raw=text[body_start:],
                                  reason="post body cut off by the end of a truncated page"))
    if truncated:
        if not posts and not comments:
            raise InputError("truncated_html", "page is cut off before any complete post or comment")
        warnings.append("page is truncated (cut off mid-document): kept what was complete")

    if not posts and not comments:
        raise InputError("no_blogger_content", "HTML page has no Blogger post body or comments")

    docs: list[RawDoc] = [p for _, p in posts]
    order = {id(t): i for i, t in enumerate(soup.find_all(True))}
    fallback_post = _fragment_post(soup, comments) if comments and not posts else None
    if fallback_post and fallback_post.startswith("url:"):
        warnings.append("no post on this page: comments are tied to the post by its URL")
    page_url = _page_url(soup)
    no_time = 0
    for c in comments:
        owner = next((p for body, p in reversed(posts) if order[id(body)] < order[id(c.tag)]),
                     posts[0][1] if posts else None)
        post_local = owner.local_id if owner else fallback_post
        if post_local is None:
            rejects.append(Reject(locator=f"comment c{c.cid}", code="unplaced_fragment", raw=str(c.tag),
                                  reason="comment on a page with no post, post id or permalink to tie it to"))
            continue
        ctext = element_text(c.content) if c.content is not None else ""
        if not ctext:
            rejects.append(Reject(locator=f"comment c{c.cid}", code="unplaced_fragment", raw=str(c.tag),
                                  reason="comment has no text (no comment-content / comment-body)"))
            continue
        published = _comment_time(c, tz)
        no_time += published is None
        docs.append(RawDoc(local_id=c.cid, kind="comment", post_local=post_local, text=ctext,
                           parent_local=c.parent, author=c.author, published_at=published,
                           url=urljoin(page_url, c.stamp_href) if page_url and c.stamp_href else c.stamp_href,
                           blogger_id=c.cid if c.cid.isdigit() else None, flags=c.flags,
                           locator=f"comment c{c.cid}"))
    if no_time:
        warnings.append(f"{no_time} comments have no readable time")
    loadmore = soup.select_one("div.loadmore")
    if loadmore is not None and "hidden" not in _classes(loadmore):
        warnings.append("page shows only part of the comments ('Load more'); read the comments feed for the rest")
    return ParseResult(format="blogger_html", docs=number_positions(docs), declared_comments=_declared(soup),
                       warnings=warnings, rejects=rejects)


def _fragment_post(soup: BeautifulSoup, comments: list[_Comment]) -> str | None:
    """The post of a comments-only page: a data-post-id, else the page URL of a permalink."""
    for el in soup.select("[data-post-id]"):
        if _LONG_ID.match(el["data-post-id"].strip()):
            return el["data-post-id"].strip()
    url = _page_url(soup) or next((c.stamp_href for c in comments if c.stamp_href), None)
    return page_url_key(url) if url else None


def _declared(soup: BeautifulSoup) -> int | None:
    """The count in the 'N comments:' heading, if the page has one."""
    for h in soup.find_all(["h2", "h3", "h4", "h5"]):
        if m := _DECLARED.match(h.get_text(" ", strip=True)):
            return 0 if m.group(1).lower() == "no" else int(m.group(1))
    return None


def sniff(head: str, name: str) -> float:
    """HTML with Blogger post/comment markup (0.9), or any HTML page (0.6)."""
    blogger = _BLOGGER_MARK.search(head) is not None
    if _HTML_START.search(head[:4096]):
        return 0.9 if blogger else 0.6
    if _MARKUP_START.match(head) and blogger:  # a saved fragment: starts with markup
        return 0.85
    return 0.0


READER = Reader(
    name="blogger_html",
    sniff=sniff,
    parse=parse,
    description="saved Blogger post page (threaded or old flat comments)",
)
