"""Hostile inputs built on the fly (synthetic): large text copies and deeply nested pages.
Shared by benchmarks/large_input_bench.py, benchmarks/torture.py and the tests."""

from __future__ import annotations

import random
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
THREADED = REPO / "tests" / "fixtures" / "blogger" / "threaded_page.html"

_WORDS = ("caseload officer court review office team manager report union staff pay week "
          "inspection service offender probation supervision risk case plan meeting month").split()


def text_copy(target_bytes: int, seed: int = 1) -> bytes:
    """A numbered text copy of one invented post page with as many comments (and replies)
    as make about ``target_bytes``: the form of a copied page, at any size."""
    rng = random.Random(seed)
    head = ("Monday, 1 July 2019\n\nAn invented rota post\n\n"
            + " ".join(rng.choice(_WORDS) for _ in range(80)) + ".\n\nAnon\n\n")
    body: list[str] = []
    size = len(head) + 20
    n = 0
    while size < target_bytes:
        n += 1
        lines = [f"  {n}. " + " ".join(rng.choice(_WORDS) for _ in range(rng.randint(10, 80))) + f" (comment {n})",
                 "", "    ReplyDelete"]
        if n % 5 == 0:
            lines += ["    Replies",
                      "    1. " + " ".join(rng.choice(_WORDS) for _ in range(20)) + f" (reply to {n})",
                      "", "      Delete"]
        chunk = "\n".join(lines) + "\n"
        body.append(chunk)
        size += len(chunk)
    return (head + f"{n} comments:\n\n" + "".join(body) + "  Reply\n").encode()


def deep_page(levels: int = 3000, filler: int = 400) -> bytes:
    """The threaded fixture page whose post body holds ``levels`` nested blocks (about
    ``levels * filler`` bytes; 3,000 levels are about 1.3 MB)."""
    page = THREADED.read_text(encoding="utf-8")
    words = " ".join(_WORDS)
    text = (words * (filler // len(words) + 1))[:filler]
    nested = "".join(f"<div><blockquote>{i} {text}" for i in range(levels)) + \
             "".join("</blockquote></div>" for _ in range(levels))
    marker = "itemprop='description articleBody'>"
    assert marker in page
    return page.replace(marker, marker + nested, 1).encode("utf-8")


def deep_thread(levels: int = 3000, filler: int = 300) -> bytes:
    """The threaded fixture page with a reply chain ``levels`` deep (each comment answers
    the one before); 3,000 levels are about 1.3 MB."""
    page = THREADED.read_text(encoding="utf-8")
    words = " ".join(_WORDS)
    text = (words * (filler // len(words) + 1))[:filler]
    parts = []
    for i in range(levels):
        cid = f"79{i:017d}"
        parts.append(
            f'<li class="comment" id="c{cid}"><div class="comment-block"><div class="comment-header">'
            f'<cite class="user">Replier {i}</cite><span class="datetime secondary-text">'
            f'<a href="https://probationmatters.blogspot.com/2019/06/rota-chaos-part-two.html?showComment='
            f'{1561934100000 + i * 60000}#c{cid}">1 July 2019 at 10:00</a></span></div>'
            f'<p class="comment-content">Reply {i}: {text}</p></div>'
            f'<div class="comment-replies"><div class="comment-thread inline-thread"><ol class="thread-chrome">')
    chain = "".join(parts) + "</ol></div></div></li>" * levels
    marker = '<ol id="top-ra">'
    return page.replace(marker, marker + chain, 1).encode("utf-8")
