"""The synthetic sample corpus (corpus/sample/) and its answer keys (corpus/annotations/).

Checks, without the ingest pipeline: the renderer reproduces the committed files byte
for byte; the corpus is big and varied enough; every file is valid in its format's
syntax; the answer keys are internally consistent; no sentence of the real seed pages
was copied into the sample.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import re
import sys
from collections import Counter
from pathlib import Path

import ftfy
import pytest
from lxml import etree, html

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "corpus" / "sample"
ANNOTATIONS = REPO / "corpus" / "annotations"
KEY_FILES = ("sample_gold.jsonl", "sample_segments.jsonl", "sample_duplicates.jsonl",
             "sample_mentions.jsonl")
THEMES = ("managerialism", "napo", "sfo_blame", "inspection", "privatisation",
          "prison_dominance", "workload", "pay")
STANCES = ("FAVOR", "AGAINST", "NONE")
SENTIMENTS = ("NEGATIVE", "NEUTRAL", "POSITIVE")


def _load_builder():
    spec = importlib.util.spec_from_file_location("build_sample", REPO / "corpus" / "tools" / "build_sample.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["build_sample"] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def builder():
    return _load_builder()


@pytest.fixture(scope="module")
def rendered(builder, tmp_path_factory):
    out = tmp_path_factory.mktemp("sample")
    ann = tmp_path_factory.mktemp("annotations")
    builder.write_all(out, ann)
    return out, ann


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def gold() -> list[dict]:
    return _jsonl(ANNOTATIONS / "sample_gold.jsonl")


def _data_files() -> list[Path]:
    return sorted(p for p in SAMPLE.iterdir()
                  if p.is_file() and p.name != "README.md" and not p.name.endswith(".columns.json"))


# ----------------------------------------------------------------- determinism


def test_renderer_reproduces_committed_files(rendered):
    out, ann = rendered
    fresh = sorted(p.name for p in out.iterdir())
    committed = sorted(p.name for p in SAMPLE.iterdir() if p.is_file())
    assert fresh == committed, "corpus/sample has stale or missing files: re-run build_sample.py"
    for name in fresh:
        assert (out / name).read_bytes() == (SAMPLE / name).read_bytes(), f"{name} differs from a fresh render"
    for name in KEY_FILES:
        assert (ann / name).read_bytes() == (ANNOTATIONS / name).read_bytes(), f"{name} differs"


def test_rendering_twice_gives_identical_bytes(builder):
    first, keys1, _ = builder.render_all()
    second, keys2, _ = builder.render_all()
    assert [(f.name, f.data) for f in first] == [(f.name, f.data) for f in second]
    assert keys1 == keys2


def test_inconsistent_source_is_refused(builder, tmp_path):
    src = tmp_path / "src"
    (src / "posts").mkdir(parents=True)
    (src / "blog.yaml").write_text(
        (builder.SOURCE / "blog.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (src / "posts" / "bad.yaml").write_text(
        "- key: P01\n  date: '2011-03-14 20:41'\n  title: T\n  l: wl:X NEG\n  body: b\n", encoding="utf-8")
    with pytest.raises(builder.SourceError, match="bad label"):
        builder.Corpus(src)


# ----------------------------------------------------------------- size and coverage


def test_counts(gold):
    kinds = Counter(g["kind"] for g in gold)
    assert kinds["post"] >= 35
    assert kinds["comment"] >= 550
    assert len({g["key"] for g in gold}) == len(gold), "a document has two gold lines"
    assert len({(g["source"], g["doc"]) for g in gold}) == len(gold)


def test_every_theme_stance_and_sentiment_appears(gold):
    pairs = Counter((t, s) for g in gold for t, s in g["themes"].items())
    for theme in THEMES:
        for stance in STANCES:
            assert pairs[(theme, stance)] >= 1, f"no {theme} {stance}"
    sentiments = Counter(g["sentiment"] for g in gold)
    for s in SENTIMENTS:
        assert sentiments[s] >= 0.15 * len(gold), f"{s} under-represented: {sentiments}"
    assert sentiments["NEGATIVE"] == max(sentiments.values())
    assert set(t for g in gold for t in g["themes"]) <= set(THEMES)
    assert any(not g["themes"] for g in gold)


def test_dates_spread_over_years_and_months(builder):
    corpus = builder.Corpus(builder.SOURCE)
    live = [p for p in corpus.posts.values() if p.status == "LIVE"]
    years = {p.local_time.year for p in live}
    months = {p.local_time.strftime("%Y-%m") for p in live}
    assert min(years) == 2011 and max(years) == 2026
    assert len(years) == 16
    assert len(months) >= 30


# ----------------------------------------------------------------- file syntax


def test_every_file_parses_in_its_format():
    seen = Counter()
    for path in _data_files():
        data = path.read_bytes()
        name = path.name
        if name.endswith((".xml", ".atom")):
            root = etree.fromstring(data)
            assert root.tag == "{http://www.w3.org/2005/Atom}feed"
            assert b"SYNTHETIC" in data
            seen["xml"] += 1
        elif name.endswith(".json"):
            doc = json.loads(data.decode("utf-8"))
            assert "SYNTHETIC" in doc["_comment"]
            assert doc["feed"]["entry"]
            seen["json"] += 1
        elif name.endswith(".jsonl"):
            rows = [json.loads(line) for line in data.decode("utf-8").splitlines()]
            assert len({frozenset(r) for r in rows}) == 1, "JSONL rows with different keys"
            seen["jsonl"] += 1
        elif name.endswith(".csv"):
            rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
            assert rows[0] == ["id", "post", "parent", "author", "timestamp", "title", "body"]
            assert all(len(r) == len(rows[0]) for r in rows)
            seen["csv"] += 1
        elif name.endswith(".html"):
            assert b"SYNTHETIC" in data
            page = html.fromstring(data)
            assert page.xpath("//div[contains(@class,'post-body')]")
            assert page.xpath("//li[@class='comment']") or page.xpath("//dl[@id='comments-block']")
            seen["html"] += 1
        elif name.endswith(".txt"):
            if "cp1252" in name:
                with pytest.raises(UnicodeDecodeError):
                    data.decode("utf-8")
                text = data.decode("cp1252")
            else:
                text = data.decode("utf-8")
            assert "SYNTHETIC" not in text, "text copies must keep their layout (no marker lines)"
            seen["txt"] += 1
        else:
            pytest.fail(f"unexpected file {name}")
    assert set(seen) == {"xml", "json", "jsonl", "csv", "html", "txt"}


def test_mojibake_file_repairs_to_the_clean_rendering(builder):
    corpus = builder.Corpus(builder.SOURCE)
    r = builder.Renderer(corpus)
    spec = next(s for s in corpus.blog["outputs"] if s.get("encoding") == "mojibake")
    raw = (SAMPLE / spec["file"]).read_bytes().decode("utf-8")
    assert "â€™" in raw and "\r\n" in raw
    clean = r.text_numbered({**spec, "encoding": "utf-8", "crlf": False}).data.decode("utf-8")
    assert ftfy.fix_text(raw.replace("\r\n", "\n"), uncurl_quotes=False) == clean


def test_blogger_ids_and_permalinks_follow_the_format():
    ids = re.compile(r"tag:blogger\.com,1999:blog-(\d{19})\.post-(\d{19})")
    for path in _data_files():
        if not path.name.endswith((".xml", ".atom", ".json", ".html")):
            continue
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(r"showComment=(\d+)(?:#|&amp;|&)", text):
            assert len(m.group(1)) == 13
        if not path.name.endswith(".html"):
            assert ids.search(text), path.name


# ----------------------------------------------------------------- answer keys


def test_gold_addresses_resolve(gold):
    names = {p.name for p in _data_files()}
    where = {(g["source"], g["doc"]) for g in gold}
    where |= {(a["source"], a["doc"]) for g in gold for a in g.get("also_in", [])}
    for g in gold:
        assert g["source"] in names
        assert g["own_text_only"] is True
        assert g["starts_with"] and len(g["starts_with"]) <= 40
        if g["parent"]:
            assert (g["source"], g["parent"]) in where
        if g["kind"] == "comment":
            assert (g["in_post"]["source"], g["in_post"]["doc"]) in where
        for theme, stance in g["themes"].items():
            assert theme in THEMES and stance in STANCES
        assert g["sentiment"] in SENTIMENTS
    for name in ("sample_segments.jsonl", "sample_duplicates.jsonl", "sample_mentions.jsonl"):
        for row in _jsonl(ANNOTATIONS / name):
            for ref in (row, row.get("a"), row.get("b"), row.get("target")):
                if ref and "source" in ref:
                    assert (ref["source"], ref["doc"]) in where, (name, ref)
            for seg in row.get("segments", []):
                if seg["copy_of"]:
                    assert (seg["copy_of"]["source"], seg["copy_of"]["doc"]) in where


def test_segments_are_spans_of_their_documents(builder):
    corpus = builder.Corpus(builder.SOURCE)
    rows = _jsonl(ANNOTATIONS / "sample_segments.jsonl")
    kinds = Counter()
    for row in rows:
        doc = corpus.docs[row["key"]]
        for seg in row["segments"]:
            kinds[seg["kind"]] += 1
            assert seg["text"] in doc.text
    assert kinds["quote"] >= 10 and kinds["pasted"] >= 10


def test_duplicates_cover_every_relation():
    rel = Counter(d["relation"] for d in _jsonl(ANNOTATIONS / "sample_duplicates.jsonl"))
    for r in ("exact", "near", "contains", "contained_in", "negative"):
        assert rel[r] >= 1, f"no {r} pair"


def test_time_references_point_at_comments_with_that_time(builder):
    corpus = builder.Corpus(builder.SOURCE)
    rows = _jsonl(ANNOTATIONS / "sample_mentions.jsonl")
    assert len(rows) >= 5
    for row in rows:
        target = corpus.docs[row["target_key"]]
        assert target.local_time.strftime("%H:%M") == row["time"]
        assert row["time"] in corpus.docs[row["key"]].text


def test_same_post_in_two_forms_has_one_gold_line(gold):
    multi = [g for g in gold if g.get("also_in")]
    forms = {(g["source"].rsplit(".", 1)[1], a["source"].rsplit(".", 1)[1]) for g in multi for a in g["also_in"]}
    assert ("html", "txt") in forms
    assert sum(1 for g in multi if g["kind"] == "post") == 2


# ----------------------------------------------------------------- nothing copied from the seeds


def test_no_seed_sentence_in_the_sample(seeds_dir):
    def sentences(text: str) -> set[str]:
        out = set()
        for s in re.split(r"(?<=[.!?])\s+|\n", text):
            words = re.findall(r"[a-z0-9]+", s.lower())
            if len(words) >= 8:
                out.add(" ".join(words))
        return out

    seed = set()
    for p in seeds_dir.glob("*.txt"):
        seed |= sentences(ftfy.fix_text(p.read_text(encoding="utf-8", errors="replace")))
    sample_text = " ".join(
        " ".join(re.findall(r"[a-z0-9]+", ftfy.fix_text(p.read_bytes().decode("utf-8", errors="replace")).lower()))
        for p in _data_files())
    # The repost formula is a convention of the blog, documented in shared/formats/TEXT_DUMPS.md
    # and asked for by the sample's brief; it is the one seed sentence allowed.
    allowed = {"the following came in yesterday and i think it warrants a post of its own"}
    copied = [s for s in seed - allowed if s in sample_text]
    assert not copied, copied[:3]
