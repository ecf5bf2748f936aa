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
    """A numbered text copy of invented posts and comments, about ``target_bytes`` long."""
    rng = random.Random(seed)
    out: list[str] = []
    size = 0
    post = 0
    while size < target_bytes:
        post += 1
        day = 1 + post % 28
        month = 1 + (post // 28) % 12
        year = 2012 + (post // 336) % 12
        lines = [f"Post {post}: invented title number {post}", f"{day:02d}/{month:02d}/{year}", ""]
        lines.append(" ".join(rng.choice(_WORDS) for _ in range(60)) + ".")
        n = rng.randint(3, 12)
        lines += ["", f"{n} comments:", ""]
        for c in range(1, n + 1):
            lines.append(f"{c}. Anonymous said...")
            lines.append(" ".join(rng.choice(_WORDS) for _ in range(rng.randint(10, 80))) + f" ({post}.{c})")
            lines.append("")
        lines.append("")
        chunk = "\n".join(lines) + "\n"
        out.append(chunk)
        size += len(chunk.encode())
    return "".join(out).encode()


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
