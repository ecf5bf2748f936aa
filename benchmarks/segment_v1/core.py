"""Own words vs quoted and pasted text, for one document. Pure.

Every signal proposes spans of the cleaned text with a kind (``quote`` or ``pasted``),
an optional source document and a priority; spans are painted onto the text in
priority order (a stronger signal overwrites a weaker one), then the painted text is
cut into segments. Signals, weakest first:

1. ``quote_marks``: reported speech in quotation marks (at least ``quote_min_words``
   words, opening its paragraph, after a colon or a reporting verb such as "said",
   "found", "told", or a clause of ``quote_clause_words``). Scare quotes, titles and
   imagined speech stay own. Long quotations, and extracts next to a bare link, are
   ``pasted``. ``thread_quote``: a quoted span found word for word in an earlier
   comment of the thread is a quote of it.
2. ``after_url`` / ``intro_colon_dash`` / ``letter`` / ``headline``: a bare URL line
   starts a pasted run (the article under it), a line ending ``:-`` introduces a
   quotation, a letter ("Dear …" … "Yours …" + name) inside a document is pasted, a
   title line just above a URL is the linked page's headline. A run goes on over the
   following paragraphs until one reads as the author's own (a short caption, first
   person, a question or exclamation outside quotes).
3. ``anthology`` / ``repost``: the sections of a "Best of" post (separated by lines of
   asterisks) and the comment a post republishes after an introduction ("The following
   came in yesterday…:-") are other people's words; the introduction is the blog
   owner's.
4. ``corpus_match``: a passage found verbatim or nearly in an earlier document is a
   quotation of it (``source_doc_id``); it is ``pasted`` when the source had pasted it
   too.

Bare URL lines, anthology separators and the document's own sign-off are left out of
every segment (``links`` keeps the URLs; ``author_inferred`` the sign-off).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pipeline.clean.links import url_line_spans
from pipeline.clean.signoff import Signoff, SignoffOptions, find_signoff
from pipeline.clean.text import paragraphs, word_count
from pipeline.segment.quotes import QuoteSpan, quote_spans

OWN, QUOTE, PASTED, GAP = 0, 1, 2, 3
KIND_NAMES = {OWN: "own", QUOTE: "quote", PASTED: "pasted"}
KIND_CODES = {v: k for k, v in KIND_NAMES.items()}

DEFAULT_REPOST_INTRO = (
    r"\bthe following\b", r"\bcame in\b", r"\b(?:deserves|warrants|merits|worth)\b.{0,40}\bpost\b",
    r"\bposts? (?:of|on) (?:its|their) own\b", r"\bguest (?:blog|post)\b",
    r"\b(?:comment|contribution)s? (?:left|received|sent|submitted)\b", r"\bthis (?:comment|contribution)\b",
    r"\breader\b.{0,30}\b(?:sent|writes|wrote)\b",
)
DEFAULT_REPOST_TITLE = (r"\bguest (?:blog|post)\b",)
DEFAULT_REPORTING_VERBS = (
    "said", "says", "say", "told", "tells", "tell", "found", "finds", "promises", "promised", "asks", "asked",
    "called", "calls", "admits", "admitted", "claims", "claimed", "wrote", "writes", "described", "describes",
    "announced", "announces", "stated", "states", "insists", "insisted", "regards", "regarded", "quoted",
    "replied", "responded", "according", "labelled", "concluded", "concludes", "warned", "warns", "added",
)
DEFAULT_QUOTE_INTRO_WORDS = (
    "comment", "comments", "contribution", "commenter", "contributor", "reader", "poster", "anon",
    "anonymous", "blog",
)
_FIRST_PERSON = re.compile(r"\b(?:i|i'm|i’m|i've|i’ve|i'd|i’d|i'll|i’ll|me|my|mine|myself)\b", re.IGNORECASE)
_ANTHOLOGY_INTRO = re.compile(
    r"\b(?:comments?|contributions?|week|best of|the following|selection|highlights)\b", re.IGNORECASE)
_LETTER_OPEN = re.compile(r"^dear\s+[^\n]{1,60}$", re.IGNORECASE)
_LETTER_CLOSE = re.compile(
    r"^(?:yours(?:\s+(?:sincerely|faithfully|truly|ever))?|(?:with\s+)?(?:kind|best|warm)?\s*regards|"
    r"best wishes|many thanks)\s*[,.]?(?:\s+\S.{0,40})?$", re.IGNORECASE)


@dataclass(frozen=True)
class SegmentOptions:
    """Thresholds and patterns (``[segment]`` in the config)."""

    quote_min_words: int = 3
    quote_clause_words: int = 12
    reporting_verbs: tuple[str, ...] = DEFAULT_REPORTING_VERBS
    reporting_window_chars: int = 60
    thread_quote_min_words: int = 6
    pasted_min_words: int = 40
    caption_max_words: int = 8
    intro_max_words: int = 80
    headline_min_words: int = 4
    anthology_min_separators: int = 2
    separator_pattern: str = r"^(?:\*\s*){3,}$|^(?:-\s*){5,}$|^(?:~\s*){5,}$"
    repost_intro_patterns: tuple[str, ...] = DEFAULT_REPOST_INTRO
    repost_title_patterns: tuple[str, ...] = DEFAULT_REPOST_TITLE
    quote_intro_words: tuple[str, ...] = DEFAULT_QUOTE_INTRO_WORDS
    source_min_overlap: float = 0.5
    signoff: SignoffOptions = field(default_factory=SignoffOptions)

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any], signoff: SignoffOptions | None = None) -> "SegmentOptions":
        """From the ``[segment]`` config section."""
        return cls(
            quote_min_words=int(cfg["quote_min_words"]), quote_clause_words=int(cfg["quote_clause_words"]),
            reporting_verbs=tuple(str(v).casefold() for v in cfg["reporting_verbs"]),
            reporting_window_chars=int(cfg["reporting_window_chars"]),
            thread_quote_min_words=int(cfg["thread_quote_min_words"]),
            pasted_min_words=int(cfg["pasted_min_words"]),
            caption_max_words=int(cfg["caption_max_words"]), intro_max_words=int(cfg["intro_max_words"]),
            headline_min_words=int(cfg["headline_min_words"]),
            anthology_min_separators=int(cfg["anthology_min_separators"]),
            separator_pattern=str(cfg["separator_pattern"]),
            repost_intro_patterns=tuple(cfg["repost_intro_patterns"]),
            repost_title_patterns=tuple(cfg["repost_title_patterns"]),
            quote_intro_words=tuple(str(w).lower() for w in cfg["quote_intro_words"]),
            source_min_overlap=float(cfg["source_min_overlap"]),
            signoff=signoff or SignoffOptions(),
        )

    def __post_init__(self) -> None:
        if self.quote_min_words < 1 or self.anthology_min_separators < 1:
            raise ValueError("segment.quote_min_words and segment.anthology_min_separators must be at least 1")
        if not 0 < self.source_min_overlap <= 1:
            raise ValueError("segment.source_min_overlap must be in (0, 1]")
        for pat in (self.separator_pattern, *self.repost_intro_patterns, *self.repost_title_patterns):
            try:
                re.compile(pat)
            except re.error as exc:
                raise ValueError(f"segment: bad regex {pat!r} ({exc})") from exc


@dataclass(frozen=True)
class Match:
    """A passage of this document found in an earlier one (``pipeline.dedupe``)."""

    start: int
    end: int
    source_doc_id: str
    src_start: int
    src_end: int


@dataclass(frozen=True)
class DocInput:
    """What segmentation needs about one document. ``matches`` come latest source
    first (the earliest source of an overlapping passage wins). ``earlier_thread`` holds
    ``(doc_id, clean_text)`` of earlier documents of the same post, where a short
    quotation is looked up; ``source_kind`` tells what a source's passage was in the
    source (``own``/``quote``/``pasted``)."""

    doc_id: str
    kind: str
    text: str
    title: str | None = None
    author: str | None = None
    signoff: Signoff | None = None
    matches: Sequence[Match] = ()
    earlier_thread: Sequence[tuple[str, str]] = ()


@dataclass(frozen=True)
class Segment:
    seg_no: int
    start: int
    end: int
    kind: str
    source_doc_id: str | None
    signal: str
    author: str | None


@dataclass(frozen=True)
class Segmentation:
    doc_id: str
    segments: list[Segment]
    own_text: str
    post_own_intro: str | None
    republished_from: str | None
    republished_author: str | None
    signoff_is_own: bool


@dataclass(frozen=True)
class _Paint:
    start: int
    end: int
    kind: int
    source: str | None
    signal: str
    priority: int


SourceKind = Callable[[str, int, int], str]


def _own_source_kind(source_doc_id: str, start: int, end: int) -> str:
    return "own"


def _strip_quoted(text: str) -> str:
    out, pos = [], 0
    for q in quote_spans(text):
        out.append(text[pos:q.start])
        pos = q.end
    out.append(text[pos:])
    return " ".join(out)


def looks_own(para: str, opts: SegmentOptions) -> bool:
    """A paragraph that reads as the author's own rather than as pasted text: a short
    caption, first person, or a question or exclamation outside quotation marks."""
    bare = _strip_quoted(para).strip()
    if bare.endswith(":") or bare.endswith(":-"):
        return False
    if word_count(bare) <= opts.caption_max_words:
        return not re.match(r"^[*•\-]\s", bare)
    return bool(_FIRST_PERSON.search(bare) or re.search(r"[?!]", bare))


def _fold(s: str) -> str:
    return " ".join(re.findall(r"[^\W_]+", s.casefold()))


class _Doc:
    """The text's paragraphs, bare-URL lines and helpers shared by the signals."""

    def __init__(self, text: str):
        self.text = text
        self.paras = paragraphs(text)
        self.url_lines = url_line_spans(text)

    def is_url_para(self, s: int, e: int) -> bool:
        covered = sum(min(e, ue) - max(s, us) for us, ue in self.url_lines if us < e and ue > s)
        return covered > 0 and not re.sub(r"(?:https?://|www\.)\S+", "", self.text[s:e]).strip(" \n.,;:")

    def para_index(self, pos: int) -> int:
        for i, (s, e) in enumerate(self.paras):
            if s <= pos < e or pos < s:
                return i
        return len(self.paras) - 1


def _reported(doc: _Doc, q: QuoteSpan, opts: SegmentOptions) -> bool:
    """Reported speech rather than a scare quote, a title or imagined speech: the
    quotation opens its paragraph or follows a colon, a reporting verb precedes it in
    the same paragraph ("the review found that ..."), "according to" follows it, or it
    is a long clause."""
    ps, pe = doc.paras[doc.para_index(q.start)]
    before = doc.text[ps:q.start]
    after = doc.text[q.end:pe]
    if not before.strip() or re.search(r"[:：]-?\s*$", before):
        return True
    if word_count(doc.text[q.inner_start:q.inner_end]) >= opts.quote_clause_words:
        return True
    window = before[-opts.reporting_window_chars:].casefold()
    if any(re.search(rf"\b{re.escape(v)}\b", window) for v in opts.reporting_verbs):
        return True
    return bool(re.match(r"^[\s,.]*according to\b", after, re.IGNORECASE))


def _quote_signal(doc: _Doc, opts: SegmentOptions) -> tuple[list[_Paint], list[QuoteSpan]]:
    """Paints for quotations, and every quoted span long enough to look up in the thread."""
    out, candidates = [], []
    for q in quote_spans(doc.text):
        words = word_count(doc.text[q.inner_start:q.inner_end])
        if words < opts.quote_min_words:
            continue
        candidates.append(q)
        pi = doc.para_index(q.start)
        pj = doc.para_index(q.end - 1)
        near_url = any(doc.is_url_para(*doc.paras[k]) for k in (pi - 1, pj + 1) if 0 <= k < len(doc.paras))
        if words >= opts.pasted_min_words or (near_url and words >= 2 * opts.quote_min_words):
            out.append(_Paint(q.start, q.end, PASTED, None, "quote_marks", 1))
        elif _reported(doc, q, opts):
            out.append(_Paint(q.start, q.end, QUOTE, None, "quote_marks", 1))
    return out, candidates


def _run_from(doc: _Doc, first: int, opts: SegmentOptions, include_first: bool = True) -> int:
    """Index one past the last paragraph of a pasted run starting at paragraph ``first``."""
    i = first
    while i < len(doc.paras):
        s, e = doc.paras[i]
        if doc.is_url_para(s, e):
            break
        if (i > first or not include_first) and looks_own(doc.text[s:e], opts):
            break
        i += 1
    return i


def _structural_signals(doc: _Doc, opts: SegmentOptions, at_start_is_own: bool) -> list[_Paint]:
    text, out = doc.text, []
    # Headlines just above a URL line, in the same paragraph.
    for us, _ in doc.url_lines:
        ps = text.rfind("\n\n", 0, us)
        ps = 0 if ps < 0 else ps + 2
        block = text[ps:us].rstrip("\n")
        if not block.strip() or "\n\n" in block:
            continue
        last_line_start = ps + block.rfind("\n") + 1
        line = text[last_line_start:us].strip()
        if (word_count(line) >= opts.headline_min_words and line[:1].isupper() and not re.search(r"[.?!:…]-?$", line)
                and not re.search(r"(?:https?://|www\.)", line)):
            out.append(_Paint(last_line_start, last_line_start + len(line), PASTED, None, "headline", 2))
    # Text after a bare URL line.
    for us, ue in doc.url_lines:
        rest = text[ue:]
        nxt_para_same = rest.startswith("\n") and not rest.startswith("\n\n") and rest.strip()
        start_idx = doc.para_index(ue + 1) if rest.strip() else len(doc.paras)
        if nxt_para_same:
            # continuation lines in the same paragraph as the URL
            pe = text.find("\n\n", ue)
            pe = len(text) if pe < 0 else pe
            seg = text[ue + 1:pe]
            if seg.strip() and not looks_own(seg, opts):
                out.append(_Paint(ue + 1, pe, PASTED, None, "after_url", 2))
            start_idx = doc.para_index(pe + 2) if pe + 2 <= len(text) else len(doc.paras)
            if pe >= len(text):
                continue
            if looks_own(seg, opts):
                continue
        if start_idx >= len(doc.paras) or doc.paras[start_idx][0] < ue:
            continue
        end_idx = _run_from(doc, start_idx, opts, include_first=False)
        if end_idx > start_idx:
            out.append(_Paint(doc.paras[start_idx][0], doc.paras[end_idx - 1][1], PASTED, None, "after_url", 2))
    # Lines ending ":-" introduce a quotation.
    for m in re.finditer(r"(?m)^.*:-\s*$", text):
        nxt = doc.para_index(m.end() + 1) if m.end() + 1 < len(text) else len(doc.paras)
        if nxt >= len(doc.paras) or doc.paras[nxt][0] <= m.start():
            continue
        intro = _fold(m.group(0))
        kind = QUOTE if any(w in intro.split() for w in opts.quote_intro_words) else PASTED
        s0 = doc.paras[nxt][0]
        q = next((q for q in quote_spans(text) if q.start == s0), None)
        if q is not None:
            out.append(_Paint(q.start, q.end, kind, None, "intro_colon_dash", 2))
            continue
        end_idx = _run_from(doc, nxt, opts)
        out.append(_Paint(s0, doc.paras[end_idx - 1][1], kind, None, "intro_colon_dash", 2))
    # Letters pasted inside a document: "Dear ..." to the closing formula and the name
    # lines under it (to the end of the text when there is no closing).
    for m in re.finditer(r"(?m)^.*$", text):
        if not _LETTER_OPEN.match(m.group(0).strip()):
            continue
        if at_start_is_own and not text[:m.start()].strip():
            continue
        out.append(_Paint(m.start(), _letter_end(text, m.end()), PASTED, None, "letter", 2))
    return out


def _letter_end(text: str, pos: int) -> int:
    lines = list(re.finditer(r"(?m)^.*$", text[pos:]))
    for i, c in enumerate(lines):
        if not _LETTER_CLOSE.match(c.group(0).strip()):
            continue
        end = pos + c.end()
        for nxt in lines[i + 1:i + 5]:
            ln = nxt.group(0).strip()
            if not ln:
                continue
            if word_count(ln) <= 6 and not re.search(r"[.?!]$", ln):
                end = pos + nxt.end()
            else:
                break
        return end
    return len(text)


def _section_signals(doc: _Doc, d: DocInput, opts: SegmentOptions) -> tuple[list[_Paint], list[tuple[int, int]],
                                                                          tuple[int, int] | None]:
    """Anthology sections and reposted comments (posts only): paints, separator lines
    (gaps) and the introduction's span."""
    text, out, gaps = doc.text, [], []
    if d.kind != "post" or not text.strip():
        return out, gaps, None
    sep = re.compile(opts.separator_pattern, re.MULTILINE)
    seps = [(m.start(), m.end()) for m in sep.finditer(text)]
    if len(seps) >= opts.anthology_min_separators:
        gaps.extend(seps)
        bounds = [0] + [e for _, e in seps]
        ends = [s for s, _ in seps] + [len(text)]
        intro = None
        for k, (s, e) in enumerate(zip(bounds, ends)):
            if not text[s:e].strip():
                continue
            first = text[s:e].strip()
            if k == 0 and word_count(first) <= opts.intro_max_words and (
                    re.search(r":-?$", first) or _ANTHOLOGY_INTRO.search(first)):
                intro = (s, e)
                continue
            out.append(_Paint(s, e, QUOTE, None, "anthology", 3))
        return out, gaps, intro
    if not doc.paras:
        return out, gaps, None
    s0, e0 = doc.paras[0]
    first = text[s0:e0]
    title_hit = any(re.search(p, d.title or "", re.IGNORECASE) for p in opts.repost_title_patterns)
    intro_hit = any(re.search(p, first, re.IGNORECASE) for p in opts.repost_intro_patterns)
    short = word_count(first) <= opts.intro_max_words
    ends_colon = bool(re.search(r":-?\s*$", first))
    if len(doc.paras) > 1 and short and (intro_hit or (title_hit and ends_colon)):
        out.append(_Paint(doc.paras[1][0], len(text), QUOTE, None, "repost", 3))
        return out, gaps, (s0, e0)
    if title_hit and not (short and ends_colon):
        out.append(_Paint(0, len(text), QUOTE, None, "repost", 3))
    return out, gaps, None


def _match_signals(d: DocInput, source_kind: SourceKind) -> list[_Paint]:
    out = []
    for m in d.matches:
        kind = PASTED if source_kind(m.source_doc_id, m.src_start, m.src_end) == "pasted" else QUOTE
        out.append(_Paint(m.start, m.end, kind, m.source_doc_id, "corpus_match", 4))
    return out


def _thread_sources(text: str, spans: list[QuoteSpan], thread: Sequence[tuple[str, str]],
                    min_words: int) -> list[_Paint]:
    """Quoted spans found word for word in an earlier document of the same thread."""
    out = []
    folded = [(doc_id, _fold(t)) for doc_id, t in thread]
    for q in spans:
        needle = _fold(text[q.inner_start:q.inner_end])
        if len(needle.split()) < min_words:
            continue
        for doc_id, hay in reversed(folded):
            if needle in hay:
                out.append(_Paint(q.start, q.end, QUOTE, doc_id, "thread_quote", 4))
                break
    return out


def segment_document(d: DocInput, opts: SegmentOptions | None = None,
                     source_kind: SourceKind = _own_source_kind,
                     source_author: Callable[[str], str | None] = lambda _: None) -> Segmentation:
    """Segments of one document (offsets into ``d.text``), its own text, and what it
    republishes. ``source_author`` gives the author of a source document."""
    opts = opts or SegmentOptions()
    text = d.text
    n = len(text)
    doc = _Doc(text)
    kind = np.zeros(n, dtype=np.int8)
    src: list[str | None] = [None]
    src_idx = np.zeros(n, dtype=np.int32)
    signals = ["own"]
    sig_idx = np.zeros(n, dtype=np.int32)

    sections, sep_gaps, intro = _section_signals(doc, d, opts)
    quotes, quoted_spans = _quote_signal(doc, opts)
    paints = quotes + _structural_signals(doc, opts, at_start_is_own=True) + sections
    paints += _thread_sources(text, quoted_spans, d.earlier_thread, opts.thread_quote_min_words)
    paints += _match_signals(d, source_kind)
    # Stable by priority: within one priority the later paint wins, so matches come
    # latest source first and the earliest source has the last word.
    for p in sorted(paints, key=lambda p: p.priority):
        if p.end <= p.start:
            continue
        if p.source not in src:
            src.append(p.source)
        if p.signal not in signals:
            signals.append(p.signal)
        if p.signal == "corpus_match" and intro is not None and \
                min(p.end, intro[1]) - max(p.start, intro[0]) > (p.end - p.start) / 2:
            continue  # the blog owner's stock introduction ("The following came in...") is his own
        src_idx[p.start:p.end] = src.index(p.source)
        if p.priority == 4:
            # a match refines what it overlaps: it adds the source, keeps a pasted kind and
            # the signal of a republished comment or anthology section
            region = kind[p.start:p.end]
            kind[p.start:p.end] = np.where(region == PASTED, PASTED, p.kind)
            sig = sig_idx[p.start:p.end]
            keep = np.isin(sig, [i for i, name in enumerate(signals) if name in ("repost", "anthology")])
            sig_idx[p.start:p.end] = np.where(keep, sig, signals.index(p.signal))
        else:
            kind[p.start:p.end] = p.kind
            sig_idx[p.start:p.end] = signals.index(p.signal)

    for s, e in doc.url_lines + sep_gaps:
        kind[s:e] = GAP
    signoff_is_own = False
    if d.signoff is not None and d.signoff.end <= n and kind[d.signoff.start] == OWN:
        kind[d.signoff.start:d.signoff.end] = GAP
        signoff_is_own = True

    # Non-own runs without a source take the source that covers most of them.
    runs = _runs(text, kind, src_idx, sig_idx)
    fixed = []
    for s, e, k, si, gi in runs:
        if k != OWN and src[si] is None:
            best, best_cov = None, 0.0
            for p in paints:
                if p.source is None:
                    continue
                cov = max(0, min(e, p.end) - max(s, p.start)) / max(e - s, 1)
                if cov > best_cov:
                    best, best_cov = p.source, cov
            if best is not None and best_cov >= opts.source_min_overlap:
                if best not in src:
                    src.append(best)
                si = src.index(best)
        fixed.append((s, e, k, si, gi))
    runs = _merge(text, fixed, frozenset(i for i, name in enumerate(signals) if name in ("repost", "anthology")))

    own_author = d.author
    if own_author is None and d.signoff is not None and signoff_is_own:
        own_author = d.signoff.name
    # A republished comment or an anthology section is signed at its end, maybe after
    # a link that splits it into several segments: its sign-off names all of them.
    region_names = []
    for p in sections:
        so = find_signoff(text, p.start, p.end, opts.signoff)
        region_names.append((p.start, p.end, so.name if so else None))
    segs: list[Segment] = []
    for s, e, k, si, gi in runs:
        source = src[si]
        if k == OWN:
            author = own_author
        else:
            so = find_signoff(text, s, e, opts.signoff)
            region = next((nm for rs, re_, nm in region_names if rs <= s and e <= re_), None)
            author = (source_author(source) if source else None) or (so.name if so else None) or region
        segs.append(Segment(len(segs), s, e, KIND_NAMES[k], source, signals[gi], author))

    own_parts: list[str] = []
    prev_end = None
    for sg in segs:
        if sg.kind != "own":
            continue
        if prev_end is not None:
            own_parts.append(" " if "\n" not in text[prev_end:sg.start] else "\n\n")
        own_parts.append(text[sg.start:sg.end])
        prev_end = sg.end
    own_text = "".join(own_parts)

    post_intro = repub_from = repub_author = None
    if d.kind == "post" and any(sg.signal in ("repost", "anthology") for sg in segs):
        if intro is not None:
            post_intro = " ".join(text[sg.start:sg.end] for sg in segs
                                  if sg.kind == "own" and sg.start >= intro[0] and sg.end <= intro[1]) or None
        rep = [sg for sg in segs if sg.signal in ("repost", "corpus_match") and sg.kind != "own"]
        if rep and any(sg.signal == "repost" for sg in segs):
            main = max(rep, key=lambda sg: sg.end - sg.start)
            repub_from, repub_author = main.source_doc_id, main.author
    return Segmentation(d.doc_id, segs, own_text, post_intro, repub_from, repub_author, signoff_is_own)


def _runs(text: str, kind: np.ndarray, src_idx: np.ndarray, sig_idx: np.ndarray) -> list[tuple[int, int, int, int, int]]:
    """Maximal runs of equal (kind, source, signal), trimmed of whitespace, gaps dropped."""
    n = len(text)
    if n == 0:
        return []
    key = np.stack([kind.astype(np.int64), src_idx.astype(np.int64), sig_idx.astype(np.int64)], axis=1)
    change = np.any(key[1:] != key[:-1], axis=1)
    bounds = np.concatenate([[0], np.nonzero(change)[0] + 1, [n]])
    out = []
    for s, e in zip(bounds[:-1], bounds[1:]):
        k = int(kind[s])
        if k == GAP:
            continue
        seg = text[s:e]
        ls = len(seg) - len(seg.lstrip())
        rs = len(seg.rstrip())
        if rs <= ls:
            continue
        out.append((int(s + ls), int(s + rs), k, int(src_idx[s]), int(sig_idx[s])))
    return out


def _merge(text: str, runs: list[tuple[int, int, int, int, int]],
           prefer: frozenset[int] = frozenset()) -> list[tuple[int, int, int, int, int]]:
    """Join neighbouring runs of the same kind with only whitespace between them (never
    across a URL line, separator or sign-off) when their sources agree or one has
    none (a quotation mark or a full stop left outside a matched passage). The signal
    kept is a ``prefer``red one (a repost, an anthology section), else the longer run's."""
    out: list[tuple[int, int, int, int, int]] = []
    for r in runs:
        if out and out[-1][2] == r[2] and not text[out[-1][1]:r[0]].strip():
            p = out[-1]
            if p[3] == r[3] or (r[2] != OWN and 0 in (p[3], r[3])):
                longer = p if p[1] - p[0] >= r[1] - r[0] else r
                signal = p[4] if p[4] in prefer else r[4] if r[4] in prefer else longer[4]
                out[-1] = (p[0], r[1], p[2], p[3] or r[3], signal)
                continue
        out.append(r)
    return out


__all__ = ["SegmentOptions", "DocInput", "Match", "Segment", "Segmentation", "segment_document", "looks_own",
           "KIND_NAMES"]
