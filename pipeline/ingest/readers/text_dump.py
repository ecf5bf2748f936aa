"""Plain-text copies of post pages (``formats/TEXT_DUMPS.md``).

Variants taken:

1. numbered threads: a date line, a title, the body, ``N comments:``, then comments
   ``  1. text`` closed by ``ReplyDelete``, replies under ``Replies`` numbered again from 1
   and closed by ``Delete``; a lone ``Reply`` may close a thread;
2. glued threads: no header, numbering or indentation; each comment's action links are
   glued to the start of the next comment (``ReplyDeleteWhat a load...``). The marker
   after a comment says what it was: ``ReplyDelete`` top-level, ``Delete`` a reply to the
   latest top-level comment. The post/first-comment boundary is the post's sign-off
   where one is found (flag ``boundary_signoff``), otherwise a guess (flag
   ``boundary_guess``); both are reported as warnings;
3. anthology posts (sections separated by lines of asterisks) get the flag ``anthology``;
4. reposted comments are ordinary posts here (the clean stage attributes them).

Text keeps line breaks; numbering, indentation and action links are removed. Lines the
parser cannot place are returned as rejects (they go to quarantine), never dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain, islice

from pipeline.ingest.reader import ReadContext, Reader
from pipeline.records import InputError, ParseResult, RawDoc, Reject

FORMAT = "text_dump"

MONTHS = {m: i for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september",
     "october", "november", "december"], 1)}
DATE_LINE = re.compile(
    r"^\s*(?:(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday),?\s+)?"
    r"(\d{1,2})(?:st|nd|rd|th)?\s+(" + "|".join(MONTHS) + r"),?\s+(\d{4})\s*$",
    re.IGNORECASE,
)
COUNT_LINE = re.compile(r"^\s*(\d+|no)\s+comments?\s*:?\s*$", re.IGNORECASE)
NUMBERED = re.compile(r"^( *)(\d{1,6})\.\s(.*)$")  # a page can hold 10,000+ comments
NUMBERED_EMPTY = re.compile(r"^( *)(\d{1,6})\.\s*$")
GLUED_MARKER = re.compile(r"^(ReplyDelete|Delete)(?:Replies)?")
ANTHOLOGY_SEPARATOR = re.compile(r"^\s*\*{5,}\s*$")
FURNITURE = {
    "reply", "load more...", "load more", "add comment", "post a comment", "newer post",
    "older post", "home", "newer post older post home", "subscribe to: post comments (atom)",
}
SIGNOFF = re.compile(r"^['‘’\"]?[A-Za-z][\w'’.\- ]{0,30}$")


def parse_date_line(line: str) -> datetime | None:
    m = DATE_LINE.match(line)
    if not m:
        return None
    day, month, year = int(m.group(1)), MONTHS[m.group(2).lower()], int(m.group(3))
    try:
        return datetime(year, month, day)
    except ValueError:
        return None


def tidy(lines: list[str]) -> str:
    """Strip indentation and trailing spaces, keep line breaks, trim blank edges,
    and collapse runs of blank lines to one."""
    out: list[str] = []
    for ln in lines:
        s = ln.strip()
        if not s and (not out or not out[-1]):
            continue
        out.append(s)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)


@dataclass
class _Comment:
    number: int
    start_line: int
    is_reply: bool
    parent: int | None  # index into comments of the parent
    lines: list[str] = field(default_factory=list)
    closed: bool = False


@dataclass
class _Header:
    date: datetime | None = None
    title: str | None = None
    body_start: int = 0
    rejects: list[Reject] = field(default_factory=list)


def _read_header(lines: list[str]) -> _Header:
    """Date line and title, if the copy has them (looked for in the first lines)."""
    nonblank = [i for i, ln in enumerate(lines) if ln.strip()]
    for pos, i in enumerate(nonblank[:15]):
        when = parse_date_line(lines[i])
        if when is None:
            continue
        head = _Header(date=when)
        before = [j for j in nonblank[:pos]]
        if before:
            head.rejects.append(Reject(
                f"lines {before[0] + 1}-{before[-1] + 1}",
                "text before the date line (page furniture?)",
                "\n".join(lines[before[0]: before[-1] + 1]),
            ))
        if pos + 1 < len(nonblank):
            t = nonblank[pos + 1]
            title = lines[t].strip()
            if not COUNT_LINE.match(title) and len(title) <= 200:
                head.title = title
                head.body_start = t + 1
                return head
        head.body_start = i + 1
        return head
    return _Header()


@dataclass
class _Numbered:
    """The state of a numbered thread read line by line (see ``_numbered_comments``).

    A numbered line starts a comment when no comment is open. Under ``Replies`` it is a
    reply unless it sits at top-level indentation (two spaces) or, in copies that lost
    their indentation, carries the next top-level number. A numbered line at top-level
    indentation with the next top-level number also starts a comment when the previous
    one was never closed (a lost marker: warned). Other numbered lines are comment text.
    A comment is handed out (``done``) as soon as it is complete.
    """

    indented: bool
    warnings: list[str]
    current: _Comment | None = None
    in_replies: bool = False
    started: int = 0
    top_index: int | None = None
    next_top: int = 1
    next_reply: int = 1
    stray: list[tuple[int, str]] = field(default_factory=list)
    unclosed: list[str] = field(default_factory=list)
    done: list[_Comment] = field(default_factory=list)

    def marker(self, s: str, lineno: int) -> bool:
        """Phase 1: ``ReplyDelete``, ``Delete`` and ``Replies`` close the open comment
        (``Replies`` also opens a reply block). False when the line is no marker."""
        if s == "ReplyDelete":
            if self.current is None or self.current.is_reply:
                self.warnings.append(f"line {lineno}: ReplyDelete with no open top-level comment")
            self.close()
            self.in_replies = False
        elif s == "Delete":
            if self.current is None:
                self.warnings.append(f"line {lineno}: Delete with no open comment")
            self.close()
        elif s == "Replies":
            self.close()
            self.in_replies = self.top_index is not None
            if self.top_index is None:
                self.warnings.append(f"line {lineno}: Replies before any comment")
        else:
            return False
        return True

    def numbered(self, raw: str, lineno: int) -> bool:
        """Phase 2: a numbered line that starts a comment. False when it is comment text."""
        m = NUMBERED.match(raw) or NUMBERED_EMPTY.match(raw)
        if not m:
            return False
        indent, number = len(m.group(1)), int(m.group(2))
        first = m.group(3) if m.lastindex and m.lastindex >= 3 else ""
        top_like = indent <= 3 if self.indented else number == self.next_top and number != self.next_reply
        if self.current is None:
            self.start(number, lineno, first, reply=self.in_replies and not top_like)
            return True
        if top_like and number == self.next_top and (not self.indented or indent < 4):
            self.finish()  # the previous one stays unclosed
            self.start(number, lineno, first, reply=False)
            return True
        return False

    def text(self, raw: str, lineno: int) -> None:
        """Phase 3: any other line is text of the open comment, else a stray (furniture dropped)."""
        if self.current is not None:
            self.current.lines.append(raw)
            return
        s = raw.strip()
        if s and s.lower() not in FURNITURE:
            self.stray.append((lineno, raw))

    def start(self, number: int, lineno: int, first: str, reply: bool) -> None:
        if reply:
            if number != self.next_reply:
                self.warnings.append(f"line {lineno}: expected reply {self.next_reply}, found {number}")
            self.current = _Comment(number, lineno, True, self.top_index, [first])
            self.next_reply = number + 1
        else:
            if number != self.next_top:
                self.warnings.append(f"line {lineno}: expected comment {self.next_top}, found {number}")
            self.current = _Comment(number, lineno, False, None, [first])
            self.top_index = self.started
            self.next_top, self.next_reply, self.in_replies = number + 1, 1, False
        self.started += 1

    def close(self) -> None:
        if self.current is not None:
            self.current.closed = True
        self.finish()

    def finish(self) -> None:
        """The open comment is complete (closed, or left open by the next one)."""
        c = self.current
        if c is not None:
            if not c.closed:
                self.unclosed.append(f"line {c.start_line}: comment {c.number} had no closing marker")
            self.done.append(c)
        self.current = None


def _numbered_comments(lines: Iterable[str], offset: int, indented: bool, warnings: list[str],
                       rejects: list[Reject]) -> Iterator[_Comment]:
    """The comments of a numbered thread, each as soon as it is complete. ``indented``:
    whether any numbered line of the thread is indented (decided by a first pass). The
    thread's warnings go to ``warnings`` (lost closing markers last), its stray lines to
    ``rejects`` at the end."""
    state = _Numbered(indented, warnings)
    for k, raw in enumerate(lines):
        lineno = offset + k + 1
        if not state.marker(raw.strip(), lineno) and not state.numbered(raw, lineno):
            state.text(raw, lineno)
        if state.done:
            yield from state.done
            state.done.clear()
    state.finish()
    yield from state.done
    warnings.extend(state.unclosed)
    for lineno, raw in state.stray:
        rejects.append(Reject(f"line {lineno}", "text outside any comment in a numbered thread", raw))


def _glued_chunks(lines: Iterable[str], offset: int,
                  tail_warn: list[str]) -> Iterator[tuple[list[str], str | None, int]]:
    """Chunks of a glued thread: (lines, closing marker or None, first line number)."""
    cur: list[str] = []
    start = offset + 1
    for k, raw in enumerate(lines):
        m = GLUED_MARKER.match(raw.strip())
        if m:
            yield cur, m.group(1), start
            rest = raw.strip()[m.end():]
            cur = [rest] if rest else []
            start = offset + k + 1
            continue
        cur.append(raw)
    if any(ln.strip() for ln in cur):
        tail_warn.append(f"line {start}: last comment has no closing marker")
        yield cur, None, start


def _find_signoff(lines: list[str]) -> int | None:
    """Index of the post's sign-off line: a short name-like line that is not the last line."""
    idx = [i for i, ln in enumerate(lines) if ln.strip()]
    for i in reversed(idx[:-1]):
        s = lines[i].strip()
        if SIGNOFF.match(s) and len(s.split()) <= 3 and not s.endswith((".", "?", "!", ":", ",")):
            if s.lower() in FURNITURE:
                continue
            return i
    return None


def _guess_boundary(lines: list[str]) -> int:
    """Start of the first comment when no sign-off is found: the last paragraph, else the last line."""
    idx = [i for i, ln in enumerate(lines) if ln.strip()]
    blanks = [i for i in range(idx[0], idx[-1]) if not lines[i].strip()] if idx else []
    if blanks:
        return blanks[-1] + 1
    return idx[-1] if idx else len(lines)


@dataclass
class _Plan:
    """What a first pass over the lines decides before any document is made."""

    head: _Header
    count_at: int | None = None     # line index of ``N comments:``
    declared: int | None = None
    glued_at: int | None = None     # line index of the first glued marker (no count line)
    numbered: bool = True           # the thread after the count line is numbered, not glued
    indented: bool = False          # some numbered line of that thread is indented


def _plan(lines: Iterable[str]) -> _Plan:
    """First pass: the header (from the first 16 non-blank lines), where the thread starts
    and which variant it is. Holds only the header lines."""
    it = iter(lines)
    prefix: list[str] = []
    nonblank = 0
    for ln in it:
        prefix.append(ln)
        nonblank += bool(ln.strip())
        if nonblank > 15:
            break
    plan = _Plan(_read_header(prefix))
    any_numbered = any_close = any_glued = False
    for i, ln in enumerate(chain(prefix[plan.head.body_start:], it), plan.head.body_start):
        if plan.count_at is None:
            if m := COUNT_LINE.match(ln):
                plan.count_at = i
                plan.declared = 0 if m.group(1).lower() == "no" else int(m.group(1))
            elif plan.glued_at is None and GLUED_MARKER.match(ln.strip()):
                plan.glued_at = i
            continue
        if m := NUMBERED.match(ln):
            any_numbered = True
            plan.indented = plan.indented or len(m.group(1)) >= 2
        s = ln.strip()
        any_close = any_close or s in ("ReplyDelete", "Delete")
        any_glued = any_glued or bool(GLUED_MARKER.match(s))
    plan.numbered = (any_numbered and any_close) or not any_glued
    return plan


def _take(it: Iterator[str], n: int) -> list[str]:
    return list(islice(it, max(n, 0)))


def _emit(lines: Iterable[str], plan: _Plan, result: ParseResult) -> Iterator[RawDoc]:
    """Second pass: the post, then its comments one at a time (warnings and rejects go to
    ``result`` as they are found; the post body is the only text held whole)."""
    head = plan.head
    it = iter(lines)
    _take(it, head.body_start)
    post_flags: list[str] = []
    comments: Iterator[RawDoc]
    if plan.count_at is not None:
        body_lines = _take(it, plan.count_at - head.body_start)
        next(it, None)  # the count line
        if plan.numbered:
            parsed = _numbered_comments(it, plan.count_at + 1, plan.indented, result.warnings, result.rejects)
            comments = (_numbered_doc(c, pos) for pos, c in enumerate(parsed, 1))
        else:
            comments = _glued_docs(it, plan.count_at + 1, result.warnings)
    elif plan.glued_at is not None:
        before = _take(it, plan.glued_at - head.body_start)
        sign = _find_signoff(before)
        if sign is not None:
            cut = sign + 1
            flag = "boundary_signoff"
            result.warnings.append(
                f"glued thread: post/first-comment boundary taken after the sign-off on line "
                f"{head.body_start + sign + 1}")
        else:
            cut = _guess_boundary(before)
            flag = "boundary_guess"
            result.warnings.append(
                f"glued thread: post/first-comment boundary is a guess (line {head.body_start + cut + 1})")
        post_flags.append(flag)
        body_lines = before[:cut]
        comments = _glued_docs(chain(before[cut:], it), head.body_start + cut, result.warnings, first_flag=flag)
    else:
        body_lines = list(it)
        comments = iter(())

    body = tidy(body_lines)
    first = None
    if not body:
        first = next(comments, None)
        if first is None:
            raise InputError("empty_document", "text copy has no post body and no comments")
    if any(ANTHOLOGY_SEPARATOR.match(ln) for ln in body_lines):
        post_flags.append("anthology")
    if head.date is None and head.title is None:
        post_flags.append("no_header")
    yield RawDoc(
        local_id="post", kind="post", post_local="post", text=body, position=0,
        published_at=head.date, date_only=head.date is not None, title=head.title,
        flags=tuple(post_flags), locator=f"line {head.body_start + 1}",
    )
    del body, body_lines
    if first is not None:
        yield first
    yield from comments


def stream_text_dump(lines: Callable[[], Iterable[str]], ctx: ReadContext) -> tuple[ParseResult, Iterator[RawDoc]]:
    """Parse a text copy without holding it: ``lines()`` gives the decoded lines afresh
    for each of two passes (a plan, then the documents). Returns the result (declared
    count and header rejects now; warnings and rejects filled in as the documents are
    read) and an iterator of the documents, post first. The documents equal
    ``parse_text_dump``'s; one comment (and the post body) is held at a time."""
    plan = _plan(lines())
    result = ParseResult(format=FORMAT, declared_comments=plan.declared)
    result.rejects.extend(plan.head.rejects)
    return result, _emit(lines(), plan, result)


def parse_text_dump(text: str, ctx: ReadContext) -> ParseResult:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    result, docs = stream_text_dump(lambda: lines, ctx)
    result.docs = list(docs)
    return result


def _numbered_doc(c: _Comment, pos: int) -> RawDoc:
    parent = f"c{c.parent + 1}" if c.is_reply and c.parent is not None else None
    flags = ("unclosed",) if not c.closed else ()
    return RawDoc(
        local_id=f"c{pos}", kind="comment", post_local="post", text=tidy(c.lines), position=pos,
        parent_local=parent, flags=flags, locator=f"line {c.start_line}",
    )


def _glued_docs(thread: Iterable[str], offset: int, warnings: list[str],
                first_flag: str | None = None) -> Iterator[RawDoc]:
    tail_warn: list[str] = []
    notes: list[str] = []
    pos = 0
    latest_top: str | None = None
    for lines, marker, start in _glued_chunks(thread, offset, tail_warn):
        text = tidy(lines)
        if not text:
            if marker is not None:
                notes.append(f"line {start}: empty comment before a {marker} marker")
            continue
        pos += 1
        local = f"c{pos}"
        if marker == "Delete" and latest_top is not None:
            parent = latest_top
        else:
            parent = None
            if marker == "Delete":
                notes.append(f"line {start}: reply with no earlier top-level comment; kept as top-level")
        flags: list[str] = []
        if pos == 1 and first_flag:
            flags.append(first_flag)
        if marker is None:
            flags.append("unclosed")
        yield RawDoc(local_id=local, kind="comment", post_local="post", text=text, position=pos,
                     parent_local=parent, flags=tuple(flags), locator=f"line {start}")
        if parent is None:
            latest_top = local
    warnings.extend(tail_warn + notes)


def sniff(head: str, name: str) -> float:
    s = head.lstrip("\ufeff \t\r\n")
    if not s or s[0] in "<{[":
        return 0.0
    lines = s.split("\n")
    first = [ln for ln in lines[:40] if ln.strip()][:15]
    score = 0.0
    if any(parse_date_line(ln) for ln in first):
        score = max(score, 0.6)
    if any(COUNT_LINE.match(ln) for ln in lines):
        score = max(score, 0.8)
    if any(GLUED_MARKER.match(ln.strip()) for ln in lines) or any(
            ln.strip() in ("ReplyDelete", "Delete") for ln in lines):
        score = max(score, 0.7)
    if score and "," in first[0] and first[0].count(",") >= 4 and not parse_date_line(first[0]):
        return 0.1  # looks like a CSV header
    return score


READER = Reader(
    name=FORMAT, sniff=sniff, parse=parse_text_dump,
    parse_lines=stream_text_dump,
    description="plain-text copies of post pages (numbered, glued, anthology, repost)",
)
