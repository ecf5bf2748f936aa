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
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from pipeline.clean.links import url_line_spans
from pipeline.clean.signoff import Signoff, SignoffOptions, find_signoff
from pipeline.clean.text import paragraphs, word_count
from pipeline.config import ConfigError
from pipeline.segment import detect
from pipeline.segment.features import ParagraphModel, paragraph_features
from pipeline.segment.quotes import QuoteSpan, quote_spans
from pipeline.settings import settings_from

OWN, QUOTE, PASTED, GAP = 0, 1, 2, 3
KIND_NAMES = {OWN: "own", QUOTE: "quote", PASTED: "pasted"}
KIND_CODES = {v: k for k, v in KIND_NAMES.items()}

_FIRST_PERSON = re.compile(r"\b(?:i|i'm|i’m|i've|i’ve|i'd|i’d|i'll|i’ll|me|my|mine|myself)\b", re.IGNORECASE)


@dataclass(frozen=True)
class SegmentOptions:
    """Thresholds and patterns: the ``[segment]`` section of the config, one field per key
    (no defaults here: ``pipeline/defaults.toml`` is their one source), plus the loaded
    paragraph ``classifier`` (None: off) and the ``[clean]`` sign-off options."""

    quote_min_words: int
    quote_clause_words: int
    reporting_verbs: tuple[str, ...]
    reporting_window_chars: int
    thread_quote_min_words: int
    pasted_min_words: int
    caption_max_words: int
    intro_max_words: int
    headline_min_words: int
    anthology_min_separators: int
    separator_pattern: str
    repost_intro_patterns: tuple[str, ...]
    repost_title_patterns: tuple[str, ...]
    quote_intro_words: tuple[str, ...]
    source_min_overlap: float
    headline_max_words: int
    letter_formal_phrases: tuple[str, ...]
    letter_role_words: tuple[str, ...]
    report_cue_patterns: tuple[str, ...]
    report_min_words: int
    byline_patterns: tuple[str, ...]
    byline_max_words: int
    column_footer_patterns: tuple[str, ...]
    footer_max_words: int
    career_patterns: tuple[str, ...]
    bio_min_career_facts: int
    bio_min_dates: int
    bio_min_words: int
    definition_min_items: int
    definition_min_body_words: int
    exchange_min_turns: int
    exchange_label_stopwords: tuple[str, ...]
    social_intro_patterns: tuple[str, ...]
    institution_words: tuple[str, ...]
    classifier_model: str
    classifier: ParagraphModel | None
    classifier_threshold: float
    classifier_min_words: int
    classifier_context_only: bool
    classifier_decides: bool
    post_intro_runs_to_next_intro: bool
    headed_documents: bool
    reason_top_features: int
    signoff: SignoffOptions

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any], signoff: SignoffOptions,
                    classifier: ParagraphModel | None) -> "SegmentOptions":
        """From the ``[segment]`` config section (every key, none other). ``classifier``: the
        paragraph model (``pipeline.segment.settings.load_classifier`` reads the one
        ``segment.classifier_model`` names)."""
        opts = settings_from(cls, {**cfg, "classifier": classifier, "signoff": signoff}, "segment")
        return replace(opts, reporting_verbs=tuple(v.casefold() for v in opts.reporting_verbs),
                       quote_intro_words=tuple(w.lower() for w in opts.quote_intro_words),
                       institution_words=tuple(w.casefold() for w in opts.institution_words))

    def __post_init__(self) -> None:
        if self.quote_min_words < 1 or self.anthology_min_separators < 1:
            raise ConfigError("segment.quote_min_words and segment.anthology_min_separators must be at least 1: set them to 1 or more")
        if not 0 < self.source_min_overlap <= 1:
            raise ConfigError("segment.source_min_overlap must be in (0, 1]: set it to a share above 0 and at most 1")
        if not 0 < self.classifier_threshold <= 1:
            raise ConfigError("segment.classifier_threshold must be in (0, 1]: set it to a probability above 0 and at most 1")
        for pat in (self.separator_pattern, *self.repost_intro_patterns, *self.repost_title_patterns,
                    *self.letter_formal_phrases, *self.report_cue_patterns, *self.byline_patterns,
                    *self.column_footer_patterns, *self.career_patterns, *self.social_intro_patterns):
            try:
                re.compile(pat)
            except re.error as exc:
                raise ConfigError(f"segment: bad regex {pat!r} ({exc}): fix it in the [segment] section of your config") from exc


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
    quotation is looked up (or ``thread``: a view of the thread's index built once per
    post, which ``segment_frame`` passes instead); ``source_kind`` tells what a source's passage was in the
    source (``own``/``quote``/``pasted``)."""

    doc_id: str
    kind: str
    text: str
    title: str | None = None
    author: str | None = None
    signoff: Signoff | None = None
    matches: Sequence[Match] = ()
    earlier_thread: Sequence[tuple[str, str]] = ()
    thread: "ThreadView | None" = None


@dataclass(frozen=True)
class Segment:
    seg_no: int
    start: int
    end: int
    kind: str
    source_doc_id: str | None
    signal: str
    author: str | None
    reason: str = ""
    score: float | None = None


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
    reason: str = ""


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
        return not (re.match(r"^[*•\-]\s", bare) or _DOC_FURNITURE.match(bare))
    return bool(_FIRST_PERSON.search(bare) or re.search(r"[?!]", bare))


# Short lines of a reproduced document that are no caption: a date, a reference number,
# a header field ("To:", "From:", "Subject:").
_DOC_FURNITURE = re.compile(
    r"^(?:\d{1,2}(?:st|nd|rd|th)?\s+[A-Z][a-z]+,?\s+\d{4}|[A-Z][a-z]+\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}"
    r"|[A-Z]{1,5}\s?\d{1,4}\s?[/-]\s?\d{2,4}|(?:to|from|subject|date|ref|re|cc|sent)\s*:.*)\.?$", re.IGNORECASE)


def _fold(s: str) -> str:
    return " ".join(re.findall(r"[^\W_]+", s.casefold()))


class _Doc:
    """The text's paragraphs, bare-URL lines and helpers shared by the signals (the
    paragraphs and lines as :class:`TextSignals` found them, when given)."""

    def __init__(self, text: str, paras: list[tuple[int, int]] | None = None,
                 url_lines: list[tuple[int, int]] | None = None):
        self.text = text
        self.paras = paragraphs(text) if paras is None else paras
        self.url_lines = url_line_spans(text) if url_lines is None else url_lines

    def is_url_para(self, s: int, e: int) -> bool:
        covered = sum(min(e, ue) - max(s, us) for us, ue in self.url_lines if us < e and ue > s)
        return covered > 0 and not re.sub(r"(?:https?://|www\.)\S+", "", self.text[s:e]).strip(" \n.,;:")

    def para_index(self, pos: int) -> int:
        for i, (s, e) in enumerate(self.paras):
            if s <= pos < e or pos < s:
                return i
        return len(self.paras) - 1


def _reported(doc: _Doc, q: QuoteSpan, opts: SegmentOptions) -> str:
    """Reported speech rather than a scare quote, a title or imagined speech: the
    quotation opens its paragraph or follows a colon, a reporting verb precedes it in
    the same paragraph ("the review found that ..."), "according to" follows it, or it
    is a long clause."""
    ps, pe = doc.paras[doc.para_index(q.start)]
    before = doc.text[ps:q.start]
    after = doc.text[q.end:pe]
    if not before.strip():
        return "opens its paragraph"
    if re.search(r"[:：]-?\s*$", before):
        return "after a colon"
    if word_count(doc.text[q.inner_start:q.inner_end]) >= opts.quote_clause_words:
        return "a whole clause (segment.quote_clause_words)"
    window = before[-opts.reporting_window_chars:].casefold()
    verb = next((v for v in opts.reporting_verbs if re.search(rf"\b{re.escape(v)}\b", window)), None)
    if verb:
        return f"after the reporting verb '{verb}'"
    if re.match(r"^[\s,.]*according to\b", after, re.IGNORECASE):
        return "followed by 'according to'"
    return ""


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
            why = f"{words} words" + (" (at least segment.pasted_min_words)" if words >= opts.pasted_min_words
                                      else " next to a bare link")
            out.append(_Paint(q.start, q.end, PASTED, None, "quote_marks", 1, f"quote_marks: quoted, {why}"))
        else:
            how = _reported(doc, q, opts)
            if how:
                out.append(_Paint(q.start, q.end, QUOTE, None, "quote_marks", 1, f"quote_marks: {words} words, {how}"))
    return out, candidates


def _run_from(doc: _Doc, first: int, opts: SegmentOptions, include_first: bool = True,
              to_next_intro: bool = False) -> int:
    """Index one past the last paragraph of a pasted run starting at paragraph ``first``:
    up to a bare link or a paragraph that reads as the author's own; with
    ``to_next_intro``, up to a bare link, a separator line, the next introduction
    line (ending ':' or ':-') or a short captioning sentence, whoever's voice the
    paragraphs are in."""
    i = first
    sep = re.compile(opts.separator_pattern, re.MULTILINE) if to_next_intro else None
    while i < len(doc.paras):
        s, e = doc.paras[i]
        if doc.is_url_para(s, e):
            break
        if i > first or not include_first:
            para = doc.text[s:e]
            if sep is not None:
                bare = _strip_quoted(para).strip()
                if sep.search(para) or re.search(r":-?\s*$", para.strip()) or (
                        word_count(bare) <= opts.caption_max_words and re.search(r"[.!?…]$", bare)
                        and looks_own(para, opts)):
                    break
            elif looks_own(para, opts):
                break
        i += 1
    return i


def _structural_signals(doc: _Doc, opts: SegmentOptions, at_start_is_own: bool,
                        kind_of_doc: str = "comment") -> list[_Paint]:
    text, out = doc.text, []
    # The kinds of pasted text known by their form (reports, news, biographies, ...);
    # what a link or an introduction line says about the same text comes after and wins.
    t = detect.Text(text, doc.paras, doc.is_url_para, lambda para: looks_own(para, opts))
    headed = detect.headed_documents(t, opts, kind_of_doc, re.compile(opts.separator_pattern, re.MULTILINE)) \
        if opts.headed_documents else []
    for found in (headed + detect.reports(t, opts) + detect.news(t, opts) + detect.biographies(t, opts)
                  + detect.definitions(t, opts) + detect.exchanges(t, opts) + detect.open_quotes(t, opts)):
        out.append(_Paint(found.start, found.end, KIND_CODES[found.kind], None, found.signal, 2, found.reason))
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
            out.append(_Paint(last_line_start, last_line_start + len(line), PASTED, None, "headline", 2,
                              "headline: a title line just above a bare link"))
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
                out.append(_Paint(ue + 1, pe, PASTED, None, "after_url", 2,
                                  f"after_url: lines under the link {_short(text[us:ue])}"))
            start_idx = doc.para_index(pe + 2) if pe + 2 <= len(text) else len(doc.paras)
            if pe >= len(text):
                continue
            if looks_own(seg, opts):
                continue
        if start_idx >= len(doc.paras) or doc.paras[start_idx][0] < ue:
            continue
        end_idx = _run_from(doc, start_idx, opts, include_first=False)
        if end_idx > start_idx:
            out.append(_Paint(doc.paras[start_idx][0], doc.paras[end_idx - 1][1], PASTED, None, "after_url", 2,
                              f"after_url: {end_idx - start_idx} paragraph(s) under the link {_short(text[us:ue])}, "
                              "up to a caption or first-person paragraph"))
    # Lines ending ":-" introduce a quotation.
    for m in re.finditer(r"(?m)^.*:-\s*$", text):
        nxt = doc.para_index(m.end() + 1) if m.end() + 1 < len(text) else len(doc.paras)
        # the introduced text may go on in the same paragraph, on the next line
        same_para_rest = nxt < len(doc.paras) and doc.paras[nxt][0] <= m.start() < doc.paras[nxt][1] \
            and text[m.end():doc.paras[nxt][1]].strip()
        if nxt >= len(doc.paras) or (doc.paras[nxt][0] <= m.start() and not same_para_rest):
            continue
        if any(re.search(p, m.group(0), re.IGNORECASE) for p in opts.social_intro_patterns):
            continue  # a tweet or Facebook post: social_posts knows where it ends
        intro = _fold(m.group(0))
        word = next((w for w in intro.split() if w in opts.quote_intro_words), None)
        kind = QUOTE if word else PASTED
        why = (f"intro_colon_dash: after the introduction {_short(m.group(0).strip())}"
               + (f" (names a {word!r}: another commenter's words)" if word else ""))
        s0 = m.end() + 1 if same_para_rest else doc.paras[nxt][0]
        s0 += len(text[s0:]) - len(text[s0:].lstrip())
        q = next((q for q in quote_spans(text) if q.start == s0), None)
        if q is not None:
            out.append(_Paint(q.start, q.end, kind, None, "intro_colon_dash", 2, why))
            continue
        # In a post, what the blog owner introduces with ':-' runs on to his next
        # introduction however it is written (a first-person letter, a member's account).
        whole = kind_of_doc == "post" and opts.post_intro_runs_to_next_intro
        end_idx = _run_from(doc, nxt + 1 if same_para_rest else nxt, opts, include_first=not same_para_rest,
                            to_next_intro=whole)
        if whole:
            why += "; in a post, up to the next introduction, link or separator"
        end = doc.paras[end_idx - 1][1] if end_idx > nxt else doc.paras[nxt][1]
        out.append(_Paint(s0, end, kind, None, "intro_colon_dash", 2, why))
    # Tweets and Facebook posts, and letters, say more than the line that introduced them.
    for found in detect.social_posts(t, opts) + detect.letters(t, opts):
        out.append(_Paint(found.start, found.end, KIND_CODES[found.kind], None, found.signal, 2, found.reason))
    return out


def _short(s: str, n: int = 40) -> str:
    s = " ".join(s.split())
    return repr(s if len(s) <= n else s[:n - 1] + "…")


def _section_signals(doc: _Doc, kind: str, title: str | None, opts: SegmentOptions
                     ) -> tuple[list[_Paint], list[tuple[int, int]], tuple[int, int] | None]:
    """Anthology sections and reposted comments (posts only): paints, separator lines
    (gaps) and the introduction's span."""
    text, out, gaps = doc.text, [], []
    if kind != "post" or not text.strip():
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
            if k == 0:
                # before the first separator: the blog owner's own words, up to the last
                # introduction line (ending ':' or ':-'); what follows it is a comment
                last = None
                for m in re.finditer(r"(?m)^.*:-?[ \t]*$", text[s:e]):
                    last = m
                cut = s + last.end() if last else e
                intro = (s, cut)
                if last is not None and text[cut:e].strip():
                    out.append(_Paint(cut, e, QUOTE, None, "anthology", 3,
                                      f"anthology: the comment after the introduction {_short(last.group(0))}, "
                                      f"before the first of {len(seps)} separator lines"))
                continue
            out.append(_Paint(s, e, QUOTE, None, "anthology", 3,
                              f"anthology: section {k} of a post cut by {len(seps)} separator lines"))
        return out, gaps, intro
    if not doc.paras:
        return out, gaps, None
    s0, e0 = doc.paras[0]
    first = text[s0:e0]
    title_hit = any(re.search(p, title or "", re.IGNORECASE) for p in opts.repost_title_patterns)
    intro_hit = any(re.search(p, first, re.IGNORECASE) for p in opts.repost_intro_patterns)
    short = word_count(first) <= opts.intro_max_words
    ends_colon = bool(re.search(r":-?\s*$", first))
    if len(doc.paras) > 1 and short and (intro_hit or (title_hit and ends_colon)):
        out.append(_Paint(doc.paras[1][0], len(text), QUOTE, None, "repost", 3,
                          f"repost: the post republishes what follows its introduction {_short(first)}"))
        return out, gaps, (s0, e0)
    if title_hit and not (short and ends_colon):
        out.append(_Paint(0, len(text), QUOTE, None, "repost", 3,
                          f"repost: the title {_short(title or '')} names a republished comment"))
        return out, gaps, None
    t = detect.Text(text, doc.paras, doc.is_url_para, lambda para: looks_own(para, opts))
    for f in detect.reposts_inside(t, opts, sep):
        out.append(_Paint(f.start, f.end, KIND_CODES[f.kind], None, f.signal, 3, f.reason))
    return out, gaps, None


def _match_signals(d: DocInput, source_kind: SourceKind) -> list[_Paint]:
    out = []
    for m in d.matches:
        kind = PASTED if source_kind(m.source_doc_id, m.src_start, m.src_end) == "pasted" else QUOTE
        out.append(_Paint(m.start, m.end, kind, m.source_doc_id, "corpus_match", 4,
                          f"corpus_match: found in {m.source_doc_id}"
                          + (" (pasted there too)" if kind == PASTED else "")))
    return out


class ThreadIndex:
    """The folded texts of one thread's documents, each folded once, and an index of
    their word n-grams, so that looking a quotation up costs the candidates that share
    its words instead of a pass over every earlier document (linear in the thread, not
    quadratic). Documents keep the order they were added in and a rank (publication
    order); ``latest_containing`` answers exactly what a backwards scan of the earlier
    documents in that order would."""

    def __init__(self, gram: int):
        self.gram = max(1, gram)
        self.ids: list[str] = []
        self.ranks: list[float] = []
        self.texts: list[str] = []
        self.folded: list[str] = []
        self.grams: dict[tuple[str, ...], list[int]] = {}

    def add(self, doc_id: str, text: str, rank: float) -> None:
        """Add a document; it is folded and indexed at the first lookup after (most
        threads are never looked up: nothing in them quotes enough words)."""
        self.ids.append(doc_id)
        self.ranks.append(rank)
        self.texts.append(text)

    def _index_new(self) -> None:
        for i in range(len(self.folded), len(self.ids)):
            folded = _fold(self.texts[i])
            self.folded.append(folded)
            words = folded.split()
            for g in {tuple(words[k:k + self.gram]) for k in range(len(words) - self.gram + 1)}:
                self.grams.setdefault(g, []).append(i)

    def latest_containing(self, needle: str, before_rank: float) -> str | None:
        """The last added document ranked before ``before_rank`` whose folded text
        contains the folded ``needle`` (a substring, as ``needle in text``)."""
        self._index_new()
        words = needle.split()
        # the inner words of a substring are whole words of the text (its first and last
        # may be cut), so its inner n-gram finds every candidate
        inner = words[1:-1]
        if len(inner) < self.gram:
            cands: Sequence[int] = range(len(self.ids))
        else:
            cands = self.grams.get(tuple(inner[:self.gram]), ())
        for i in reversed(cands):
            if self.ranks[i] < before_rank and needle in self.folded[i]:
                return self.ids[i]
        return None


@dataclass(frozen=True)
class ThreadView:
    """A document's view of its thread: the thread's index and its own rank."""

    index: ThreadIndex
    rank: float


def _thread_sources(text: str, spans: list[QuoteSpan], thread: ThreadView | Sequence[tuple[str, str]],
                    min_words: int) -> list[_Paint]:
    """Quoted spans found word for word in an earlier document of the same thread."""
    out = []
    if not isinstance(thread, ThreadView):
        index = ThreadIndex(max(1, min_words - 2))
        for doc_id, t in thread:
            index.add(doc_id, t, 0)
        thread = ThreadView(index, 1)
    for q in spans:
        needle = _fold(text[q.inner_start:q.inner_end])
        if len(needle.split()) < min_words:
            continue
        doc_id = thread.index.latest_containing(needle, thread.rank)
        if doc_id is not None:
            out.append(_Paint(q.start, q.end, QUOTE, doc_id, "thread_quote", 4,
                              f"thread_quote: quoted words found word for word in {doc_id}"))
    return out


@dataclass(frozen=True)
class _Signals:
    """Everything the rules, the classifier and the corpus found in one document."""

    paints: list[_Paint]  # as found
    ordered: list[_Paint]  # by priority (stable): the order they are painted in
    sections: list[_Paint]  # republished comments and anthology sections
    sep_gaps: list[tuple[int, int]]  # separator lines (never part of a segment)
    intro: tuple[int, int] | None  # the blog owner's introduction of a republished text
    para_scores: list[tuple[int, int, float, str]]  # the paragraph classifier's (start, end, p, why)


@dataclass
class _Canvas:
    """Per character: its kind, source, signal and the paint that decided it (``why``,
    an index into ``_Signals.ordered``; -1 = none). ``source`` and ``signal`` index
    ``sources`` (0 = no source) and ``signals`` (0 = own)."""

    kind: np.ndarray
    source: np.ndarray
    signal: np.ndarray
    why: np.ndarray
    sources: list[str | None]
    signals: list[str]

    @classmethod
    def blank(cls, n: int) -> "_Canvas":
        return cls(np.zeros(n, dtype=np.int8), np.zeros(n, dtype=np.int32), np.zeros(n, dtype=np.int32),
                   np.full(n, -1, dtype=np.int32), [None], ["own"])

    def source_index(self, source: str | None) -> int:
        if source not in self.sources:
            self.sources.append(source)
        return self.sources.index(source)

    def kept_signals(self) -> frozenset[int]:
        """A republished comment's or anthology section's signal survives a match over it."""
        return frozenset(i for i, name in enumerate(self.signals) if name in ("repost", "anthology"))


@dataclass(frozen=True)
class _Run:
    """A maximal stretch of one kind, source and signal (indices into the canvas's lists)."""

    start: int
    end: int
    kind: int
    source: int
    signal: int


@dataclass(frozen=True)
class TextSignals:
    """The signals a document's own text gives, apart from every other document (its
    kind and title aside): rules, quotation marks and the paragraph model, most of
    segmentation's work. :func:`text_signals` finds them, so that they can be found in
    worker processes, shards of documents side by side, before the documents are
    segmented in order (:func:`segment_document` then adds what the thread and the
    corpus say, which depends on earlier documents' segments)."""

    paras: list[tuple[int, int]]
    url_lines: list[tuple[int, int]]
    sections: list[_Paint]
    sep_gaps: list[tuple[int, int]]
    intro: tuple[int, int] | None
    quotes: list[_Paint]
    quoted_spans: list[QuoteSpan]
    para_scores: list[tuple[int, int, float, str]]
    classified: list[_Paint]
    structural: list[_Paint]


def text_signals(text: str, kind: str, title: str | None, opts: SegmentOptions) -> TextSignals:
    """What :class:`TextSignals` says of ``text`` (a document of ``kind`` with ``title``)."""
    doc = _Doc(text)
    sections, sep_gaps, intro = _section_signals(doc, kind, title, opts)
    quotes, quoted_spans = _quote_signal(doc, opts)
    para_scores, classified = _classifier_signal(doc, opts, quotes)
    structural = _structural_signals(doc, opts, at_start_is_own=True, kind_of_doc=kind)
    return TextSignals(doc.paras, doc.url_lines, sections, sep_gaps, intro, quotes, quoted_spans, para_scores,
                       classified, structural)


def text_signals_of(docs: Sequence[tuple[str, str, str | None]], opts: SegmentOptions) -> list[TextSignals]:
    """:func:`text_signals` of each ``(text, kind, title)``: one shard's work."""
    return [text_signals(text, kind, title, opts) for text, kind, title in docs]


def segment_document(d: DocInput, opts: SegmentOptions,
                     source_kind: SourceKind = _own_source_kind,
                     source_author: Callable[[str], str | None] = lambda _: None,
                     signals: TextSignals | None = None) -> Segmentation:
    """Segments of one document (offsets into ``d.text``), its own text, and what it
    republishes. ``source_author`` gives the author of a source document; ``signals``,
    its text's :func:`text_signals` when they were found already (else they are found
    here).

    Phases: find every signal; paint them by priority; blank URL lines, separators and
    the own sign-off; cut the paint into runs and give sourceless runs a source; turn
    the runs into segments with authors and reasons; join the own text; name what a
    post republishes."""
    text = d.text
    pre = signals if signals is not None else text_signals(text, d.kind, d.title, opts)
    doc = _Doc(text, pre.paras, pre.url_lines)
    found = _find_signals(doc, d, pre, opts, source_kind)
    canvas = _paint(len(text), found.ordered, found.intro)
    signoff_is_own = _blank_gaps(canvas, doc.url_lines + found.sep_gaps, d.signoff)
    runs = _with_sources(_runs(text, canvas), canvas, found.paints, opts.source_min_overlap)
    runs = _merge(text, runs, canvas.kept_signals())
    own_author = d.author
    if own_author is None and d.signoff is not None and signoff_is_own:
        own_author = d.signoff.name
    segs = _segments(text, runs, canvas, found, opts, own_author, source_author)
    post_intro, repub_from, repub_author = _republication(d, segs, found.intro)
    return Segmentation(d.doc_id, segs, _own_text(text, segs), post_intro, repub_from, repub_author, signoff_is_own)


def _find_signals(doc: _Doc, d: DocInput, pre: TextSignals, opts: SegmentOptions,
                  source_kind: SourceKind) -> _Signals:
    """The text's own signals (``pre``), then the thread's and the corpus's."""
    paints = pre.classified + pre.quotes + pre.structural + pre.sections
    paints += _thread_sources(doc.text, pre.quoted_spans, d.thread if d.thread is not None else d.earlier_thread,
                              opts.thread_quote_min_words)
    paints += _match_signals(d, source_kind)
    # Stable by priority: within one priority the later paint wins, so matches come
    # latest source first and the earliest source has the last word.
    ordered = sorted(paints, key=lambda p: p.priority)
    return _Signals(paints, ordered, pre.sections, pre.sep_gaps, pre.intro, pre.para_scores)


def _paint(n: int, ordered: Sequence[_Paint], intro: tuple[int, int] | None) -> _Canvas:
    canvas = _Canvas.blank(n)
    for pi, p in enumerate(ordered):
        if p.end <= p.start:
            continue
        si = canvas.source_index(p.source)
        if p.signal not in canvas.signals:
            canvas.signals.append(p.signal)
        if p.signal == "corpus_match" and intro is not None and \
                min(p.end, intro[1]) - max(p.start, intro[0]) > (p.end - p.start) / 2:
            continue  # the blog owner's stock introduction ("The following came in...") is his own
        canvas.source[p.start:p.end] = si
        canvas.why[p.start:p.end] = pi
        if p.priority == 4:
            # a match refines what it overlaps: it adds the source, keeps a pasted kind and
            # the signal of a republished comment or anthology section
            region = canvas.kind[p.start:p.end]
            canvas.kind[p.start:p.end] = np.where(region == PASTED, PASTED, p.kind)
            sig = canvas.signal[p.start:p.end]
            keep = np.isin(sig, list(canvas.kept_signals()))
            canvas.signal[p.start:p.end] = np.where(keep, sig, canvas.signals.index(p.signal))
        else:
            canvas.kind[p.start:p.end] = p.kind
            canvas.signal[p.start:p.end] = canvas.signals.index(p.signal)
    return canvas


def _blank_gaps(canvas: _Canvas, gaps: Sequence[tuple[int, int]], signoff: Signoff | None) -> bool:
    """URL lines and separators belong to no segment, nor does an own sign-off (True then)."""
    for s, e in gaps:
        canvas.kind[s:e] = GAP
    if signoff is not None and signoff.end <= len(canvas.kind) and canvas.kind[signoff.start] == OWN:
        canvas.kind[signoff.start:signoff.end] = GAP
        return True
    return False


def _with_sources(runs: list[_Run], canvas: _Canvas, paints: Sequence[_Paint], min_overlap: float) -> list[_Run]:
    """Non-own runs without a source take the source that covers most of them (at least
    ``min_overlap`` of the run)."""
    out = []
    for r in runs:
        if r.kind != OWN and canvas.sources[r.source] is None:
            best, best_cov = None, 0.0
            for p in paints:
                if p.source is None:
                    continue
                cov = max(0, min(r.end, p.end) - max(r.start, p.start)) / max(r.end - r.start, 1)
                if cov > best_cov:
                    best, best_cov = p.source, cov
            if best is not None and best_cov >= min_overlap:
                r = replace(r, source=canvas.source_index(best))
        out.append(r)
    return out


def _segments(text: str, runs: Sequence[_Run], canvas: _Canvas, found: _Signals, opts: SegmentOptions,
              own_author: str | None, source_author: Callable[[str], str | None]) -> list[Segment]:
    """One segment per run, with its author, score and reason. A republished comment or an
    anthology section is signed at its end, maybe after a link that splits it into
    several segments: its sign-off names all of them."""
    region_names = []
    for p in found.sections:
        so = find_signoff(text, p.start, p.end, opts.signoff)
        region_names.append((p.start, p.end, so.name if so else None))
    segs: list[Segment] = []
    for r in runs:
        s, e, k = r.start, r.end, r.kind
        source = canvas.sources[r.source]
        if k == OWN:
            author = own_author
        else:
            so = find_signoff(text, s, e, opts.signoff)
            region = next((nm for rs, re_, nm in region_names if rs <= s and e <= re_), None)
            author = (source_author(source) if source else None) or (so.name if so else None) or region
        score = _span_score(found.para_scores, s, e)
        segs.append(Segment(len(segs), s, e, KIND_NAMES[k], source, canvas.signals[r.signal], author,
                            _reason(found.ordered, canvas.why[s:e], k, score, found.para_scores, s, e, opts), score))
    return segs


def _own_text(text: str, segs: Sequence[Segment]) -> str:
    """The own segments joined: a blank line where a paragraph break separated them, else a space."""
    own_parts: list[str] = []
    prev_end = None
    for sg in segs:
        if sg.kind != "own":
            continue
        if prev_end is not None:
            own_parts.append(" " if "\n" not in text[prev_end:sg.start] else "\n\n")
        own_parts.append(text[sg.start:sg.end])
        prev_end = sg.end
    return "".join(own_parts)


def _republication(d: DocInput, segs: Sequence[Segment],
                   intro: tuple[int, int] | None) -> tuple[str | None, str | None, str | None]:
    """For a post that republishes a comment or an anthology: the owner's own introduction,
    and the source document and author of the main republished text."""
    post_intro = repub_from = repub_author = None
    if d.kind == "post" and any(sg.signal in ("repost", "anthology") for sg in segs):
        if intro is not None:
            post_intro = " ".join(d.text[sg.start:sg.end] for sg in segs
                                  if sg.kind == "own" and sg.start >= intro[0] and sg.end <= intro[1]) or None
        rep = [sg for sg in segs if sg.signal in ("repost", "corpus_match") and sg.kind != "own"]
        if rep and any(sg.signal == "repost" for sg in segs):
            main = max(rep, key=lambda sg: sg.end - sg.start)
            repub_from, repub_author = main.source_doc_id, main.author
    return post_intro, repub_from, repub_author


def _classifier_signal(doc: _Doc, opts: SegmentOptions,
                       quotes: Sequence[_Paint] = ()) -> tuple[list[tuple[int, int, float, str]], list[_Paint]]:
    """The paragraph model's probability that each paragraph is someone else's text
    (``(start, end, p, explanation)``), and (with ``classifier_decides``) ``pasted``
    paints for the paragraphs at or above ``classifier_threshold`` with at least
    ``classifier_min_words`` words. A
    paragraph holding a quotation is left to the quotation rule (the marks say where
    the other words end)."""
    model = opts.classifier
    if model is None:
        return [], []
    scores, paints = [], []
    prev, prev_link, prev_hit, first = "", False, False, True
    for s, e in doc.paras:
        if doc.is_url_para(s, e):
            prev, prev_link = doc.text[s:e], True
            continue
        x = paragraph_features(doc.text, s, e, prev_para=prev, prev_is_link=prev_link,
                               institution_words=opts.institution_words)
        p = model.probability(x)
        why = model.explain(x, opts.reason_top_features)
        scores.append((s, e, p, why))
        # where pasted text starts: the document's opening, after a link or a line ending
        # ':', or straight after another paragraph taken as pasted
        context = ("opens the document" if first else "after a link" if prev_link
                   else "after an introduction line" if re.search(r":-?\s*$", prev)
                   else "after a pasted paragraph" if prev_hit else "")
        hit = (opts.classifier_decides and p >= opts.classifier_threshold
               and word_count(doc.text[s:e]) >= opts.classifier_min_words
               and not any(q.start < e and s < q.end for q in quotes)
               and (bool(context) or not opts.classifier_context_only))
        if hit:
            paints.append(_Paint(s, e, PASTED, None, "classifier", 1,
                                 f"classifier: p={p:.2f} >= {opts.classifier_threshold:g} ({why})"
                                 + (f"; {context}" if context else "")))
        prev, prev_link, prev_hit, first = doc.text[s:e], False, hit, False
    return scores, paints


def _span_score(para_scores: list[tuple[int, int, float, str]], s: int, e: int) -> float | None:
    """The paragraph model's probability over ``[s, e)``, weighted by overlap."""
    num = den = 0.0
    for ps, pe, p, _ in para_scores:
        ov = min(e, pe) - max(s, ps)
        if ov > 0:
            num += p * ov
            den += ov
    return round(num / den, 4) if den else None


def _reason(paints: list[_Paint], idx: np.ndarray, kind: int, score: float | None,
            para_scores: list[tuple[int, int, float, str]], s: int, e: int, opts: SegmentOptions) -> str:
    """Why the span got its kind: the reasons of the paints covering it (most covering
    first), or, for own words, that no rule fired and what the model saw."""
    if kind != OWN:
        used, counts = np.unique(idx[idx >= 0], return_counts=True)
        order = [int(u) for _, u in sorted(zip(-counts, used))]
        reasons = list(dict.fromkeys(paints[i].reason or paints[i].signal for i in order))
        return " + ".join(reasons[:3])
    if score is None:
        return "own: no rule fired"
    why = max((ps for ps in para_scores if min(e, ps[1]) - max(s, ps[0]) > 0),
              key=lambda ps: min(e, ps[1]) - max(s, ps[0]))[3]
    cmp = f"< {opts.classifier_threshold:g}" if opts.classifier_decides else "(scores only)"
    return f"own: no rule fired; classifier p={score:.2f} {cmp}" + (f" ({why})" if why else "")


def _runs(text: str, canvas: _Canvas) -> list[_Run]:
    """Maximal runs of equal (kind, source, signal), trimmed of whitespace, gaps dropped."""
    n = len(text)
    if n == 0:
        return []
    kind, src_idx, sig_idx = canvas.kind, canvas.source, canvas.signal
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
        out.append(_Run(int(s + ls), int(s + rs), k, int(src_idx[s]), int(sig_idx[s])))
    return out


def _merge(text: str, runs: Sequence[_Run], prefer: frozenset[int] = frozenset()) -> list[_Run]:
    """Join neighbouring runs of the same kind with only whitespace between them (never
    across a URL line, separator or sign-off) when their sources agree or one has
    none (a quotation mark or a full stop left outside a matched passage). The signal
    kept is a ``prefer``red one (a repost, an anthology section), else the longer run's."""
    out: list[_Run] = []
    for r in runs:
        if out and out[-1].kind == r.kind and not text[out[-1].end:r.start].strip():
            p = out[-1]
            if p.source == r.source or (r.kind != OWN and 0 in (p.source, r.source)):
                longer = p if p.end - p.start >= r.end - r.start else r
                signal = p.signal if p.signal in prefer else r.signal if r.signal in prefer else longer.signal
                out[-1] = _Run(p.start, r.end, p.kind, p.source or r.source, signal)
                continue
        out.append(r)
    return out


__all__ = ["SegmentOptions", "DocInput", "Match", "Segment", "Segmentation", "segment_document", "looks_own",
           "ThreadIndex", "ThreadView", "TextSignals", "text_signals", "text_signals_of",
           "KIND_NAMES"]
