"""Detectors for the kinds of someone else's text that turn up on this blog. Pure.

Each detector reads the cleaned text (with its paragraphs and bare-link lines) and
returns ``Finding``s: a span, ``quote`` or ``pasted``, the signal name and a reason a
person can check ("letter: salutation 'Dear Justin,'; closing 'Yours sincerely,'").
Thresholds and word lists come from ``SegmentOptions`` (``[segment]`` in the config).

* ``letter``: "Dear …" to the closing formula and the name and role lines under it.
  Inside a document always pasted; at the start of a document only when it reads as an
  official letter (a role line under the name, or formal phrases and no contractions),
  since commenters write open letters of their own ("Dear Mr Jones, … Yours, Anon").
* ``open_quote``: a paragraph opening with a quotation mark that is never closed (a
  report or review extract pasted with its opening mark only), on to the paragraph that
  closes it or the author's next own paragraph.
* ``report``: an extract of an official report, review or inspection: a finding or
  recommendation cue ("Inspectors found", "The review concluded", "(Repeated
  recommendation)") in a formal paragraph (no I/you, no contractions, no ?/!).
* ``news``: a news article or column: a byline ("By Jane Smith", "Jane Smith, Home
  Affairs Editor") with the headline above it, or a column's footer ("Jane Smith is the
  founder of …") with the column above it.
* ``biography``: encyclopedic text about a person: third person, dates and career facts
  ("was appointed", "joined", "served as"), no I/you.
* ``definitions``: definitions or lists copied from a textbook or website: several
  "Term: definition" items (or "X is defined as / refers to") in a generic register.
* ``exchange``: a reproduced exchange between other people ("A: … B: … A: …").
* ``social_post``: a tweet or Facebook post: after an introduction naming the platform
  ("From Twitter:-", "On Facebook:"), or an embed's footer ("— Name (@handle) date").
* ``repost``: inside a post, a reader's comment the blog owner reposts after an
  introduction ending ":-" ("A reader sent this:-"), to the next introduction, separator
  or the end.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pipeline.clean.text import word_count
from pipeline.segment.quotes import quote_spans

if TYPE_CHECKING:  # pragma: no cover
    from pipeline.segment.core import SegmentOptions


@dataclass(frozen=True)
class Finding:
    start: int
    end: int
    kind: str  # "quote" | "pasted"
    signal: str
    reason: str


_FIRST_SING = re.compile(r"\b(?:i|i['’]m|i['’]ve|i['’]d|i['’]ll|me|my|mine|myself)\b", re.IGNORECASE)
_SECOND = re.compile(r"\b(?:you|your|yours|yourself|you['’](?:re|ve|ll|d))\b", re.IGNORECASE)
_THIRD = re.compile(r"\b(?:he|she|him|her|his|hers|they|them|their|himself|herself)\b", re.IGNORECASE)
_CONTRACTION = re.compile(r"[A-Za-z](?:n['’]t|['’](?:m|re|ve|ll|d))\b", re.IGNORECASE)
_YEAR_DATE = re.compile(
    r"\b(?:1[89]\d\d|20\d\d)\b|\b\d{1,2}(?:st|nd|rd|th)?\s+(?:january|february|march|april|may|june|july|"
    r"august|september|october|november|december)\b", re.IGNORECASE)
_LETTER_OPEN = re.compile(r"^dear\s+[^\n]{1,60}$", re.IGNORECASE)
_LETTER_CLOSE = re.compile(
    r"^(?:yours(?:\s+(?:sincerely|faithfully|truly|ever))?|(?:with\s+)?(?:kind|best|warm)?\s*regards|"
    r"best wishes|many thanks)\s*[,.]?(?:\s+\S.{0,40})?$", re.IGNORECASE)
_FORMAL_CLOSE = re.compile(r"^yours\s+(?:sincerely|faithfully)\b", re.IGNORECASE)
_LABEL = re.compile(r"^\s*(?P<label>[A-Z][\w.'’-]{0,20}(?:\s+[A-Z][\w.'’-]{0,20}){0,2})\s*:\s+(?P<body>\S.*)$")
_TERM = re.compile(r"^\s*(?:[-*•]\s+|\(?\d{1,2}[.)]\s+|\(?[a-z][.)]\s+)?(?P<term>[A-Z][\w'’/-]*(?:[ -][\w'’/-]+){0,5})"
                   r"\s*(?::|\s[–—-])\s+(?P<body>\S.*)$")
_DEFINES = re.compile(r"\b(?:is|are)\s+defined\s+as\b|\brefers?\s+to\b|\b(?:is|are)\s+(?:the|a|an)\s+"
                      r"(?:process|level|stage|term|part|practice|act)\s+(?:of|in|where|by)\b", re.IGNORECASE)
_HANDLE = re.compile(r"(?<![\w@])@\w{2,}|(?<!\w)#\w{2,}|pic\.twitter\.com|\bt\.co/")
_EMBED_FOOTER = re.compile(r"^[—–-]\s*[^\n()]{1,60}\(@\w+\)\s*\S.{0,40}$", re.MULTILINE)
_SEEN_ON = re.compile(r"(?im)^[ \t]*\(?[ \t]*(?:seen|spotted|found|posted)[ \t]+on[ \t]+(?:twitter|x|facebook|fb|"
                      r"linkedin|instagram|threads|bluesky)[ \t]*\)?[.:]?[ \t]*$")
_TITLE_WORD = re.compile(r"^[A-Z0-9‘“'\"]")


def _first_sing(s: str) -> bool:
    return bool(_FIRST_SING.search(s))


def _conversational(s: str, quoted_out: bool = True) -> bool:
    """First/second person, contractions, or a question/exclamation (outside quotes)."""
    bare = _strip_quoted(s) if quoted_out else s
    return bool(_FIRST_SING.search(bare) or _SECOND.search(bare) or _CONTRACTION.search(bare)
                or re.search(r"[?!]", bare))


def _strip_quoted(text: str) -> str:
    out, pos = [], 0
    for q in quote_spans(text):
        out.append(text[pos:q.start])
        pos = q.end
    out.append(text[pos:])
    return " ".join(out)


def _line_spans(text: str, s: int, e: int) -> list[tuple[int, int]]:
    out, pos = [], s
    for ln in text[s:e].split("\n"):
        st = ln.strip()
        if st:
            lead = len(ln) - len(ln.lstrip())
            out.append((pos + lead, pos + lead + len(st)))
        pos += len(ln) + 1
    return out


def _short(s: str, n: int = 40) -> str:
    s = " ".join(s.split())
    return s if len(s) <= n else s[:n - 1] + "…"


def _title_like(line: str, opts: "SegmentOptions") -> bool:
    """A headline: capitalised, a few words, no closing punctuation, not a URL."""
    line = line.strip()
    return (opts.headline_min_words <= word_count(line) <= opts.headline_max_words and bool(_TITLE_WORD.match(line))
            and not re.search(r"[.?!:;,…]-?$", line) and "://" not in line and "www." not in line)


def _line_end(text: str, start: int) -> int:
    e = text.find("\n", start)
    return len(text.rstrip()) if e < 0 else len(text[:e].rstrip())


def _heading_like(line: str, opts: "SegmentOptions") -> bool:
    """A heading: one capitalised line of a few words with no closing punctuation."""
    line = line.strip()
    return ("\n" not in line and 1 <= word_count(line) <= opts.headline_max_words and bool(_TITLE_WORD.match(line))
            and not re.search(r"[.?!:;,…]-?$", line) and "://" not in line)


class Text:
    """The text, its paragraphs and bare-link lines, shared by the detectors."""

    def __init__(self, text: str, paras: Sequence[tuple[int, int]], is_url_para: Callable[[int, int], bool],
                 looks_own: Callable[[str], bool]):
        self.text = text
        self.paras = list(paras)
        self.is_url = is_url_para
        self.looks_own = looks_own

    def para(self, i: int) -> str:
        s, e = self.paras[i]
        return self.text[s:e]

    def index_of(self, pos: int) -> int:
        for i, (s, e) in enumerate(self.paras):
            if s <= pos < e or pos < s:
                return i
        return len(self.paras) - 1


# --------------------------------------------------------------------------- letters

def letters(t: Text, opts: "SegmentOptions") -> list[Finding]:
    text, out = t.text, []
    for m in re.finditer(r"(?m)^.*$", text):
        line = m.group(0).strip()
        if not _LETTER_OPEN.match(line):
            continue
        end, closing, role = _letter_end(text, m.end(), opts)
        at_start = not text[:m.start()].strip()
        body = text[m.end():end]
        formal = [p for p in opts.letter_formal_phrases if re.search(p, body, re.IGNORECASE)]
        official = bool(role) or (bool(formal) and not _CONTRACTION.search(body)
                                  and bool(closing and _FORMAL_CLOSE.match(closing)))
        if at_start and not official:
            continue
        why = [f"salutation '{_short(line, 30)}'"]
        why.append(f"closing '{_short(closing, 25)}'" if closing else "no closing (runs to the end)")
        if role:
            why.append(f"signed with a role '{_short(role, 30)}'")
        if formal:
            why.append(f"formal phrase '{formal[0].strip(chr(92) + 'b')}'")
        if at_start:
            why.append("official letter at the start of the document")
        out.append(Finding(m.start(), end, "pasted", "letter", "letter: " + "; ".join(why)))
    return out


def _letter_end(text: str, pos: int, opts: "SegmentOptions") -> tuple[int, str | None, str | None]:
    """End of a letter starting before ``pos``: its closing line and the name and role
    lines under it (to the next introduction line or the end when there is no closing)."""
    lines = list(re.finditer(r"(?m)^.*$", text[pos:]))
    for i, c in enumerate(lines):
        closing = c.group(0).strip()
        if not _LETTER_CLOSE.match(closing):
            continue
        end, role = pos + c.end(), None
        for nxt in lines[i + 1:i + 5]:
            ln = nxt.group(0).strip()
            if not ln:
                continue
            if word_count(ln) <= 6 and not re.search(r"[.?!]$", ln):
                end = pos + nxt.end()
                if any(re.search(rf"\b{re.escape(w)}\b", ln, re.IGNORECASE) for w in opts.letter_role_words):
                    role = ln
            else:
                break
        return end, closing, role
    # no closing: to the next introduction line (':-') or the end
    nxt = re.search(r"(?m)^.*:-\s*$", text[pos:])
    return (len(text[:pos + nxt.start()].rstrip()) if nxt else len(text)), None, None


# --------------------------------------------------------------------------- quotations left open

def open_quotes(t: Text, opts: "SegmentOptions") -> list[Finding]:
    """Paragraphs opening with a quotation mark that no span closes."""
    text, out = t.text, []
    spans = quote_spans(text)
    starts = {q.start for q in spans}
    covered = [(q.start, q.end) for q in spans]
    i = 0
    while i < len(t.paras):
        s, e = t.paras[i]
        lead = len(text[s:e]) - len(text[s:e].lstrip())
        p0 = s + lead
        if text[p0:p0 + 1] not in "\"“„«" or p0 in starts or any(a <= p0 < b for a, b in covered):
            i += 1
            continue
        j, closed = i, False
        while j < len(t.paras):
            ps, pe = t.paras[j]
            if j > i and (t.is_url(ps, pe) or t.looks_own(text[ps:pe])):
                break
            body = text[ps:pe].rstrip()
            if re.search(r"[\"”»]\W{0,3}$", body) and (j > i or len(body) > 1):
                closed = True
                j += 1
                break
            j += 1
        end = t.paras[j - 1][1]
        words = word_count(text[p0:end])
        if words >= opts.quote_clause_words:
            formal = _formal(text[p0 + 1:end], 1)
            kind = "pasted" if words >= opts.pasted_min_words or formal else "quote"
            how = "closed at the end of a later paragraph" if closed and j - 1 > i else (
                "closed at the paragraph's end" if closed else "never closed")
            out.append(Finding(p0, end, kind, "open_quote",
                               f"open_quote: paragraph opens with {text[p0]!s} ({how}); {words} words"
                               + ("; formal register (pasted)" if formal else "")))
        i = max(j, i + 1)
    return out


# --------------------------------------------------------------------------- reports, reviews, inspections

_REPORT_WE = re.compile(r"\bwe (?:found|recommend\w*|inspected|identified|concluded|noted)\b", re.IGNORECASE)


def _formal(para: str, min_words: int) -> bool:
    """Formal, impersonal text: no I/you/we (but a report's "we found"), no
    contractions, no question or exclamation marks, no '&' or '...' outside quotes."""
    bare = _strip_quoted(para)
    if _conversational(bare, quoted_out=False) or re.search(r"&|\.\.\.|…", bare):
        return False
    if re.search(r"\b(?:we|us|our|ours)\b", _REPORT_WE.sub("", bare), re.IGNORECASE):
        return False
    return word_count(para) >= min_words


def reports(t: Text, opts: "SegmentOptions") -> list[Finding]:
    text, out = t.text, []
    cues = [re.compile(p, re.IGNORECASE | re.MULTILINE) for p in opts.report_cue_patterns]
    i = 0
    while i < len(t.paras):
        s, e = t.paras[i]
        para = text[s:e]
        hit = next((m for c in cues for m in [c.search(para)] if m), None)
        if hit is None or t.is_url(s, e) or not _formal(para, opts.report_min_words):
            i += 1
            continue
        j = i + 1
        while j < len(t.paras):
            ps, pe = t.paras[j]
            nxt = text[ps:pe]
            if t.is_url(ps, pe) or not _formal(nxt, 1) or word_count(nxt) <= opts.caption_max_words \
                    and not any(c.search(nxt) for c in cues):
                break
            j += 1
        out.append(Finding(s, t.paras[j - 1][1], "pasted", "report",
                           f"report: cue '{_short(hit.group(0), 40)}' in formal text (no I/you, no contractions, "
                           f"no ?/!), {j - i} paragraph(s)"))
        i = j
    return out


# --------------------------------------------------------------------------- news articles and columns

def news(t: Text, opts: "SegmentOptions") -> list[Finding]:
    text, out = t.text, []
    bylines = [re.compile(p) for p in opts.byline_patterns]
    footers = [re.compile(p) for p in opts.column_footer_patterns]
    for i, (s, e) in enumerate(t.paras):
        for ls, le in _line_spans(text, s, e):
            line = text[ls:le]
            if word_count(line) > opts.byline_max_words or not any(b.match(line) for b in bylines):
                continue
            start = ls
            # the headline: the line above in the same paragraph, else a title-like paragraph above
            above = text[s:ls].rstrip("\n")
            if above.strip():
                last = above.split("\n")[-1]
                if _title_like(last, opts):
                    start = s + above.rfind(last)
            elif i > 0 and _title_like(t.para(i - 1), opts) and "\n" not in t.para(i - 1).strip():
                start = t.paras[i - 1][0]
            k = i + 1
            while k < len(t.paras):
                ps, pe = t.paras[k]
                if t.is_url(ps, pe) or (t.looks_own(text[ps:pe]) and not _news_like(text[ps:pe])):
                    break
                k += 1
            end = max(e, t.paras[k - 1][1])
            head = f"headline '{_short(text[start:ls], 40)}' + " if start < ls else ""
            out.append(Finding(start, end, "pasted", "news",
                               f"news: {head}byline '{_short(line, 40)}', {k - i} paragraph(s)"))
            break
    for i, (s, e) in enumerate(t.paras):
        para = text[s:e].strip()
        if word_count(para) > opts.footer_max_words or not any(f.match(para) for f in footers):
            continue
        k = i
        while k > 0:
            ps, pe = t.paras[k - 1]
            prev = text[ps:pe].strip()
            if t.is_url(ps, pe) or re.search(r":-?$", prev) or (
                    word_count(prev) <= opts.caption_max_words and not _title_like(prev, opts)):
                break
            k -= 1
        out.append(Finding(t.paras[k][0], e, "pasted", "news",
                           f"news: column with the footer '{_short(para, 45)}', {i - k + 1} paragraph(s)"))
    return out


def _news_like(para: str) -> bool:
    """Reported speech in the third person: a quotation with 'said' or 'according to'."""
    return bool(re.search(r"\b(?:said|says|according to|told)\b", para, re.IGNORECASE)
                and not _first_sing(_strip_quoted(para)))


# --------------------------------------------------------------------------- biographies

def biographies(t: Text, opts: "SegmentOptions") -> list[Finding]:
    text, out = t.text, []
    cues = [re.compile(p, re.IGNORECASE) for p in opts.career_patterns]

    def bio(para: str, min_cues: int, min_dates: int) -> tuple[list[str], int] | None:
        bare = _strip_quoted(para)
        if _FIRST_SING.search(bare) or _SECOND.search(bare) or _CONTRACTION.search(bare) or "?" in bare:
            return None
        found = [m.group(0) for c in cues for m in [c.search(para)] if m]
        dates = len(_YEAR_DATE.findall(para))
        third = bool(_THIRD.search(bare)) or bool(re.match(r"^[A-Z][a-z]+(?:\s+[A-Z][a-z'’-]+){1,3}\s+(?:is|was)\b",
                                                              para.strip()))
        if len(found) >= min_cues and dates >= min_dates and third and word_count(para) >= opts.bio_min_words:
            return found, dates
        return None

    i = 0
    while i < len(t.paras):
        s, e = t.paras[i]
        hit = None if t.is_url(s, e) else bio(text[s:e], opts.bio_min_career_facts, opts.bio_min_dates)
        if hit is None:
            i += 1
            continue
        found, dates = hit
        j = i + 1
        while j < len(t.paras) and not t.is_url(*t.paras[j]) and bio(t.para(j), 1, 0):
            j += 1
        out.append(Finding(s, t.paras[j - 1][1], "pasted", "biography",
                           f"biography: third person, {dates} date(s), career facts "
                           f"({', '.join(repr(f) for f in found[:3])}), no I/you"))
        i = j
    return out


# --------------------------------------------------------------------------- definitions and lists

def definitions(t: Text, opts: "SegmentOptions") -> list[Finding]:
    """Runs of "Term: definition" lines (over one or more paragraphs) with distinct terms
    and generic bodies, and paragraphs that define ("X is defined as", "refers to")."""
    text, out = t.text, []
    items: list[tuple[int, int, str]] = []  # line start, line end, term
    lines = [ln for s, e in t.paras for ln in _line_spans(text, s, e)]
    para_of = {ln: k for k, (s, e) in enumerate(t.paras) for ln in _line_spans(text, s, e)}

    def flush() -> None:
        terms = [x[2].casefold() for x in items]
        if len(items) >= opts.definition_min_items and len(set(terms)) == len(terms):
            start, end = items[0][0], items[-1][1]
            # a heading just above the list is part of it
            pi = t.index_of(start)
            if t.paras[pi][0] == start and pi > 0 and _heading_like(t.para(pi - 1), opts):
                start = t.paras[pi - 1][0]
            out.append(Finding(start, end, "pasted", "definitions",
                               f"definitions: {len(items)} 'Term: definition' items "
                               f"({', '.join(repr(_short(x[2], 25)) for x in items[:3])}) in generic register"))
        items.clear()

    for ls, le in lines:
        line = text[ls:le]
        m = _TERM.match(line)
        body = m.group("body") if m else ""
        if m and word_count(body) >= opts.definition_min_body_words and not _conversational(body) \
                and not _LABEL_SPEAKERISH.match(m.group("term")):
            items.append((ls, le, m.group("term")))
            continue
        if items and not _conversational(line) and not line.rstrip().endswith(":") \
                and word_count(line) >= opts.definition_min_body_words \
                and para_of[(ls, le)] == para_of.get((items[-1][0], _line_end(text, items[-1][0]))):
            items[-1] = (items[-1][0], le, items[-1][2])  # a continuation line of the last item
            continue
        flush()
    flush()
    for s, e in t.paras:
        para = text[s:e]
        n = len(_DEFINES.findall(para))
        if n >= opts.definition_min_items and not _conversational(para) and not any(
                f.start <= s < f.end for f in out):
            out.append(Finding(s, e, "pasted", "definitions",
                               f"definitions: {n} defining phrases ('is defined as', 'refers to') in generic register"))
    return out


_LABEL_SPEAKERISH = re.compile(r"^(?:[A-Z]|Q|A|Me|Him|Her|Them|Manager|Boss)$")


# --------------------------------------------------------------------------- reproduced exchanges

def exchanges(t: Text, opts: "SegmentOptions") -> list[Finding]:
    text, out = t.text, []
    stop = {w.casefold() for w in opts.exchange_label_stopwords}
    turns: list[tuple[int, int, str, str]] = []  # line start, line end, label, body

    def flush() -> None:
        labels = [x[2] for x in turns]
        bodies = " ".join(x[3] for x in turns)
        distinct = len(set(labels))
        if len(turns) >= opts.exchange_min_turns and distinct >= 2 and (
                distinct < len(labels) or _conversational(bodies, quoted_out=False)):
            out.append(Finding(turns[0][0], turns[-1][1], "pasted", "exchange",
                               f"exchange: {len(turns)} turns by {', '.join(dict.fromkeys(labels))}"))
        turns.clear()

    for s, e in t.paras:
        if turns and not _LABEL.match(text[s:e]):
            flush()  # a paragraph that opens without a speaker ends the exchange
        for ls, le in _line_spans(text, s, e):
            m = _LABEL.match(text[ls:le])
            if m and m.group("label").casefold() not in stop and word_count(m.group("label")) <= 3:
                turns.append((ls, le, m.group("label"), m.group("body")))
            elif turns and word_count(text[ls:le]) > 0 and not text[ls:le].rstrip().endswith(":-"):
                if _first_sing(text[ls:le]) and len(turns) >= opts.exchange_min_turns:
                    flush()
                else:
                    turns[-1] = (turns[-1][0], le, turns[-1][2], turns[-1][3] + " " + text[ls:le])
            else:
                flush()
    flush()
    return out


# --------------------------------------------------------------------------- tweets and Facebook posts

def social_posts(t: Text, opts: "SegmentOptions") -> list[Finding]:
    text, out = t.text, []
    intros = [re.compile(p, re.IGNORECASE) for p in opts.social_intro_patterns]
    for i, (s, e) in enumerate(t.paras):
        lines = _line_spans(text, s, e)
        last_s, last_e = lines[-1] if lines else (s, e)
        last = text[last_s:last_e]
        if not re.search(r":-?\s*$", last) or word_count(last) > opts.intro_max_words:
            continue
        hit = next((m for p in intros for m in [p.search(last)] if m), None)
        if hit is None:
            continue
        # the post under its introduction, and the paragraphs after it that carry a
        # platform's marks (@handles, #hashtags, an embed footer)
        j = i + 1
        while j < len(t.paras):
            ps, pe = t.paras[j]
            para = text[ps:pe]
            if t.is_url(ps, pe) or re.search(r":-?\s*$", para.strip()) or (
                    j > i + 1 and not (_HANDLE.search(para) or _EMBED_FOOTER.search(para))):
                break
            j += 1
        if j > i + 1:
            out.append(Finding(t.paras[i + 1][0], t.paras[j - 1][1], "pasted", "social_post",
                               f"social_post: introduced by '{_short(last, 40)}' ({hit.group(0)!r}), "
                               f"{j - i - 1} paragraph(s)"))
    # a note after the post naming where it was seen: "(Seen on Twitter)"
    for m in _SEEN_ON.finditer(text):
        i = t.index_of(m.start())
        s, _ = t.paras[i]
        if s < m.start() and text[s:m.start()].strip():
            out.append(Finding(s, m.start(), "pasted", "social_post",
                               f"social_post: followed by the note '{_short(m.group(0), 30)}'"))
        elif i > 0 and not t.is_url(*t.paras[i - 1]):
            out.append(Finding(t.paras[i - 1][0], t.paras[i - 1][1], "pasted", "social_post",
                               f"social_post: followed by the note '{_short(m.group(0), 30)}'"))
    for m in _EMBED_FOOTER.finditer(text):
        i = t.index_of(m.start())
        s = t.paras[i][0]
        if s == m.start() and i > 0:
            s = t.paras[i - 1][0]
        out.append(Finding(s, m.end(), "pasted", "social_post",
                           f"social_post: embedded post footer '{_short(m.group(0), 40)}'"))
    return out


# --------------------------------------------------------------------------- reproduced documents under a heading

def headed_documents(t: Text, opts: "SegmentOptions", kind: str, separator: re.Pattern[str]) -> list[Finding]:
    """A heading line (a few capitalised words, no closing punctuation) where a document
    starts: the opening of the text, or just after an introduction line; in a post also
    a heading followed by formal text. The heading and what follows it, up to the next
    introduction line, link, separator or short captioning sentence, are reproduced."""
    text, out = t.text, []
    i = 0
    while i < len(t.paras):
        s, e = t.paras[i]
        lines = text[s:e].strip().split("\n")
        head = lines[0]
        prev = t.para(i - 1).strip() if i > 0 else ""
        nxt = t.para(i + 1) if i + 1 < len(t.paras) else ""
        # a heading has no sentence inside it, and the line under it starts afresh (not a
        # hard-wrapped sentence going on)
        wrapped = len(lines) > 1 and not re.match(r"^\s*[A-Z0-9•*\-–(“\"‘']", lines[1])
        if not _heading_like(head, opts) or word_count(head) < 2 or re.search(r"[.!?…]\s", head) or wrapped or not nxt \
                or t.is_url(s, e) or _DOC_OPEN_STOP.match(head):
            i += 1
            continue
        # under the heading, the document's own voice: not a commenter's "I", contractions,
        # questions or exclamations ("Well said Anon" / "I couldn't agree more!")
        bare_next = _strip_quoted(nxt)
        impersonal = not (_FIRST_SING.search(bare_next) or _CONTRACTION.search(bare_next)
                          or re.search(r"[?!]", bare_next))
        where = ("opens the document" if i == 0 and impersonal
                 else "after an introduction line" if i > 0 and re.search(r":-?$", prev)
                 else "followed by formal text" if kind == "post" and _formal(nxt, opts.report_min_words) else "")
        if not where:
            i += 1
            continue
        j = i + 1
        while j < len(t.paras):
            ps, pe = t.paras[j]
            para = text[ps:pe]
            bare = _strip_quoted(para).strip()
            if t.is_url(ps, pe) or separator.search(para) or re.search(r":-\s*$", para.strip()) or (
                    word_count(bare) <= opts.caption_max_words and re.search(r"[.!?…]$", bare)
                    and _conversational(bare)):
                break
            j += 1
        if j > i + 1:
            out.append(Finding(s, t.paras[j - 1][1], "pasted", "document",
                               f"document: heading '{_short(head, 40)}' {where}, {j - i} paragraph(s) to the next "
                               "introduction, link or separator"))
        i = max(j, i + 1)
    return out


# a first line that is no heading of a reproduced document: a greeting, a sign-off
_DOC_OPEN_STOP = re.compile(r"^(?:hi|hello|morning|evening|thanks|thank you|cheers|anon\w*|jim|yes|no|agreed)\b",
                            re.IGNORECASE)


# --------------------------------------------------------------------------- a reader's comment reposted in a post

def reposts_inside(t: Text, opts: "SegmentOptions", separator: re.Pattern[str]) -> list[Finding]:
    """In a post: after an introduction ending ':-' that names a comment or a reader
    (``repost_intro_patterns``, ``quote_intro_words``), the reposted words run to the
    next such introduction, a separator line or the end."""
    text, out = t.text, []
    pats = [re.compile(p, re.IGNORECASE) for p in opts.repost_intro_patterns]
    words = set(opts.quote_intro_words)
    intro_idx = []
    for i, (s, e) in enumerate(t.paras):
        para = text[s:e].strip()
        last = para.split("\n")[-1]
        if not last.endswith(":-") or word_count(para) > opts.intro_max_words:
            continue
        low = " ".join(re.findall(r"[^\W_]+", last.casefold()))
        hit = next((m.group(0) for p in pats for m in [p.search(last)] if m), None) or next(
            (w for w in low.split() if w in words), None)
        if hit:
            intro_idx.append((i, last, hit))
    starts = {i for i, _, _ in intro_idx}
    for i, last, hit in intro_idx:
        if i + 1 >= len(t.paras):
            continue
        j = i + 1
        while j < len(t.paras) and j not in starts and not separator.search(t.para(j)):
            j += 1
        out.append(Finding(t.paras[i + 1][0], t.paras[j - 1][1], "quote", "repost",
                           f"repost: a reader's words after the introduction '{_short(last, 40)}' ({hit!r})"))
    return out


__all__ = ["Finding", "Text", "headed_documents", "letters", "open_quotes", "reports", "news", "biographies", "definitions",
           "exchanges", "social_posts", "reposts_inside"]
