"""A synthetic Blogger blog served on 127.0.0.1 (tests only).

Serves the invented blog of ``tests/fixtures/sync/blog.json`` through Blogger's feed API
(posts, blog-wide comments, per-post comments; Atom or JSON; ``start-index``,
``max-results``, ``orderby=updated``, ``updated-min``; ``rel="next"``), in the structure
of the real feeds (``../shared/formats/blogger/``). Faults (a status, a pause, a body)
can be queued per path, and every request is logged. SYNTHETIC content only.
"""

from __future__ import annotations

import copy
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit
from xml.sax.saxutils import escape, quoteattr

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sync"


def load_blog() -> dict:
    return json.loads((FIXTURES / "blog.json").read_text(encoding="utf-8"))


@dataclass
class Fault:
    """Answer requests whose path contains ``path`` (and whose query has ``query``) this way, ``times`` times."""

    path: str
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    pause_s: float = 0.0
    times: int = 1
    query: dict[str, str] = field(default_factory=dict)


@dataclass
class Request:
    path: str
    query: dict[str, str]
    headers: dict[str, str]


class Blog:
    """The blog's state (mutable between syncs) and the server's behaviour."""

    def __init__(self, state: dict):
        self.state = state
        self.robots = "User-agent: *\nAllow: /\n"
        self.faults: list[Fault] = []
        self.requests: list[Request] = []
        self.base = ""
        self.lock = threading.Lock()

    # -- edits to the blog ------------------------------------------------------------------
    def comment(self, cid: str) -> dict:
        return next(c for c in self.state["comments"] if c["id"] == cid)

    def add_comment(self, **c) -> None:
        self.state["comments"].append(c)

    def delete_comment(self, cid: str) -> None:
        self.state["comments"] = [c for c in self.state["comments"] if c["id"] != cid]

    def feed_requests(self, needle: str = "/feeds/") -> list[Request]:
        return [r for r in self.requests if needle in r.path]

    # -- rendering ----------------------------------------------------------------------------
    def _tag(self, pid: str) -> str:
        return f"tag:blogger.com,1999:blog-{self.state['blog_id']}.post-{pid}"

    def _post_url(self, pid: str) -> str:
        return f"{self.base}/2026/01/post-{pid[-4:]}.html"

    def select(self, path: str, q: dict[str, str]) -> tuple[str, list[dict], str]:
        parts = path.strip("/").split("/")
        if parts[:3] == ["feeds", "posts", "default"]:
            kind, items, feed_id = "posts", self.state["posts"], f"tag:blogger.com,1999:blog-{self.state['blog_id']}.posts"
        elif parts[:3] == ["feeds", "comments", "default"]:
            kind, items, feed_id = "comments", self.state["comments"], f"tag:blogger.com,1999:blog-{self.state['blog_id']}.comments"
        elif len(parts) >= 4 and parts[0] == "feeds" and parts[2:4] == ["comments", "default"]:
            pid = parts[1]
            kind, items = "comments", [c for c in self.state["comments"] if c["post"] == pid]
            feed_id = f"tag:blogger.com,1999:blog-{self.state['blog_id']}.post{pid}..comments"
        else:
            raise KeyError(path)
        if q.get("updated-min"):
            items = [i for i in items if i["updated"] >= q["updated-min"]]
        if q.get("orderby") == "updated":
            items = sorted(items, key=lambda i: i["updated"], reverse=True)
        else:
            items = sorted(items, key=lambda i: i["published"], reverse=(kind == "posts"))
        return kind, items, feed_id

    def page(self, path: str, q: dict[str, str]) -> bytes:
        kind, items, feed_id = self.select(path, q)
        start, n = int(q.get("start-index", 1)), int(q.get("max-results", 25))
        chunk = items[start - 1:start - 1 + n]
        nxt = None
        if start - 1 + n < len(items):
            nxt = f"{self.base}{path}?" + urlencode({**q, "start-index": start + n})
        fmt = q.get("alt", "atom")
        return (self._json if fmt == "json" else self._atom)(kind, chunk, feed_id, f"{self.base}{path}?{urlencode(q)}",
                                                            nxt, len(items), start, n)

    def _post_entry(self, p: dict) -> dict:
        n = sum(1 for c in self.state["comments"] if c["post"] == p["id"])
        return {"id": self._tag(p["id"]), "published": p["published"], "updated": p["updated"],
                "title": p["title"], "content": p["body"], "author": p["author"],
                "links": [("replies", f"{self.base}/feeds/{p['id']}/comments/default"),
                          ("edit", f"{self.base}/feeds/{self.state['blog_id']}/posts/default/{p['id']}"),
                          ("self", f"{self.base}/feeds/{self.state['blog_id']}/posts/default/{p['id']}"),
                          ("alternate", self._post_url(p["id"]))],
                "total": str(n)}

    def _comment_entry(self, c: dict) -> dict:
        own = f"{self.base}/feeds/{c['post']}/comments/default/{c['id']}"
        links = [("edit", own), ("self", own), ("alternate", self._post_url(c["post"]) + f"?showComment=17680000{c['id'][-5:]}#c{c['id']}")]
        if c.get("parent"):
            links.append(("related", f"{self.base}/feeds/{c['post']}/comments/default/{c['parent']}"))
        return {"id": self._tag(c["id"]), "published": c["published"], "updated": c["updated"],
                "title": c["body"][:30], "content": c["body"], "author": c["author"], "links": links,
                "reply": (self._tag(c["post"]), self._post_url(c["post"]),
                          f"{self.base}/feeds/posts/default/{c['post']}")}

    def _atom(self, kind, items, feed_id, self_url, nxt, total, start, n) -> bytes:
        out = ["<?xml version='1.0' encoding='UTF-8'?>",
               "<!-- SYNTHETIC test page (tests/sync/blogsim.py): invented content -->",
               "<feed xmlns='http://www.w3.org/2005/Atom' xmlns:openSearch='http://a9.com/-/spec/opensearchrss/1.0/' "
               "xmlns:blogger='http://schemas.google.com/blogger/2008' xmlns:gd='http://schemas.google.com/g/2005' "
               "xmlns:thr='http://purl.org/syndication/thread/1.0'>",
               f"<id>{feed_id}</id>", "<updated>2026-02-01T00:00:00.000Z</updated>",
               f"<title type='text'>{escape(self.state['title'])}</title>",
               f"<link rel='http://schemas.google.com/g/2005#feed' type='application/atom+xml' href={quoteattr(self_url.split('?')[0])}/>",
               f"<link rel='self' type='application/atom+xml' href={quoteattr(self_url)}/>",
               f"<link rel='alternate' type='text/html' href={quoteattr(self.base + '/')}/>"]
        if nxt:
            out.append(f"<link rel='next' type='application/atom+xml' href={quoteattr(nxt)}/>")
        out += ["<author><name>Blog Owner</name><email>noreply@blogger.com</email></author>",
                "<generator version='7.00' uri='http://www.blogger.com'>Blogger</generator>",
                f"<openSearch:totalResults>{total}</openSearch:totalResults>",
                f"<openSearch:startIndex>{start}</openSearch:startIndex>",
                f"<openSearch:itemsPerPage>{n}</openSearch:itemsPerPage>"]
        for item in items:
            e = self._post_entry(item) if kind == "posts" else self._comment_entry(item)
            out += ["<entry>", f"<id>{e['id']}</id>", f"<published>{e['published']}</published>",
                    f"<updated>{e['updated']}</updated>", f"<title type='text'>{escape(e['title'])}</title>",
                    f"<content type='html'>{escape(e['content'])}</content>"]
            out += [f"<link rel='{r}' type='{'text/html' if r == 'alternate' else 'application/atom+xml'}' href={quoteattr(h)}/>"
                    for r, h in e["links"]]
            out.append(f"<author><name>{escape(e['author'])}</name><email>noreply@blogger.com</email></author>")
            if "reply" in e:
                ref, href, source = e["reply"]
                out.append(f"<thr:in-reply-to ref='{ref}' href={quoteattr(href)} source={quoteattr(source)} type='text/html'/>")
            if "total" in e:
                out.append(f"<thr:total>{e['total']}</thr:total>")
            out.append("</entry>")
        out.append("</feed>")
        return "\n".join(out).encode("utf-8")

    def _json(self, kind, items, feed_id, self_url, nxt, total, start, n) -> bytes:
        links = [{"rel": "http://schemas.google.com/g/2005#feed", "type": "application/atom+xml", "href": self_url.split("?")[0]},
                 {"rel": "self", "type": "application/atom+xml", "href": self_url},
                 {"rel": "alternate", "type": "text/html", "href": self.base + "/"}]
        if nxt:
            links.append({"rel": "next", "type": "application/atom+xml", "href": nxt})
        entries = []
        for item in items:
            e = self._post_entry(item) if kind == "posts" else self._comment_entry(item)
            d = {"id": {"$t": e["id"]}, "published": {"$t": e["published"]}, "updated": {"$t": e["updated"]},
                 "title": {"type": "text", "$t": e["title"]}, "content": {"type": "html", "$t": e["content"]},
                 "link": [{"rel": r, "type": "text/html" if r == "alternate" else "application/atom+xml", "href": h}
                          for r, h in e["links"]],
                 "author": [{"name": {"$t": e["author"]}, "email": {"$t": "noreply@blogger.com"}}]}
            if "reply" in e:
                ref, href, source = e["reply"]
                d["thr$in-reply-to"] = {"ref": ref, "href": href, "source": source, "type": "text/html"}
            if "total" in e:
                d["thr$total"] = {"$t": e["total"]}
            entries.append(d)
        feed = {"xmlns": "http://www.w3.org/2005/Atom", "xmlns$openSearch": "http://a9.com/-/spec/opensearchrss/1.0/",
                "xmlns$thr": "http://purl.org/syndication/thread/1.0", "id": {"$t": feed_id},
                "updated": {"$t": "2026-02-01T00:00:00.000Z"}, "title": {"type": "text", "$t": self.state["title"]},
                "link": links, "openSearch$totalResults": {"$t": str(total)},
                "openSearch$startIndex": {"$t": str(start)}, "openSearch$itemsPerPage": {"$t": str(n)},
                "entry": entries}
        return json.dumps({"_comment": "SYNTHETIC test page: invented content", "version": "1.0",
                           "encoding": "UTF-8", "feed": feed}, indent=1).encode("utf-8")


def _handler(blog: Blog) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            q = {k: v[0] for k, v in parse_qs(parts.query).items()}
            with blog.lock:
                blog.requests.append(Request(parts.path, q, dict(self.headers)))
                fault = next((f for f in blog.faults if f.path in parts.path and f.times > 0
                              and all(q.get(k) == v for k, v in f.query.items())), None)
                if fault:
                    fault.times -= 1
            if fault and fault.pause_s:
                time.sleep(fault.pause_s)
            if fault and (fault.status != 200 or fault.body is not None):
                return self._send(fault.status, fault.body or b"", fault.headers)
            if parts.path == "/robots.txt":
                return self._send(200, blog.robots.encode(), {"Content-Type": "text/plain"}) if blog.robots \
                    else self._send(404, b"not found")
            try:
                body = blog.page(parts.path, q)
            except KeyError:
                return self._send(404, b"not found")
            ctype = "application/json" if q.get("alt") == "json" else "application/atom+xml"
            self._send(200, body, {"Content-Type": ctype + "; charset=UTF-8"})

        def _send(self, status: int, body: bytes, headers: dict | None = None) -> None:
            try:
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test)

    return Handler


@contextmanager
def serve(state: dict | None = None) -> Iterator[Blog]:
    """Serve a synthetic blog on 127.0.0.1 (a free port) until the block ends."""
    blog = Blog(copy.deepcopy(state or load_blog()))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(blog))
    server.daemon_threads = True
    blog.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield blog
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


class FakeTime:
    """An injected clock: ``sleep`` advances ``now`` and records the wait, never waits."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


Clock = Callable[[], float]
