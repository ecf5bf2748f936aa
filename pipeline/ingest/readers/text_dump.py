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
from dataclasses import dataclass, field
from datetime import datetime

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


def _parse_numbered(lines: list[str], offset: int, rejects: list[Reject]) -> tuple[list[_Comment], list[str]]:
    """State machine over a numbered thread. Returns comments and warnings.

    A numbered line starts a comment when no comment is open. Under ``Replies`` it is a
    reply unless it sits at top-level indentation (two spaces) or, in copies that lost
    their indentation, carries the next top-level number. A numbered line at top-level
    indentation with the next top-level number also starts a comment when the previous
    one was never closed (a lost marker: warned). Other numbered lines are comment text.
    """
    comments: list[_Comment] = []
    warnings: list[str] = []
    current: _Comment | None = None
    in_replies = False
    top_index: int | None = None
    next_top, next_reply = 1, 1
    stray: list[tuple[int, str]] = []
    indented = any((m := NUMBERED.match(ln)) and len(m.group(1)) >= 2 for ln in lines)

    def start(number: int, lineno: int, first: str, reply: bool) -> _Comment:
        nonlocal top_index, next_top, next_reply, in_replies
        if reply:
            if number != next_reply:
                warnings.append(f"line {lineno}: expected reply {next_reply}, found {number}")
            comments.append(_Comment(number, lineno, True, top_index, [first]))
            next_reply = number + 1
        else:
            if number != next_top:
                warnings.append(f"line {lineno}: expected comment {next_top}, found {number}")
            comments.append(_Comment(number, lineno, False, None, [first]))
            top_index = len(comments) - 1
            next_top, next_reply, in_replies = number + 1, 1, False
        return comments[-1]

    for k, raw in enumerate(lines):
        lineno = offset + k + 1
        s = raw.strip()
        if s == "ReplyDelete":
            if current is None or current.is_reply:
                warnings.append(f"line {lineno}: ReplyDelete with no open top-level comment")
            if current is not None:
                current.closed = True
            current, in_replies = None, False
            continue
        if s == "Delete":
            if current is None:
                warnings.append(f"line {lineno}: Delete with no open comment")
            else:
                current.closed = True
            current = None
            continue
        if s == "Replies":
            if current is not None:
                current.closed = True
            current = None
            in_replies = top_index is not None
            if top_index is None:
                warnings.append(f"line {lineno}: Replies before any comment")
            continue
        m = NUMBERED.match(raw) or NUMBERED_EMPTY.match(raw)
        if m:
            indent, number = len(m.group(1)), int(m.group(2))
            first = m.group(3) if m.lastindex and m.lastindex >= 3 else ""
            top_like = indent <= 3 if indented else number == next_top and number != next_reply
            if current is None:
                current = start(number, lineno, first, reply=in_replies and not top_like)
                continue
            if top_like and number == next_top and (not indented or indent < 4):
                current = start(number, lineno, first, reply=False)  # previous one stays unclosed
                continue
        if current is None:
            if s and s.lower() not in FURNITURE:
                stray.append((lineno, raw))
            continue
        current.lines.append(raw)

    for c in comments:
        if not c.closed:
            warnings.append(f"line {c.start_line}: comment {c.number} had no closing marker")
    for lineno, raw in stray:
        rejects.append(Reject(f"line {lineno}", "text outside any comment in a numbered thread", raw))
    return comments, warnings


def _split_glued(lines: list[str], offset: int) -> tuple[list[tuple[list[str], str | None, int]], list[str]]:
    """Chunks of a glued thread: (lines, closing marker or None, first line number)."""
    chunks: list[tuple[list[str], str | None, int]] = []
    cur: list[str] = []
    start = offset + 1
    for k, raw in enumerate(lines):
        m = GLUED_MARKER.match(raw.strip())
        if m:
            chunks.append((cur, m.group(1), start))
            rest = raw.strip()[m.end():]
            cur = [rest] if rest else []
            start = offset + k + 1
            continue
        cur.append(raw)
    tail_warn: list[str] = []
    if any(ln.strip() for ln in cur):
        chunks.append((cur, None, start))
        tail_warn.append(f"line {start}: last comment has no closing marker")
    return chunks, tail_warn


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


def parse_text_dump(text: str, ctx: ReadContext) -> ParseResult:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    result = ParseResult(format=FORMAT)
    head = _read_header(lines)
    result.rejects.extend(head.rejects)

    count_at = next((i for i in range(head.body_start, len(lines)) if COUNT_LINE.match(lines[i])), None)
    glued_at = next((i for i in range(head.body_start, len(lines)) if GLUED_MARKER.match(lines[i].strip())), None)

    post_flags: list[str] = []
    comments: list[RawDoc] = []
    if count_at is not None:
        declared = COUNT_LINE.match(lines[count_at]).group(1)
        result.declared_comments = 0 if declared.lower() == "no" else int(declared)
        body_lines = lines[head.body_start:count_at]
        thread = lines[count_at + 1:]
        numbered = any(NUMBERED.match(ln) for ln in thread) and any(
            ln.strip() in ("ReplyDelete", "Delete") for ln in thread)
        if numbered or not any(GLUED_MARKER.match(ln.strip()) for ln in thread):
            parsed, warns = _parse_numbered(thread, count_at + 1, result.rejects)
            result.warnings.extend(warns)
            comments = _numbered_docs(parsed)
        else:
            comments, warns = _glued_docs(thread, count_at + 1, first_is_comment=True)
            result.warnings.extend(warns)
    elif glued_at is not None:
        chunk0_end = glued_at
        before = lines[head.body_start:chunk0_end]
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
        thread = before[cut:] + lines[chunk0_end:]
        comments, warns = _glued_docs(thread, head.body_start + cut, first_is_comment=True,
                                      first_flag=flag)
        result.warnings.extend(warns)
    else:
        body_lines = lines[head.body_start:]

    body = tidy(body_lines)
    if not body and not comments:
        raise InputError("empty_document", "text copy has no post body and no comments")
    if any(ANTHOLOGY_SEPARATOR.match(ln) for ln in body_lines):
        post_flags.append("anthology")
    if head.date is None and head.title is None:
        post_flags.append("no_header")
    post = RawDoc(
        local_id="post", kind="post", post_local="post", text=body, position=0,
        published_at=head.date, date_only=head.date is not None, title=head.title,
        flags=tuple(post_flags), locator=f"line {head.body_start + 1}",
    )
    result.docs = [post] + comments
    return result


def _numbered_docs(parsed: list[_Comment]) -> list[RawDoc]:
    docs: list[RawDoc] = []
    for pos, c in enumerate(parsed, 1):
        parent = f"c{c.parent + 1}" if c.is_reply and c.parent is not None else None
        flags = ("unclosed",) if not c.closed else ()
        docs.append(RawDoc(
            local_id=f"c{pos}", kind="comment", post_local="post", text=tidy(c.lines), position=pos,
            parent_local=parent, flags=flags, locator=f"line {c.start_line}",
        ))
    return docs


def _glued_docs(thread: list[str], offset: int, first_is_comment: bool,
                first_flag: str | None = None) -> tuple[list[RawDoc], list[str]]:
    chunks, warnings = _split_glued(thread, offset)
    docs: list[RawDoc] = []
    latest_top: str | None = None
    for lines, marker, start in chunks:
        text = tidy(lines)
        if not text:
            if marker is not None:
                warnings.append(f"line {start}: empty comment before a {marker} marker")
            continue
        pos = len(docs) + 1
        local = f"c{pos}"
        if marker == "Delete" and latest_top is not None:
            parent = latest_top
        else:
            parent = None
            if marker == "Delete":
                warnings.append(f"line {start}: reply with no earlier top-level comment; kept as top-level")
        flags: list[str] = []
        if pos == 1 and first_flag:
            flags.append(first_flag)
        if marker is None:
            flags.append("unclosed")
        docs.append(RawDoc(local_id=local, kind="comment", post_local="post", text=text, position=pos,
                           parent_local=parent, flags=tuple(flags), locator=f"line {start}"))
        if parent is None:
            latest_top = local
    return docs, warnings


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
    description="plain-text copies of post pages (numbered, glued, anthology, repost)",
)
