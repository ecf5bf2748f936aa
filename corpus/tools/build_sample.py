"""Render the synthetic sample corpus and its answer keys from structured YAML.

Source: ``corpus/sample_source/`` (``blog.yaml`` with the blog's metadata and the list
of output files, ``posts/*.yaml`` with the posts, comments and their intended labels).
Output: ``corpus/sample/`` (one file per entry of ``outputs`` in ``blog.yaml``, in every
supported input format) and ``corpus/annotations/sample_*.jsonl`` (gold labels,
non-own segments, deliberate duplicates and hard negatives, time references).

Everything is deterministic: ids, times and layout come from the YAML alone, so
re-running the script reproduces the committed files byte for byte.

Usage::

    .venv/bin/python corpus/tools/build_sample.py [--out DIR] [--annotations DIR]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import html
import io
import json
import re
import sys
import textwrap
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable
from zoneinfo import ZoneInfo

import yaml

REPO = Path(__file__).resolve().parents[2]
SOURCE = REPO / "corpus" / "sample_source"
OUT = REPO / "corpus" / "sample"
ANNOTATIONS = REPO / "corpus" / "annotations"
LONDON = ZoneInfo("Europe/London")

THEMES = {
    "mgr": "managerialism",
    "napo": "napo",
    "sfo": "sfo_blame",
    "insp": "inspection",
    "priv": "privatisation",
    "pris": "prison_dominance",
    "wl": "workload",
    "pay": "pay",
}
STANCES = {"F": "FAVOR", "A": "AGAINST", "N": "NONE"}
SENTIMENTS = {"NEG": "NEGATIVE", "NEU": "NEUTRAL", "POS": "POSITIVE"}
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MARKER = re.compile(r"⟦([qp])(?:@([\w.\-]+))?\|(.*?)⟧", re.S)
SYNTHETIC_NOTE = ("SYNTHETIC sample corpus of probation-corpus: invented posts and comments "
                  "(no real commenters); written by corpus/tools/build_sample.py from "
                  "corpus/sample_source/. Do not edit by hand.")


class SourceError(ValueError):
    """The YAML source is inconsistent (unknown key, bad label, time order, ...)."""


# --------------------------------------------------------------------------- model

@dataclass
class Segment:
    kind: str               # "quote" | "pasted"
    text: str               # exact span (canonical layout: "\n\n" between paragraphs)
    copy_of: str | None     # key of the document the span copies, if any


@dataclass
class Doc:
    key: str                # "P17" for a post, "P17.c5" (or the YAML k) for a comment
    kind: str               # "post" | "comment"
    post_key: str
    text: str
    segments: list[Segment]
    themes: dict[str, str]
    sentiment: str
    local_time: datetime    # naive, Europe/London wall clock
    author: str
    bid: str                # 19-digit Blogger id
    parent: str | None = None          # key of the parent comment
    title: str | None = None
    status: str = "LIVE"
    labels: list[str] = field(default_factory=list)   # Blogger categories (posts)
    copy_of: str | None = None         # self-repost of another comment (own text)
    copy_relation: str | None = None   # exact | near | contained_in
    copy_detail: str | None = None
    negatives: list[str] = field(default_factory=list)
    refs: list[str] = field(default_factory=list)
    comments: list["Doc"] = field(default_factory=list)  # posts only, chronological

    @property
    def utc(self) -> datetime:
        return self.local_time.replace(tzinfo=LONDON).astimezone(timezone.utc).replace(tzinfo=None)

    @property
    def epoch_ms(self) -> int:
        return int(self.local_time.replace(tzinfo=LONDON).timestamp() * 1000)


def blogger_id(key: str) -> str:
    """A stable invented 19-digit Blogger id for a YAML key."""
    n = int(hashlib.sha1(("sample-bid|" + key).encode()).hexdigest(), 16)
    return str(10**18 + n % (9 * 10**18))


def small_id(key: str, digits: int) -> str:
    n = int(hashlib.sha1(("sample-small|" + key).encode()).hexdigest(), 16)
    return str(10 ** (digits - 1) + n % (9 * 10 ** (digits - 1)))


def parse_time(value: object, where: str, prev: datetime | None = None) -> datetime:
    """'YYYY-MM-DD HH:MM'; or, after ``prev``: 'HH:MM' (the next such clock time) or
    'dN HH:MM' (that clock time N days after ``prev``'s date)."""
    s = str(value).strip()
    try:
        if prev is not None and re.fullmatch(r"\d{1,2}:\d{2}", s):
            h, m = map(int, s.split(":"))
            t = prev.replace(hour=h, minute=m)
            return t if t > prev else t + timedelta(days=1)
        if prev is not None and re.fullmatch(r"d\d+ \d{1,2}:\d{2}", s):
            days, clock = s[1:].split(" ")
            h, m = map(int, clock.split(":"))
            return prev.replace(hour=h, minute=m) + timedelta(days=int(days))
        return datetime.strptime(s, "%Y-%m-%d %H:%M")
    except ValueError as exc:
        raise SourceError(f"{where}: time {value!r} is not 'YYYY-MM-DD HH:MM', 'HH:MM' or 'dN HH:MM'") from exc


def parse_labels(spec: str | None, where: str) -> tuple[dict[str, str], str]:
    """'mgr:A wl:N NEG' -> ({'managerialism': 'AGAINST', 'workload': 'NONE'}, 'NEGATIVE')."""
    if not spec:
        raise SourceError(f"{where}: missing labels (l:)")
    themes: dict[str, str] = {}
    sentiment = None
    for tok in str(spec).split():
        if tok in SENTIMENTS:
            if sentiment:
                raise SourceError(f"{where}: two sentiments in {spec!r}")
            sentiment = SENTIMENTS[tok]
            continue
        code, _, stance = tok.partition(":")
        if code not in THEMES or stance not in STANCES:
            raise SourceError(f"{where}: bad label {tok!r} in {spec!r}")
        themes[THEMES[code]] = STANCES[stance]
    if sentiment is None:
        raise SourceError(f"{where}: no sentiment in {spec!r}")
    return themes, sentiment


def strip_markers(raw: str) -> tuple[str, list[Segment]]:
    """Remove ⟦q|…⟧ / ⟦p|…⟧ / ⟦p@KEY|…⟧ markers; return the text and its segments."""
    segs: list[Segment] = []
    out: list[str] = []
    pos = 0
    for m in MARKER.finditer(raw):
        out.append(raw[pos:m.start()])
        kind = "quote" if m.group(1) == "q" else "pasted"
        segs.append(Segment(kind, m.group(3), m.group(2)))
        out.append(m.group(3))
        pos = m.end()
    out.append(raw[pos:])
    text = "".join(out)
    if "⟦" in text or "⟧" in text:
        raise SourceError(f"unbalanced segment marker in {raw[:60]!r}")
    return text, segs


def clean_block(value: object) -> str:
    """A YAML block as document text: no trailing spaces, no blank edges."""
    lines = [ln.rstrip() for ln in str(value).strip("\n").split("\n")]
    return "\n".join(lines).strip()


def apply_edit(text: str, edit: dict | None) -> str:
    """Derive a near copy: typos (first occurrence), truncation, re-wrapping."""
    edit = edit or {}
    for old, new in edit.get("typos", []):
        if old not in text:
            raise SourceError(f"typo source {old!r} not in copied text {text[:50]!r}")
        text = text.replace(old, new, 1)
    if "trunc" in edit:
        limit = int(edit["trunc"])
        if limit < len(text):
            cut = text[:limit]
            cut = cut[: cut.rfind(" ")] if " " in cut else cut
            text = cut.rstrip(" ,;:-.") + ("..." if edit.get("ellipsis", True) else "")
    if "wrap" in edit:
        paras = text.split("\n\n")
        text = "\n\n".join(
            textwrap.fill(p.replace("\n", " "), width=int(edit["wrap"]), break_long_words=False,
                          break_on_hyphens=False)
            for p in paras)
    return text


def copy_relation(edit: dict | None) -> str:
    edit = edit or {}
    if edit.get("relation"):
        return str(edit["relation"])
    if edit.get("typos"):
        return "near"
    if "trunc" in edit:
        return "contained_in"
    return "exact"


def edit_detail(edit: dict | None) -> str:
    edit = edit or {}
    parts = []
    if edit.get("typos"):
        parts.append(f"{len(edit['typos'])} typo(s)")
    if "trunc" in edit:
        parts.append("truncated")
    if "wrap" in edit:
        parts.append(f"re-wrapped at {edit['wrap']}")
    return ", ".join(parts) or "verbatim"


class Corpus:
    """All posts and comments with resolved text, times, ids and labels."""

    def __init__(self, source: Path):
        self.blog = yaml.safe_load((source / "blog.yaml").read_text(encoding="utf-8"))
        self.raw_posts: list[dict] = []
        for f in sorted((source / "posts").glob("*.yaml")):
            data = yaml.safe_load(f.read_text(encoding="utf-8")) or []
            for p in data:
                p["_file"] = f.name
            self.raw_posts.extend(data)
        self.docs: dict[str, Doc] = {}
        self.posts: dict[str, Doc] = {}
        self._raw_comments: dict[str, dict] = {}
        self._build()

    # -- building
    def _build(self) -> None:
        pending_posts = []
        for rp in self.raw_posts:
            key = rp["key"]
            if key in self.docs:
                raise SourceError(f"duplicate post key {key}")
            where = f"{rp['_file']}:{key}"
            themes, sentiment = parse_labels(rp.get("l"), where)
            post = Doc(key=key, kind="post", post_key=key, text="", segments=[], themes=themes,
                       sentiment=sentiment, local_time=parse_time(rp["date"], where),
                       author=rp.get("by", self.blog["owner"]["name"]), bid=blogger_id(key),
                       title=rp["title"], status=rp.get("status", "LIVE"),
                       labels=list(rp.get("labels", [])))
            self.docs[key] = post
            self.posts[key] = post
            pending_posts.append((post, rp))
            prev = post.local_time
            for i, rc in enumerate(rp.get("comments", []), 1):
                ckey = f"{key}.{rc['k']}" if "k" in rc else f"{key}.c{i}"
                if ckey in self.docs:
                    raise SourceError(f"duplicate comment key {ckey}")
                cwhere = f"{rp['_file']}:{ckey}"
                if "at" in rc:
                    t = parse_time(rc["at"], cwhere, prev)
                    if t <= prev:
                        raise SourceError(f"{cwhere}: time {t} not after previous {prev}")
                else:
                    h = int(hashlib.sha1(ckey.encode()).hexdigest(), 16)
                    t = prev + timedelta(minutes=4 + h % 160)
                prev = t
                parent = None
                if rc.get("re"):
                    parent = f"{key}.{rc['re']}"
                c = Doc(key=ckey, kind="comment", post_key=key, text="", segments=[], themes={},
                        sentiment="", local_time=t, author=rc.get("by", "Anonymous"),
                        bid=blogger_id(ckey), parent=parent, status=rc.get("status", "LIVE"))
                self.docs[ckey] = c
                self._raw_comments[ckey] = rc
                post.comments.append(c)
        # resolve texts (copies may point forwards, so resolve lazily)
        for ckey in self._raw_comments:
            self._resolve_comment(ckey, set())
        for post, rp in pending_posts:
            self._resolve_post(post, rp)
        for a, b in self.blog.get("hard_negatives", []):
            for k in (a, b):
                if k not in self.docs:
                    raise SourceError(f"hard_negatives: unknown key {k}")
            self.docs[a].negatives.append(b)
        self._validate()

    def _lookup(self, ref: str, post_key: str) -> str:
        """A reference is a full key ('P17.c5') or a comment key local to the post ('c5')."""
        if ref in self.docs:
            return ref
        local = f"{post_key}.{ref}"
        if local in self.docs:
            return local
        raise SourceError(f"unknown reference {ref!r} (from post {post_key})")

    def _resolve_comment(self, ckey: str, stack: set[str]) -> None:
        c = self.docs[ckey]
        if c.text:
            return
        if ckey in stack:
            raise SourceError(f"copy cycle at {ckey}")
        rc = self._raw_comments[ckey]
        where = ckey
        if "copy" in rc:
            src = self._lookup(rc["copy"], c.post_key)
            self._resolve_comment(src, stack | {ckey})
            original = self.docs[src]
            copied = apply_edit(original.text, rc.get("edit"))
            if rc.get("intro") or rc.get("outro"):
                intro = clean_block(rc.get("intro", ""))
                outro = clean_block(rc.get("outro", ""))
                intro_text, intro_segs = strip_markers(intro)
                outro_text, outro_segs = strip_markers(outro)
                parts = [p for p in (intro_text, copied, outro_text) if p]
                c.text = "\n\n".join(parts)
                c.segments = intro_segs + [Segment("pasted", copied, src)] + outro_segs
                c.themes, c.sentiment = parse_labels(rc.get("l"), where)
            else:  # the same author posting the same words again: own text
                c.text = copied
                c.segments = [Segment(s.kind, s.text, s.copy_of) for s in original.segments
                              if s.text in copied]
                c.copy_of = src
                c.copy_relation = copy_relation(rc.get("edit"))
                c.copy_detail = edit_detail(rc.get("edit"))
                if rc.get("l"):
                    c.themes, c.sentiment = parse_labels(rc.get("l"), where)
                else:
                    c.themes, c.sentiment = dict(original.themes), original.sentiment
        else:
            c.text, c.segments = strip_markers(clean_block(rc["t"]))
            c.themes, c.sentiment = parse_labels(rc.get("l"), where)
        for s in c.segments:
            if s.copy_of and s.copy_of not in self.docs:
                s.copy_of = self._lookup(s.copy_of, c.post_key)
        c.negatives = [self._lookup(n, c.post_key) for n in _as_list(rc.get("neg"))]
        c.refs = [self._lookup(r, c.post_key) for r in _as_list(rc.get("ref"))]

    def _resolve_post(self, post: Doc, rp: dict) -> None:
        body = rp["body"]
        parts = body if isinstance(body, list) else [body]
        texts: list[str] = []
        segs: list[Segment] = []
        stars = ["*******", "******"]
        n_sections = 0
        for part in parts:
            if isinstance(part, dict) and "copy" in part:
                src = self._lookup(part["copy"], post.key)
                self._resolve_comment(src, set())
                copied = apply_edit(self.docs[src].text, part.get("edit"))
                segs.append(Segment("pasted", copied, src))
                if rp.get("anthology"):
                    texts.append(stars[n_sections % 2] + "\n" + copied)
                    n_sections += 1
                else:
                    texts.append(copied)
            else:
                t, s = strip_markers(clean_block(part))
                segs.extend(s)
                texts.append(t)
        post.text = "\n\n".join(texts)
        post.segments = segs
        for s in post.segments:
            if s.copy_of and s.copy_of not in self.docs:
                s.copy_of = self._lookup(s.copy_of, post.key)

    def _validate(self) -> None:
        for d in self.docs.values():
            for s in d.segments:
                if s.text not in d.text:
                    raise SourceError(f"{d.key}: segment not in text: {s.text[:50]!r}")
            if d.parent:
                if d.parent not in self.docs:
                    raise SourceError(f"{d.key}: unknown parent {d.parent}")
                if self.docs[d.parent].parent:
                    raise SourceError(f"{d.key}: replies must answer a top-level comment")
            for r in d.refs:
                target = self.docs[r]
                hhmm = target.local_time.strftime("%H:%M")
                if hhmm not in d.text:
                    raise SourceError(f"{d.key}: refers to {r} but its time {hhmm} is not in the text")
                if target.local_time >= d.local_time:
                    raise SourceError(f"{d.key}: refers to a later comment {r}")
                if f"{hhmm} yesterday" in d.text and \
                        target.local_time.date() != d.local_time.date() - timedelta(days=1):
                    raise SourceError(f"{d.key}: says '{hhmm} yesterday' but {r} is not from the day before")
            if not own_text(d):
                raise SourceError(f"{d.key}: no own text")

    # -- helpers for renderers
    def live_comments(self, post: Doc) -> list[Doc]:
        return [c for c in post.comments if c.status == "LIVE"]

    def thread_order(self, post: Doc) -> list[Doc]:
        """Top-level comments in time order, each followed by its replies in time order."""
        live = self.live_comments(post)
        out: list[Doc] = []
        for c in live:
            if c.parent is None:
                out.append(c)
                out.extend(r for r in live if r.parent == c.key)
        return out

    def replies(self, post: Doc, parent: Doc) -> list[Doc]:
        return [r for r in self.live_comments(post) if r.parent == parent.key]


def _as_list(v: object) -> list:
    if v is None:
        return []
    return list(v) if isinstance(v, (list, tuple)) else [v]


def own_text(d: Doc) -> str:
    """The document text with quoted and pasted spans removed, whitespace collapsed."""
    t = d.text
    for s in sorted(d.segments, key=lambda s: -len(s.text)):
        t = t.replace(s.text, "\x00", 1)
    t = re.sub("[\"“‘']\x00[\"”’']", " ", t).replace("\x00", " ")
    t = re.sub(r"(?m)^\*{5,}$", " ", t)  # anthology separators are layout, not words
    return " ".join(t.split())


# --------------------------------------------------------------------------- rendering

@dataclass
class Placed:
    """One document as placed in one rendered file, in reading order."""

    key: str
    doc: str                 # "post" / "p2" / "c12"
    parent: str | None       # doc name of the parent comment in this file
    post_doc: str | None     # doc name of the post in this file (None if not in the file)


@dataclass
class Rendered:
    name: str
    fmt: str
    data: bytes
    placed: list[Placed]
    has_ids: bool
    note: str = ""


class Renderer:
    def __init__(self, corpus: Corpus):
        self.c = corpus
        b = corpus.blog
        self.blog_id = str(b["blog_id"])
        self.host = b["host"]
        self.blog_title = b["title"]
        self.owner = b["owner"]["name"]
        self.profiles: dict[str, str] = {str(k): str(v) for k, v in b.get("profiles", {}).items()}
        self.profiles[self.owner] = str(b["owner"]["profile"])

    # -- shared bits
    def slug(self, post: Doc) -> str:
        words = re.sub(r"[^a-z0-9 ]+", "", post.title.lower().replace("-", " ")).split()
        out = ""
        for w in words:
            if len(out) + len(w) + 1 > 40:
                break
            out = f"{out}-{w}" if out else w
        return out

    def post_url(self, post: Doc) -> str:
        return f"https://{self.host}/{post.local_time:%Y/%m}/{self.slug(post)}.html"

    def comment_url(self, c: Doc) -> str:
        return f"{self.post_url(self.c.posts[c.post_key])}?showComment={c.epoch_ms}#c{c.bid}"

    def entry_id(self, d: Doc) -> str:
        return f"tag:blogger.com,1999:blog-{self.blog_id}.post-{d.bid}"

    def comment_feed_url(self, post: Doc, www: bool = True) -> str:
        if www:
            return f"https://www.blogger.com/feeds/{self.blog_id}/{post.bid}/comments/default"
        return f"https://{self.host}/feeds/{post.bid}/comments/default"

    @staticmethod
    def display_time(d: Doc) -> str:
        t = d.local_time
        return f"{t.day} {MONTHS[t.month - 1]} {t.year} at {t:%H:%M}"

    @staticmethod
    def date_line(d: Doc, comma: bool = True) -> str:
        t = d.local_time
        return f"{WEEKDAYS[t.weekday()]}{',' if comma else ''} {t.day} {MONTHS[t.month - 1]} {t.year}"

    @staticmethod
    def iso(dt: datetime) -> str:
        return dt.strftime("%Y-%m-%dT%H:%M:%S.000Z")

    @staticmethod
    def iso_local(d: Doc) -> str:
        aware = d.local_time.replace(tzinfo=LONDON)
        off = aware.strftime("%z")
        return aware.strftime("%Y-%m-%dT%H:%M:%S") + off[:3] + ":" + off[3:]

    def updated(self, d: Doc) -> datetime:
        """Posts are 'updated' when their last live comment arrives (as Blogger does)."""
        if d.kind == "post" and self.c.live_comments(d):
            return max(c.utc for c in self.c.live_comments(d)) + timedelta(seconds=17)
        return d.utc

    @staticmethod
    def x(text: str) -> str:
        """Escape for XML/HTML element content."""
        return html.escape(text, quote=False)

    @staticmethod
    def xa(text: str) -> str:
        """Escape for a single-quoted XML attribute."""
        return html.escape(text, quote=True).replace("&#x27;", "&apos;")

    @staticmethod
    def comment_html(text: str) -> str:
        return html.escape(text, quote=False).replace("\n", "<br />")

    def post_html(self, post: Doc) -> str:
        """A post body as Blogger stores it: <br /> paragraphs before 2016, <p> after."""
        paras = post.text.split("\n\n")

        def line(ln: str) -> str:
            if re.fullmatch(r"https?://\S+", ln):
                return f'<a href="{html.escape(ln)}">{html.escape(ln, quote=False)}</a>'
            return html.escape(ln, quote=False)

        rendered = ["<br />".join(line(ln) for ln in p.split("\n")) for p in paras]
        if post.local_time.year < 2016:
            return "<br /><br />".join(rendered)
        return "".join(f"<p>{p}</p>" for p in rendered)

    def feed_title(self, c: Doc) -> str:
        first = " ".join(c.text.split())
        if len(first) <= 40:
            return first
        cut = first[:40]
        return cut[: cut.rfind(" ")] + "..." if " " in cut else cut + "..."

    def author_xml(self, name: str, indent: str, image: bool = True) -> str:
        lines = [f"{indent}<author>", f"{indent}  <name>{self.x(name)}</name>"]
        prof = self.profiles.get(name)
        if prof:
            lines.append(f"{indent}  <uri>https://www.blogger.com/profile/{prof}</uri>")
        lines.append(f"{indent}  <email>noreply@blogger.com</email>")
        if image:
            src = ("https://img1.blogblog.com/img/b16-rounded.gif" if prof
                   else "https://img1.blogblog.com/img/blank.gif")
            lines.append(f"{indent}  <gd:image rel='http://schemas.google.com/g/2005#thumbnail' "
                         f"width='16' height='16' src='{src}'/>")
        lines.append(f"{indent}</author>")
        return "\n".join(lines)

    # -- text copies
    def text_numbered(self, spec: dict) -> Rendered:
        post = self.c.posts[spec["post"]]
        comma = spec.get("date_style", "comma") == "comma"
        closers = set(_as_list(spec.get("reply_closer")))
        ordered = self.c.thread_order(post)
        declared = len(ordered) + int(spec.get("declared_extra", 0))
        lines = [self.date_line(post, comma), "", post.title, ""]
        lines += post.text.split("\n")
        lines += ["", f"{declared} comments:", ""]
        placed = [Placed(post.key, "post", None, None)]
        top_n = 0
        for c in ordered:
            if c.parent:
                continue
            top_n += 1
            placed.append(Placed(c.key, f"c{len(placed)}", None, "post"))
            parent_doc = placed[-1].doc
            tl = c.text.split("\n")
            lines.append(f"  {top_n}. {tl[0]}")
            lines += [f"    {ln}" if ln else "" for ln in tl[1:]]
            lines += ["", "    ReplyDelete"]
            reps = self.c.replies(post, c)
            if reps:
                lines.append("    Replies")
                for j, r in enumerate(reps, 1):
                    placed.append(Placed(r.key, f"c{len(placed)}", parent_doc, "post"))
                    rl = r.text.split("\n")
                    lines.append(f"    {j}. {rl[0]}")
                    lines += [f"      {ln}" if ln else "" for ln in rl[1:]]
                    lines += ["", "      Delete"]
                if c.key.split(".", 1)[1] in closers or "all" in closers:
                    lines.append("    Reply")
        text = "\n".join(lines) + "\n"
        return Rendered(spec["file"], "text_numbered", self.encode_text(text, spec), placed, False)

    def text_glued(self, spec: dict) -> Rendered:
        post = self.c.posts[spec["post"]]
        ordered = self.c.thread_order(post)
        out = re.sub(r"\n{2,}", "\n", post.text)  # glued copies lose blank lines
        placed = [Placed(post.key, "post", None, None)]
        last_top: str | None = None
        prev_marker: str | None = None
        for c in ordered:
            doc = f"c{len(placed)}"
            text = re.sub(r"\n{2,}", "\n", c.text)
            if prev_marker is None:
                out += "\n" + text
            else:
                out += "\n" + prev_marker + text
            if c.parent is None:
                last_top = doc
                placed.append(Placed(c.key, doc, None, "post"))
                prev_marker = "ReplyDelete"
            else:
                placed.append(Placed(c.key, doc, last_top, "post"))
                prev_marker = "Delete"
        out += "\n" + (prev_marker or "") + "\n"
        return Rendered(spec["file"], "text_glued", self.encode_text(out, spec), placed, False)

    @staticmethod
    def encode_text(text: str, spec: dict) -> bytes:
        enc = spec.get("encoding", "utf-8")
        if spec.get("crlf"):
            text = text.replace("\n", "\r\n")
        if enc == "utf-8":
            return text.encode("utf-8")
        if enc == "cp1252":
            return text.encode("cp1252")
        if enc == "mojibake":  # UTF-8 bytes read as Windows-1252 and saved again as UTF-8
            raw = text.encode("utf-8")
            chars = []
            for byte in raw:
                try:
                    chars.append(bytes([byte]).decode("cp1252"))
                except UnicodeDecodeError:
                    chars.append(chr(byte))
            return "".join(chars).encode("utf-8")
        raise SourceError(f"unknown encoding {enc!r}")

    # -- saved pages
    def page_head(self, post: Doc) -> list[str]:
        return [
            "<!DOCTYPE html>",
            "<html class='v2' dir='ltr' lang='en-GB' xmlns='http://www.w3.org/1999/xhtml' "
            "xmlns:b='http://www.google.com/2005/gml/b' xmlns:data='http://www.google.com/2005/gml/data' "
            "xmlns:expr='http://www.google.com/2005/gml/expr'>",
            f"<!-- {SYNTHETIC_NOTE} -->",
            "<head>",
            "<meta content='text/html; charset=UTF-8' http-equiv='Content-Type'/>",
            "<meta content='blogger' name='generator'/>",
            f"<title>{self.x(self.blog_title)}: {self.x(post.title)}</title>",
            f"<link href='{self.post_url(post)}' rel='canonical'/>",
            f"<link rel='alternate' type='application/atom+xml' title='{self.xa(self.blog_title)} - Atom' "
            f"href='https://{self.host}/feeds/posts/default'/>",
            "</head>",
            "<body class='loading'>",
            "<div class='content-outer'><div class='main-inner'>",
            f"<div class='header-outer'><h1 class='title'><a href='https://{self.host}/'>"
            f"{self.x(self.blog_title)}</a></h1></div>",
            "<div class='blog-posts hfeed'>",
            "<div class='date-outer'>",
            f"<h2 class='date-header'><span>{self.date_line(post)}</span></h2>",
            "<div class='date-posts'>",
            "<div class='post-outer'>",
            "<div class='post hentry uncustomized-post-template' itemprop='blogPost' itemscope='itemscope' "
            "itemtype='http://schema.org/BlogPosting'>",
            f"<meta content='{post.bid}' itemprop='postId'/>",
            f"<a name='{post.bid}'></a>",
            f"<h3 class='post-title entry-title' itemprop='name'>\n{self.x(post.title)}\n</h3>",
            "<div class='post-header'><div class='post-header-line-1'></div></div>",
            f"<div class='post-body entry-content' id='post-body-{post.bid}' "
            "itemprop='description articleBody'>",
            self.post_html(post),
            "<div style='clear: both;'></div>",
            "</div>",
            "<div class='post-footer'>",
            "<div class='post-footer-line post-footer-line-1'>",
            "<span class='post-author vcard'>Posted by <span class='fn' itemprop='author' "
            "itemscope='itemscope' itemtype='http://schema.org/Person'>"
            f"<span itemprop='name'>{self.x(post.author)}</span></span></span>",
            f"<span class='post-timestamp'>at <a class='timestamp-link' href='{self.post_url(post)}' "
            f"rel='bookmark' title='permanent link'><abbr class='published' itemprop='datePublished' "
            f"title='{self.iso_local(post)}'>{post.local_time:%H:%M}</abbr></a></span>",
            "</div>",
            "</div>",
            "</div>",
        ]

    @staticmethod
    def page_tail() -> list[str]:
        return ["</div>", "</div>", "</div>", "</div>",
                "<div class='blog-pager' id='blog-pager'><a class='home-link' href='/'>Home</a></div>",
                "</div></div>", "</body>", "</html>"]

    def cite(self, c: Doc) -> str:
        prof = self.profiles.get(c.author)
        if prof:
            return (f'<cite class="user"><a href="https://www.blogger.com/profile/{prof}" rel="nofollow">'
                    f'{self.x(c.author)}</a></cite>')
        return f'<cite class="user">{self.x(c.author)}</cite>'

    def li_comment(self, c: Doc, indent: str, replies: list[Doc]) -> list[str]:
        is_owner = c.author == self.owner
        avatar = ("//www.blogger.com/img/blogger_logo_round_35.png" if self.profiles.get(c.author)
                  else "//resources.blogblog.com/img/blank.gif")
        i = indent
        out = [
            f'{i}<li class="comment" id="c{c.bid}">',
            f'{i}  <div class="avatar-image-container"><img alt="" src="{avatar}"/></div>',
            f'{i}  <div class="comment-block">',
            f'{i}    <div class="comment-header">',
            f'{i}      {self.cite(c)}<span class="icon user{" blog-author" if is_owner else ""}"></span>',
            f'{i}      <span class="datetime secondary-text"><a href="{html.escape(self.comment_url(c))}" '
            f'rel="nofollow">{self.display_time(c)}</a></span>',
            f'{i}    </div>',
            f'{i}    <p class="comment-content">{self.comment_html(c.text)}</p>',
        ]
        if c.parent is None:
            out.append(f'{i}    <span class="comment-actions secondary-text"><a class="comment-reply" '
                       f'data-comment-id="{c.bid}" target="_self">Reply</a></span>')
        else:
            out.append(f'{i}    <span class="comment-actions secondary-text"></span>')
        out.append(f"{i}  </div>")
        if replies:
            out += [
                f'{i}  <div class="comment-replies">',
                f'{i}    <div class="comment-thread inline-thread" id="c{c.bid}-rt">',
                f'{i}      <span class="thread-toggle thread-expanded"><span class="thread-arrow"></span>'
                f'<span class="thread-count"><a target="_self">Replies</a></span></span>',
                f'{i}      <ol class="thread-chrome thread-expanded" id="c{c.bid}-ra"><div>',
            ]
            for r in replies:
                out += self.li_comment(r, i + "        ", [])
            out += [
                f'{i}      </div><div class="continue" id="c{c.bid}-continue"><a class="comment-reply" '
                f'data-comment-id="{c.bid}" target="_self">Reply</a></div></ol>',
                f"{i}    </div>",
                f"{i}  </div>",
            ]
        else:
            out.append(f'{i}  <div class="comment-replies"><div class="comment-thread inline-thread hidden" '
                       f'id="c{c.bid}-rt"><ol class="thread-chrome thread-expanded" id="c{c.bid}-ra">'
                       f'<div></div></ol></div></div>')
        out += [f'{i}  <div class="comment-replybox-single" id="c{c.bid}-ce"></div>', f"{i}</li>"]
        return out

    def html_threaded(self, spec: dict) -> Rendered:
        post = self.c.posts[spec["post"]]
        ordered = self.c.thread_order(post)
        lines = self.page_head(post)
        lines += [
            "<div class='comments threaded' id='comments'>",
            "<a name='comments'></a>",
            f"<h4>{len(ordered)} comments:</h4>",
            "<div class='comments-content'>",
            "<div id='comment-holder'>",
            '<div class="comment-thread toplevel-thread"><ol id="top-ra">',
        ]
        placed = [Placed(post.key, "post", None, None)]
        for c in ordered:
            if c.parent:
                continue
            reps = self.c.replies(post, c)
            placed.append(Placed(c.key, f"c{len(placed)}", None, "post"))
            pdoc = placed[-1].doc
            for r in reps:
                placed.append(Placed(r.key, f"c{len(placed)}", pdoc, "post"))
            lines += self.li_comment(c, "", reps)
        lines += [
            "</ol>",
            '<div id="top-continue" class="continue"><a class="comment-reply" target="_self">Add comment</a></div>',
            f'<div class="loadmore hidden" data-post-id="{post.bid}"><a target="_self">Load more...</a></div>',
            "</div>", "</div>", "</div>", "</div>",
        ]
        lines += self.page_tail()
        return Rendered(spec["file"], "html_threaded", ("\n".join(lines) + "\n").encode(), placed, True)

    def html_legacy(self, spec: dict) -> Rendered:
        post = self.c.posts[spec["post"]]
        ordered = self.c.live_comments(post)
        if any(c.parent for c in ordered):
            raise SourceError(f"{post.key}: the flat legacy layout cannot show replies")
        lines = self.page_head(post)
        lines += ["<div class='comments' id='comments'>", "<a name='comments'></a>",
                  f"<h4>{len(ordered)} comments:</h4>", "<dl id='comments-block'>"]
        placed = [Placed(post.key, "post", None, None)]
        for c in ordered:
            placed.append(Placed(c.key, f"c{len(placed)}", None, "post"))
            prof = self.profiles.get(c.author)
            owner = " blog-author" if c.author == self.owner else ""
            lines += [f"<dt class='comment-author{owner}' id='c{c.bid}'>", f"<a name='c{c.bid}'></a>"]
            if prof:
                lines += [f"<a href='https://www.blogger.com/profile/{prof}' rel='nofollow'>{self.x(c.author)}</a>",
                          "said..."]
            else:
                lines.append(f"{self.x(c.author)} said...")
            t = c.local_time
            lines += [
                "</dt>",
                "<dd class='comment-body'>",
                f"<p>{self.comment_html(c.text)}</p>",
                "</dd>",
                "<dd class='comment-footer'>",
                "<span class='comment-timestamp'>",
                f"<a href='{self.xa(self.comment_url(c))}' title='comment permalink'>",
                f"{t.day} {MONTHS[t.month - 1]} {t.year} {t:%H:%M}",
                "</a>",
                "</span>",
                "</dd>",
            ]
        lines += ["</dl>", f"<p class='comment-footer'><a href='https://www.blogger.com/comment.g?blogID="
                  f"{self.blog_id}&amp;postID={post.bid}' onclick=''>Post a Comment</a></p>", "</div>"]
        lines += self.page_tail()
        return Rendered(spec["file"], "html_legacy", ("\n".join(lines) + "\n").encode(), placed, True)

    # -- feeds
    FEED_NS = ("xmlns='http://www.w3.org/2005/Atom'\n"
               "      xmlns:openSearch='http://a9.com/-/spec/opensearchrss/1.0/'\n"
               "      xmlns:blogger='http://schemas.google.com/blogger/2008'\n"
               "      xmlns:georss='http://www.georss.org/georss'\n"
               "      xmlns:gd='http://schemas.google.com/g/2005'\n"
               "      xmlns:thr='http://purl.org/syndication/thread/1.0'")

    def post_entry_links(self, post: Doc, indent: str) -> list[str]:
        n = len(self.c.live_comments(post))
        i = indent
        return [
            f"{i}<link rel='replies' type='application/atom+xml' href='{self.comment_feed_url(post, False)}' "
            f"title='Post Comments'/>",
            f"{i}<link rel='replies' type='text/html' href='{self.post_url(post)}#comment-form' "
            f"title='{n} Comments'/>",
            f"{i}<link rel='edit' type='application/atom+xml' href='https://www.blogger.com/feeds/"
            f"{self.blog_id}/posts/default/{post.bid}'/>",
            f"{i}<link rel='self' type='application/atom+xml' href='https://www.blogger.com/feeds/"
            f"{self.blog_id}/posts/default/{post.bid}'/>",
            f"{i}<link rel='alternate' type='text/html' href='{self.post_url(post)}' "
            f"title='{self.xa(post.title)}'/>",
        ]

    def atom_posts(self, spec: dict) -> Rendered:
        posts = [self.c.posts[k] for k in spec["posts"]]
        posts.sort(key=lambda p: p.utc, reverse=True)  # feeds list newest first
        newest = max(self.updated(p) for p in posts)
        lines = [
            "<?xml version='1.0' encoding='UTF-8'?>",
            f"<!-- {SYNTHETIC_NOTE} -->",
            f"<feed {self.FEED_NS}>",
            f"  <id>tag:blogger.com,1999:blog-{self.blog_id}</id>",
            f"  <updated>{self.iso(newest)}</updated>",
        ]
        cats = sorted({lab for p in posts for lab in p.labels})
        lines += [f"  <category term='{self.xa(c)}'/>" for c in cats]
        lines += [
            f"  <title type='text'>{self.x(self.blog_title)}</title>",
            f"  <subtitle type='html'>{self.x(self.c.blog['subtitle'])}</subtitle>",
            f"  <link rel='http://schemas.google.com/g/2005#feed' type='application/atom+xml' "
            f"href='https://{self.host}/feeds/posts/default'/>",
            f"  <link rel='self' type='application/atom+xml' href='https://www.blogger.com/feeds/"
            f"{self.blog_id}/posts/default?start-index=1&amp;max-results=25'/>",
            f"  <link rel='alternate' type='text/html' href='https://{self.host}/'/>",
            "  <link rel='hub' href='http://pubsubhubbub.appspot.com/'/>",
            self.author_xml(self.owner, "  "),
            "  <generator version='7.00' uri='http://www.blogger.com'>Blogger</generator>",
            f"  <openSearch:totalResults>{len(posts)}</openSearch:totalResults>",
            "  <openSearch:startIndex>1</openSearch:startIndex>",
            "  <openSearch:itemsPerPage>25</openSearch:itemsPerPage>",
        ]
        placed = []
        for n, p in enumerate(posts, 1):
            placed.append(Placed(p.key, f"p{n}", None, None))
            lines += [
                "  <entry>",
                f"    <id>{self.entry_id(p)}</id>",
                f"    <published>{self.iso(p.utc)}</published>",
                f"    <updated>{self.iso(self.updated(p))}</updated>",
            ]
            lines += [f"    <category scheme='http://www.blogger.com/atom/ns#' term='{self.xa(c)}'/>"
                      for c in p.labels]
            lines += [
                f"    <title type='text'>{self.x(p.title)}</title>",
                f"    <content type='html'>{self.x(self.post_html(p))}</content>",
            ]
            lines += self.post_entry_links(p, "    ")
            lines += [self.author_xml(p.author, "    "),
                      f"    <thr:total>{len(self.c.live_comments(p))}</thr:total>", "  </entry>"]
        lines.append("</feed>")
        return Rendered(spec["file"], "atom_posts", ("\n".join(lines) + "\n").encode(), placed, True)

    def comment_entry(self, c: Doc, indent: str, legacy_kind: bool = False) -> list[str]:
        post = self.c.posts[c.post_key]
        i = indent
        base = self.comment_feed_url(post)
        lines = [
            f"{i}<entry>",
            f"{i}  <id>{self.entry_id(c)}</id>",
            f"{i}  <published>{self.iso(c.utc)}</published>",
            f"{i}  <updated>{self.iso(c.utc)}</updated>",
        ]
        if legacy_kind:
            lines.append(f"{i}  <category scheme='http://schemas.google.com/g/2005#kind' "
                         f"term='http://schemas.google.com/blogger/2008/kind#comment'/>")
        lines += [
            f"{i}  <title type='text'>{self.x(self.feed_title(c))}</title>",
            f"{i}  <content type='html'>{self.x(self.comment_html(c.text))}</content>",
            f"{i}  <link rel='edit' type='application/atom+xml' href='{base}/{c.bid}'/>",
            f"{i}  <link rel='self' type='application/atom+xml' href='{base}/{c.bid}'/>",
            f"{i}  <link rel='alternate' type='text/html' href='{self.xa(self.comment_url(c))}' title=''/>",
        ]
        if c.parent:
            parent = self.c.docs[c.parent]
            suffix = "" if legacy_kind else "?v=2"
            lines.append(f"{i}  <link rel='related' type='application/atom+xml' href='{base}/{parent.bid}{suffix}'/>")
        lines += [
            self.author_xml(c.author, i + "  ", image=not legacy_kind),
            f"{i}  <thr:in-reply-to href='{self.post_url(post)}'",
            f"{i}                   ref='{self.entry_id(post)}'",
            f"{i}                   source='https://www.blogger.com/feeds/{self.blog_id}/posts/default/{post.bid}'",
            f"{i}                   type='text/html'/>",
            f"{i}  <gd:extendedProperty name='blogger.itemClass' value='pid-{small_id(c.key, 9)}'/>",
            f"{i}  <gd:extendedProperty name='blogger.displayTime' value='{self.display_time(c)}'/>",
            f"{i}</entry>",
        ]
        return lines

    def atom_comments(self, spec: dict) -> list[Rendered]:
        post = self.c.posts[spec["post"]]
        comments = self.c.live_comments(post)
        files = _as_list(spec.get("files")) or [spec["file"]]
        size = int(spec.get("page_size", 25))
        pages = [comments[i:i + size] for i in range(0, len(comments), size)]
        if len(pages) != len(files):
            raise SourceError(f"{post.key}: {len(comments)} comments make {len(pages)} pages, "
                              f"but {len(files)} files are named")
        out = []
        feed_url = self.comment_feed_url(post)
        for n, (name, page) in enumerate(zip(files, pages)):
            start = n * size + 1
            keys = {c.key for c in page}
            lines = [
                "<?xml version='1.0' encoding='UTF-8'?>",
                f"<!-- {SYNTHETIC_NOTE} -->",
                "<feed xmlns='http://www.w3.org/2005/Atom'\n"
                "      xmlns:openSearch='http://a9.com/-/spec/opensearchrss/1.0/'\n"
                "      xmlns:gd='http://schemas.google.com/g/2005'\n"
                "      xmlns:thr='http://purl.org/syndication/thread/1.0'>",
                f"  <id>tag:blogger.com,1999:blog-{self.blog_id}.post{post.bid}..comments</id>",
                f"  <updated>{self.iso(self.updated(post))}</updated>",
                f"  <title type='text'>Comments on {self.x(self.blog_title)}: {self.x(post.title)}</title>",
                f"  <link rel='http://schemas.google.com/g/2005#feed' type='application/atom+xml' "
                f"href='{self.comment_feed_url(post, False)}'/>",
                f"  <link rel='self' type='application/atom+xml' href='{feed_url}?orderby=published&amp;"
                f"reverse=false&amp;start-index={start}&amp;max-results={size}'/>",
                f"  <link rel='alternate' type='text/html' href='{self.post_url(post)}'/>",
            ]
            if n > 0:
                lines.append(f"  <link rel='previous' type='application/atom+xml' href='{feed_url}?orderby="
                             f"published&amp;reverse=false&amp;start-index={start - size}&amp;max-results={size}'/>")
            if n < len(pages) - 1:
                lines.append(f"  <link rel='next' type='application/atom+xml' href='{feed_url}?orderby="
                             f"published&amp;reverse=false&amp;start-index={start + size}&amp;max-results={size}'/>")
            lines += [
                f"  <author><name>{self.x(self.owner)}</name><email>noreply@blogger.com</email></author>",
                "  <generator version='7.00' uri='http://www.blogger.com'>Blogger</generator>",
                f"  <openSearch:totalResults>{len(comments)}</openSearch:totalResults>",
                f"  <openSearch:startIndex>{start}</openSearch:startIndex>",
                f"  <openSearch:itemsPerPage>{size}</openSearch:itemsPerPage>",
            ]
            placed = []
            names: dict[str, str] = {}
            for c in page:
                if c.parent and c.parent not in keys:
                    raise SourceError(f"{c.key}: reply on another feed page than its parent")
                names[c.key] = f"c{len(placed) + 1}"
                placed.append(Placed(c.key, names[c.key], names.get(c.parent) if c.parent else None, None))
                lines.append("")
                lines += self.comment_entry(c, "  ")
            lines.append("</feed>")
            out.append(Rendered(name, "atom_comments", ("\n".join(lines) + "\n").encode(), placed, True))
        return out

    def json_comments(self, spec: dict) -> Rendered:
        post = self.c.posts[spec["post"]]
        comments = self.c.live_comments(post)
        base = self.comment_feed_url(post)
        in_reply = {
            "xmlns$thr": "http://purl.org/syndication/thread/1.0",
            "href": self.post_url(post),
            "ref": self.entry_id(post),
            "source": f"https://www.blogger.com/feeds/{self.blog_id}/posts/default/{post.bid}",
            "type": "text/html",
        }
        entries = []
        placed = []
        names: dict[str, str] = {}
        for c in comments:
            names[c.key] = f"c{len(placed) + 1}"
            placed.append(Placed(c.key, names[c.key], names.get(c.parent) if c.parent else None, None))
            links = [
                {"rel": "edit", "type": "application/atom+xml", "href": f"{base}/{c.bid}"},
                {"rel": "self", "type": "application/atom+xml", "href": f"{base}/{c.bid}"},
                {"rel": "alternate", "type": "text/html", "href": self.comment_url(c), "title": ""},
            ]
            if c.parent:
                links.append({"rel": "related", "type": "application/atom+xml",
                              "href": f"{base}/{self.c.docs[c.parent].bid}?v=2"})
            author: dict = {"name": {"$t": c.author}}
            prof = self.profiles.get(c.author)
            if prof:
                author["uri"] = {"$t": f"https://www.blogger.com/profile/{prof}"}
            author["email"] = {"$t": "noreply@blogger.com"}
            author["gd$image"] = {"rel": "http://schemas.google.com/g/2005#thumbnail", "width": "16",
                                  "height": "16",
                                  "src": "https://img1.blogblog.com/img/b16-rounded.gif" if prof
                                  else "https://img1.blogblog.com/img/blank.gif"}
            entries.append({
                "id": {"$t": self.entry_id(c)},
                "published": {"$t": self.iso(c.utc)},
                "updated": {"$t": self.iso(c.utc)},
                "title": {"type": "text", "$t": self.feed_title(c)},
                "content": {"type": "html", "$t": self.comment_html(c.text)},
                "link": links,
                "author": [author],
                "thr$in-reply-to": dict(in_reply),
                "gd$extendedProperty": [
                    {"name": "blogger.itemClass", "value": f"pid-{small_id(c.key, 9)}"},
                    {"name": "blogger.displayTime", "value": self.display_time(c)},
                ],
            })
        doc = {
            "_comment": SYNTHETIC_NOTE,
            "version": "1.0",
            "encoding": "UTF-8",
            "feed": {
                "xmlns": "http://www.w3.org/2005/Atom",
                "xmlns$openSearch": "http://a9.com/-/spec/opensearchrss/1.0/",
                "xmlns$gd": "http://schemas.google.com/g/2005",
                "xmlns$thr": "http://purl.org/syndication/thread/1.0",
                "id": {"$t": f"tag:blogger.com,1999:blog-{self.blog_id}.post{post.bid}..comments"},
                "updated": {"$t": self.iso(self.updated(post))},
                "title": {"type": "text", "$t": f"Comments on {self.blog_title}: {post.title}"},
                "link": [
                    {"rel": "http://schemas.google.com/g/2005#feed", "type": "application/atom+xml",
                     "href": self.comment_feed_url(post, False)},
                    {"rel": "self", "type": "application/atom+xml", "href": f"{base}?alt=json"},
                    {"rel": "alternate", "type": "text/html", "href": self.post_url(post)},
                ],
                "author": [{"name": {"$t": self.owner}, "email": {"$t": "noreply@blogger.com"}}],
                "generator": {"version": "7.00", "uri": "http://www.blogger.com", "$t": "Blogger"},
                "openSearch$totalResults": {"$t": str(len(comments))},
                "openSearch$startIndex": {"$t": "1"},
                "openSearch$itemsPerPage": {"$t": "25"},
                "entry": entries,
            },
        }
        data = json.dumps(doc, ensure_ascii=False, indent=1) + "\n"
        return Rendered(spec["file"], "json_comments", data.encode(), placed, True)

    # -- exports
    def legacy_export(self, spec: dict) -> Rendered:
        posts = [self.c.posts[k] for k in spec["posts"]]
        drafts = [self.c.posts[k] for k in _as_list(spec.get("drafts"))]
        newest = max(self.updated(p) for p in posts)
        lines = [
            "<?xml version='1.0' encoding='UTF-8'?>",
            f"<!-- {SYNTHETIC_NOTE} -->",
            "<feed xmlns='http://www.w3.org/2005/Atom'\n"
            "      xmlns:openSearch='http://a9.com/-/spec/opensearchrss/1.0/'\n"
            "      xmlns:gd='http://schemas.google.com/g/2005'\n"
            "      xmlns:thr='http://purl.org/syndication/thread/1.0'\n"
            "      xmlns:georss='http://www.georss.org/georss'\n"
            "      xmlns:app='http://purl.org/atom/app#'>",
            f"  <id>tag:blogger.com,1999:blog-{self.blog_id}.archive</id>",
            f"  <updated>{self.iso(newest)}</updated>",
            f"  <title type='text'>{self.x(self.blog_title)}</title>",
            f"  <link rel='self' type='application/atom+xml' href='https://www.blogger.com/feeds/{self.blog_id}/archive'/>",
            f"  <link rel='alternate' type='text/html' href='https://{self.host}/'/>",
            f"  <author><name>{self.x(self.owner)}</name><email>noreply@blogger.com</email></author>",
            "  <generator version='7.00' uri='http://www.blogger.com'>Blogger</generator>",
            "",
            "  <entry>",
            f"    <id>tag:blogger.com,1999:blog-{self.blog_id}.layout</id>",
            "    <category scheme='http://schemas.google.com/g/2005#kind' "
            "term='http://schemas.google.com/blogger/2008/kind#template'/>",
            "    <title type='text'>Template: " + self.x(self.blog_title) + "</title>",
            "    <content type='text'>&lt;?xml version=\"1.0\"?&gt;&lt;html&gt;&lt;b:skin/&gt;&lt;/html&gt;</content>",
            "  </entry>",
            "",
            "  <entry>",
            f"    <id>tag:blogger.com,1999:blog-{self.blog_id}.settings.BLOG_NAME</id>",
            "    <category scheme='http://schemas.google.com/g/2005#kind' "
            "term='http://schemas.google.com/blogger/2008/kind#settings'/>",
            "    <title type='text'>Blog name</title>",
            f"    <content type='text'>{self.x(self.blog_title)}</content>",
            "  </entry>",
            "",
            "  <entry>",
            f"    <id>tag:blogger.com,1999:blog-{self.blog_id}.settings.BLOG_COMMENT_THREADING</id>",
            "    <category scheme='http://schemas.google.com/g/2005#kind' "
            "term='http://schemas.google.com/blogger/2008/kind#settings'/>",
            "    <title type='text'>Threaded comments</title>",
            "    <content type='text'>false</content>",
            "  </entry>",
        ]
        placed: list[Placed] = []
        post_names: dict[str, str] = {}
        for n, p in enumerate(sorted(posts + drafts, key=lambda p: p.utc, reverse=True), 1):
            lines += ["", "  <entry>", f"    <id>{self.entry_id(p)}</id>",
                      f"    <published>{self.iso(p.utc)}</published>",
                      f"    <updated>{self.iso(self.updated(p))}</updated>",
                      "    <category scheme='http://schemas.google.com/g/2005#kind' "
                      "term='http://schemas.google.com/blogger/2008/kind#post'/>"]
            lines += [f"    <category scheme='http://www.blogger.com/atom/ns#' term='{self.xa(c)}'/>"
                      for c in p.labels]
            lines += [f"    <title type='text'>{self.x(p.title)}</title>",
                      f"    <content type='html'>{self.x(self.post_html(p))}</content>"]
            if p in drafts:
                lines += ["    <app:control><app:draft>yes</app:draft></app:control>",
                          f"    <author><name>{self.x(p.author)}</name></author>", "  </entry>"]
                continue
            post_names[p.key] = f"p{len(post_names) + 1}"
            placed.append(Placed(p.key, post_names[p.key], None, None))
            lines += self.post_entry_links(p, "    ")
            prof = self.profiles.get(p.author)
            lines += [f"    <author><name>{self.x(p.author)}</name>"
                      + (f"<uri>https://www.blogger.com/profile/{prof}</uri>" if prof else "")
                      + "<email>noreply@blogger.com</email></author>",
                      f"    <thr:total>{len(self.c.live_comments(p))}</thr:total>", "  </entry>"]
        comments = sorted((c for p in posts for c in self.c.live_comments(p)), key=lambda c: c.utc,
                          reverse=True)
        names: dict[str, str] = {}
        for c in comments:
            names[c.key] = f"c{len(names) + 1}"
        for c in comments:
            placed.append(Placed(c.key, names[c.key], names.get(c.parent) if c.parent else None,
                                 post_names[c.post_key]))
            lines.append("")
            lines += self.comment_entry(c, "  ", legacy_kind=True)
        lines.append("</feed>")
        return Rendered(spec["file"], "legacy_export", ("\n".join(lines) + "\n").encode(), placed, True)

    def takeout(self, spec: dict) -> Rendered:
        posts = [self.c.posts[k] for k in spec["posts"]]
        drafts = [self.c.posts[k] for k in _as_list(spec.get("drafts"))]
        lines = [
            "<?xml version='1.0' encoding='utf-8'?>",
            f"<!-- {SYNTHETIC_NOTE} -->",
            "<feed xmlns='http://www.w3.org/2005/Atom' xmlns:blogger='http://schemas.google.com/blogger/2018'>",
            f"  <id>tag:blogger.com,1999:blog-{self.blog_id}</id>",
            f"  <title>{self.x(self.blog_title)}</title>",
        ]
        placed: list[Placed] = []
        post_names: dict[str, str] = {}
        for p in sorted(posts + drafts, key=lambda p: p.utc):
            live = p not in drafts
            created = p.utc - timedelta(minutes=7 + int(small_id(p.key, 2)) % 40, seconds=31)
            lines += [
                "", "  <entry>", f"    <id>{self.entry_id(p)}</id>",
                "    <blogger:type>POST</blogger:type>",
                f"    <blogger:status>{'LIVE' if live else 'DRAFT'}</blogger:status>",
                "    <author>", f"      <name>{self.x(p.author)}</name>",
                f"      <uri>https://www.blogger.com/profile/{self.profiles.get(p.author, '')}</uri>",
                "      <blogger:type>BLOGGER</blogger:type>", "    </author>",
                f"    <title>{self.x(p.title)}</title>",
                f"    <content type='html'>{self.x(self.post_html(p))}</content>",
                "    <blogger:metaDescription/>",
                f"    <blogger:created>{self.iso(created)}</blogger:created>",
                f"    <published>{self.iso(p.utc)}</published>",
                f"    <updated>{self.iso(self.updated(p))}</updated>",
                "    <blogger:location/>",
            ]
            lines += [f"    <category scheme='tag:blogger.com,1999:blog-{self.blog_id}' term='{self.xa(c)}'/>"
                      for c in p.labels]
            path = "/" + self.post_url(p).split("/", 3)[3]
            lines += [f"    <blogger:filename>{path}</blogger:filename>" if live else "    <blogger:filename/>",
                      "    <link/>", "    <enclosure/>", "    <blogger:trashed/>", "  </entry>"]
            if live:
                post_names[p.key] = f"p{len(post_names) + 1}"
                placed.append(Placed(p.key, post_names[p.key], None, None))
        names: dict[str, str] = {}
        for p in posts:
            for c in p.comments:  # every status: the export keeps spam and trash too
                anon = c.author == "Anonymous"
                prof = self.profiles.get(c.author)
                kind = "ANONYMOUS" if anon else ("BLOGGER" if prof else "OPENID")
                if c.status == "LIVE":
                    names[c.key] = f"c{len(names) + 1}"
                    placed.append(Placed(c.key, names[c.key], names.get(c.parent) if c.parent else None,
                                         post_names[p.key]))
                reply = (f"    <blogger:inReplyTo>{self.c.docs[c.parent].bid}</blogger:inReplyTo>"
                         if c.parent else "    <blogger:inReplyTo/>")
                lines += [
                    "", "  <entry>", f"    <id>{self.entry_id(c)}</id>",
                    f"    <blogger:parent>{self.entry_id(p)}</blogger:parent>",
                    reply,
                    "    <blogger:type>COMMENT</blogger:type>",
                    f"    <blogger:status>{c.status}</blogger:status>",
                    "    <author>", f"      <name>{self.x(c.author)}</name>",
                    f"      <uri>{'https://www.blogger.com/profile/' + prof if prof else ''}</uri>",
                    f"      <blogger:type>{kind}</blogger:type>", "    </author>",
                    f"    <content type='html'>{self.x(self.comment_html(c.text))}</content>",
                    f"    <blogger:created>{self.iso(c.utc)}</blogger:created>",
                    f"    <published>{self.iso(c.utc)}</published>",
                    f"    <updated>{self.iso(c.utc)}</updated>",
                    "    <blogger:trashed/>", "  </entry>",
                ]
        lines.append("</feed>")
        return Rendered(spec["file"], "takeout_2018", ("\n".join(lines) + "\n").encode(), placed, True)

    # -- imports
    def import_rows(self, spec: dict) -> tuple[list[dict], list[Placed]]:
        posts = [self.c.posts[k] for k in spec["posts"]]
        base = int(spec.get("id_base", 1000))
        rows: list[dict] = []
        placed: list[Placed] = []
        ids: dict[str, str] = {}
        n_post = n_com = 0
        for p in sorted(posts, key=lambda p: p.utc):
            base += 100
            ids[p.key] = str(base)
            n_post += 1
            pname = f"p{n_post}"
            placed.append(Placed(p.key, pname, None, None))
            rows.append({"id": ids[p.key], "post": "", "parent": "", "author": p.author, "ts": p,
                         "title": p.title, "body": p.text})
            names: dict[str, str] = {}
            for j, c in enumerate(self.c.live_comments(p), 1):
                ids[c.key] = str(base + j)
                n_com += 1
                names[c.key] = f"c{n_com}"
                placed.append(Placed(c.key, names[c.key], names.get(c.parent) if c.parent else None, pname))
                rows.append({"id": ids[c.key], "post": ids[p.key], "parent": ids.get(c.parent, "") if c.parent
                             else "", "author": c.author, "ts": c, "title": "", "body": c.text})
        return rows, placed

    def csv_import(self, spec: dict) -> Rendered:
        rows, placed = self.import_rows(spec)
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow(["id", "post", "parent", "author", "timestamp", "title", "body"])
        for r in rows:
            w.writerow([r["id"], r["post"], r["parent"], r["author"], self.iso(r["ts"].utc).replace(".000", ""),
                        r["title"], r["body"]])
        return Rendered(spec["file"], "csv", buf.getvalue().encode("utf-8"), placed, True)

    def jsonl_import(self, spec: dict) -> Rendered:
        rows, placed = self.import_rows(spec)
        cols = spec["columns"]  # our name -> the file's name
        out = []
        for r in rows:
            rec = {
                cols["id"]: r["id"],
                cols["post"]: r["post"] or None,
                cols["parent"]: r["parent"] or None,
                cols["author"]: r["author"],
                cols["timestamp"]: self.iso_local(r["ts"]),
                cols["title"]: r["title"] or None,
                cols["body"]: r["body"],
            }
            out.append(json.dumps(rec, ensure_ascii=False))
        data = Rendered(spec["file"], "jsonl", ("\n".join(out) + "\n").encode(), placed, True)
        # The mapping travels beside the file (``<file>.columns.json``), so ingest needs no flags.
        sidecar = Rendered(spec["file"] + ".columns.json", "columns",
                           (json.dumps(cols, indent=1, sort_keys=True) + "\n").encode(), [], False)
        sidecar.note = "column mapping for import_comments.jsonl, read by ingest"
        return [data, sidecar]

    def render(self, spec: dict) -> list[Rendered]:
        fmt = spec["format"]
        table: dict[str, Callable[[dict], Rendered | list[Rendered]]] = {
            "text_numbered": self.text_numbered,
            "text_glued": self.text_glued,
            "html_threaded": self.html_threaded,
            "html_legacy": self.html_legacy,
            "atom_posts": self.atom_posts,
            "atom_comments": self.atom_comments,
            "json_comments": self.json_comments,
            "legacy_export": self.legacy_export,
            "takeout_2018": self.takeout,
            "csv": self.csv_import,
            "jsonl": self.jsonl_import,
        }
        if fmt not in table:
            raise SourceError(f"unknown output format {fmt!r}")
        res = table[fmt](spec)
        out = res if isinstance(res, list) else [res]
        notes = _as_list(spec.get("notes")) or [spec.get("note", "")] * len(out)
        for r, note in zip(out, notes):
            r.note = r.note or str(note or "")
        return out


# --------------------------------------------------------------------------- answer keys

def build_keys(corpus: Corpus, files: list[Rendered]) -> dict[str, list[dict]]:
    """Gold labels, segments, duplicates and time references from the placed documents."""
    where: dict[str, list[tuple[str, Placed, Rendered]]] = {}
    for f in sorted(files, key=lambda f: f.name):
        for pl in f.placed:
            where.setdefault(pl.key, []).append((f.name, pl, f))
    missing = [k for k, d in corpus.docs.items() if d.status == "LIVE" and k not in where]
    if missing:
        raise SourceError(f"documents in no output file: {missing[:10]}")

    def loc(key: str) -> dict:
        name, pl, _ = where[key][0]
        return {"source": name, "doc": pl.doc}

    def ordered_keys() -> list[str]:
        seen: list[str] = []
        for f in sorted(files, key=lambda f: f.name):
            for pl in f.placed:
                if where[pl.key][0][0] == f.name and pl.key not in seen:
                    seen.append(pl.key)
        return seen

    gold, segs, dups, mentions = [], [], [], []
    for key in ordered_keys():
        d = corpus.docs[key]
        name, pl, f = where[key][0]
        own = own_text(d)
        rec: dict = {
            "source": name,
            "doc": pl.doc,
            "parent": pl.parent,
            "starts_with": own[:40],
            "own_text_only": True,
            "themes": dict(sorted(d.themes.items())),
            "sentiment": d.sentiment,
            "kind": d.kind,
            "key": key,
            "text_starts_with": " ".join(d.text.split())[:40],
        }
        if d.kind == "comment":
            rec["in_post"] = loc(d.post_key)
        if f.has_ids:
            rec["blogger_id"] = d.bid
        also = [{"source": n, "doc": p.doc} for n, p, _ in where[key][1:]]
        if also:
            rec["also_in"] = also
        gold.append(rec)
        if d.segments:
            segs.append({
                "source": name, "doc": pl.doc, "key": key,
                "segments": [{"kind": s.kind, "text": s.text,
                              "copy_of": loc(s.copy_of) if s.copy_of else None} for s in d.segments],
            })
            for s in d.segments:
                if s.copy_of and corpus.docs[s.copy_of].kind == "comment" and s.text == d.text:
                    continue
                if s.copy_of and len(s.text) >= 0.5 * len(corpus.docs[s.copy_of].text):
                    orig = corpus.docs[s.copy_of]
                    if s.text == orig.text:
                        detail = "verbatim"
                    elif s.text.endswith("...") and orig.text.startswith(s.text[:-3]):
                        detail = "truncated"
                    elif s.text in orig.text:
                        detail = "partial"
                    else:
                        detail = "edited"
                    dups.append({"a": loc(key), "b": loc(s.copy_of), "relation": "contains",
                                 "detail": f"{d.kind} quotes the whole of the other document ({detail})"
                                 if detail == "verbatim" else f"{d.kind} quotes the other document ({detail})",
                                 "a_key": key, "b_key": s.copy_of})
        if d.copy_of:
            dups.append({"a": loc(key), "b": loc(d.copy_of), "relation": d.copy_relation,
                         "detail": f"same words posted again ({d.copy_detail})",
                         "a_key": key, "b_key": d.copy_of})
        for n in d.negatives:
            dups.append({"a": loc(key), "b": loc(n), "relation": "negative",
                         "detail": "different documents with similar wording (hard negative)",
                         "a_key": key, "b_key": n})
        for r in d.refs:
            t = corpus.docs[r].local_time.strftime("%H:%M")
            mentions.append({"source": name, "doc": pl.doc, "key": key, "time": t,
                             "target": loc(r), "target_key": r,
                             "same_post": corpus.docs[r].post_key == d.post_key})
    return {"sample_gold.jsonl": gold, "sample_segments.jsonl": segs,
            "sample_duplicates.jsonl": dups, "sample_mentions.jsonl": mentions}


def render_all(source: Path = SOURCE) -> tuple[list[Rendered], dict[str, list[dict]], Corpus]:
    """Every rendered file, the answer keys and the resolved corpus (nothing is written)."""
    corpus = Corpus(source)
    r = Renderer(corpus)
    files: list[Rendered] = []
    for spec in corpus.blog["outputs"]:
        files.extend(r.render(spec))
    names = [f.name for f in files]
    if len(names) != len(set(names)):
        raise SourceError("two outputs share a file name")
    return files, build_keys(corpus, files), corpus


def readme(source: Path, corpus: Corpus, files: list[Rendered], keys: dict[str, list[dict]]) -> str:
    """corpus/sample/README.md: the hand-written introduction plus generated tables."""
    intro = (source / "README_intro.md").read_text(encoding="utf-8").rstrip("\n")
    gold = keys["sample_gold.jsonl"]
    lines = [intro, "", "## Files", "",
             "Generated by `corpus/tools/build_sample.py`. *posts* and *comments* count the documents "
             "each file holds; a document shown in two files is counted in both.", "",
             "| file | format | posts | comments | what it shows |", "|---|---|---|---|---|"]
    for f in sorted(files, key=lambda f: f.name):
        n_posts = sum(1 for p in f.placed if p.doc == "post" or re.fullmatch(r"p\d+", p.doc))
        lines.append(f"| `{f.name}` | {f.fmt} | {n_posts} | {len(f.placed) - n_posts} | {f.note} |")
    posts = sum(1 for g in gold if g["kind"] == "post")
    comments = len(gold) - posts
    live = [corpus.docs[g["key"]] for g in gold]
    years = [d.local_time.year for d in live if d.kind == "post"]
    months = {d.local_time.strftime("%Y-%m") for d in live if d.kind == "post"}
    comment_months = {d.local_time.strftime("%Y-%m") for d in live if d.kind == "comment"}
    lines += ["", "## Counts (distinct documents, from `corpus/annotations/sample_gold.jsonl`)", "",
              f"- {posts} posts and {comments} comments ({len(gold)} documents) in {len(files)} files, "
              f"posts dated {min(years)}–{max(years)} in {len(months)} distinct months, comments in "
              f"{len(comment_months)} distinct months.",
              "- sentiment: " + ", ".join(f"{s} {sum(1 for g in gold if g['sentiment'] == s)}"
                                         for s in SENTIMENTS.values()),
              "", "| theme | FAVOR | AGAINST | NONE |", "|---|---|---|---|"]
    for theme in THEMES.values():
        row = [sum(1 for g in gold if g["themes"].get(theme) == st) for st in STANCES.values()]
        lines.append(f"| {theme} | " + " | ".join(map(str, row)) + " |")
    lines += ["", f"Documents with no theme: {sum(1 for g in gold if not g['themes'])}. "
              f"Segments (quoted/pasted spans): {sum(len(s['segments']) for s in keys['sample_segments.jsonl'])}. "
              f"Duplicate/containment pairs: "
              f"{sum(1 for d in keys['sample_duplicates.jsonl'] if d['relation'] != 'negative')}, "
              f"hard negatives: {sum(1 for d in keys['sample_duplicates.jsonl'] if d['relation'] == 'negative')}. "
              f"Time references: {len(keys['sample_mentions.jsonl'])}.", ""]
    return "\n".join(lines)


def write_all(out: Path, annotations: Path, source: Path = SOURCE) -> dict[str, int]:
    """Render everything into ``out`` (removing stale files) and the keys into ``annotations``."""
    files, keys, corpus = render_all(source)
    out.mkdir(parents=True, exist_ok=True)
    annotations.mkdir(parents=True, exist_ok=True)
    wanted = {f.name for f in files} | {"README.md"}
    for old in out.iterdir():
        if old.is_file() and old.name not in wanted:
            old.unlink()
    for f in files:
        (out / f.name).write_bytes(f.data)
    (out / "README.md").write_text(readme(source, corpus, files, keys), encoding="utf-8")
    for name, rows in keys.items():
        text = "".join(json.dumps(r, ensure_ascii=False, sort_keys=False) + "\n" for r in rows)
        (annotations / name).write_text(text, encoding="utf-8")
    return {"files": len(files), **{k: len(v) for k, v in keys.items()}}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=OUT, help="folder for the rendered sample files")
    ap.add_argument("--annotations", type=Path, default=ANNOTATIONS, help="folder for the answer keys")
    ap.add_argument("--source", type=Path, default=SOURCE, help="folder with blog.yaml and posts/")
    args = ap.parse_args(argv)
    try:
        summary = write_all(args.out, args.annotations, args.source)
    except SourceError as exc:
        print(f"build_sample: {exc}", file=sys.stderr)
        return 1
    print(" ".join(f"{k}={v}" for k, v in summary.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
