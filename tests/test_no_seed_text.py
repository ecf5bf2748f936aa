"""No text of the real seed pages is kept in the repository (they stay in ../shared/seeds).

Every tracked text file is compared with the seeds by runs of 8 words, links left out on
both sides; the only runs allowed are the stock repost openers that
shared/formats/TEXT_DUMPS.md itself quotes.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
N = 8
DOCUMENTED = [
    "The following came in yesterday and I think it warrants a post of its own",
    "I thought this was good, so deserves a post on its own",
]


_URL = re.compile(r"https?://\S+|www\.\S+")


def _words(text: str) -> list[str]:
    """Lower-case words, with the documented openers cut out (a run may not cross them).
    Links are cut out too: a development set's manifest must name its pages, and a page
    address that shares its site and path prefix with a link on a seed page is not the
    seed's text (``corpus/tools/real_devset.py`` refuses the pages a reserved post links to)."""
    text = _URL.sub(" | ", text.lower())
    for phrase in DOCUMENTED:
        text = re.sub(r"\W+".join(map(re.escape, _plain(phrase))), " | ", text)
    return [w for w in re.findall(r"[a-z0-9']+|\|", text)]


def _plain(phrase: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", phrase.lower())


def _grams(words: list[str]) -> set[str]:
    return {g for i in range(len(words) - N + 1) if "|" not in (g := " ".join(words[i:i + N]))}


def test_repository_holds_no_seed_text(seeds_dir):
    seed_grams: set[str] = set()
    for f in seeds_dir.glob("*.txt"):
        seed_grams |= _grams(_words(f.read_text(encoding="utf-8")))
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=REPO,
                            capture_output=True, text=True)
    if listed.returncode != 0:
        pytest.skip("not a git checkout")
    leaks = {}
    for name in listed.stdout.split():
        path = REPO / name
        if not path.is_file() or path.suffix in {".joblib", ".pkl", ".safetensors"}:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        common = _grams(_words(text)) & seed_grams
        if common:
            leaks[name] = sorted(common)[:2]
    assert not leaks, f"seed text found in the repository: {leaks}"
