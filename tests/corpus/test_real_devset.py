"""corpus/tools/real_devset.py: the reserve filter, unit cutting, rebuild and packet.

All page texts here are invented (synthetic) and all example URLs made up; the only real
file read is the evaluation reserve list in ../shared/eval (skipped when absent), to check
that every variant of every reserved URL is refused and that the committed manifest names
no reserved page.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SPEC = importlib.util.spec_from_file_location("real_devset", REPO / "corpus" / "tools" / "real_devset.py")
rd = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(rd)

RESERVE = REPO.parent / "shared" / "eval" / "reserved_urls.txt"
BLOG = "probationmatters.blogspot.com"


# ----------------------------------------------------------------- normalise_url (invented URLs)
@pytest.mark.parametrize("url", [
    "http://probationmatters.blogspot.com/2099/01/made-up-post.html",
    "https://probationmatters.blogspot.com/2099/01/made-up-post.html?m=1",
    "https://www.probationmatters.blogspot.com/2099/01/made-up-post.html?m=0",
    "http://probationmatters.blogspot.co.uk/2099/01/made-up-post.html?showComment=123#c9",
    "http://PROBATIONMATTERS.blogspot.com.au/2099/01/made-up-post.html",
    "http://probationmatters.blogspot.ro/2099/01/made-up-post.html?spref=bl",
    "https://web.archive.org/web/20990101000000/http://probationmatters.blogspot.com/2099/01/made-up-post.html",
    "http://web.archive.org./web/20990101/https://probationmatters.blogspot.co.uk/2099/01/made-up-post.html?m=1",
    "http://proxy.example.edu/cgi-bin/nph-proxy.cgi/000/http/probationmatters.blogspot.com/2099/01/made-up-post.html",
])
def test_variants_of_one_post_share_one_page_id(url):
    assert rd.normalise_url(url) == f"{BLOG}/2099/01/made-up-post.html"


def test_other_hosts_keep_their_host_and_lose_www_query_and_fragment():
    assert rd.normalise_url("https://WWW.Example.org/a/b.html?x=1#top") == "example.org/a/b.html"
    assert rd.normalise_url("http://example.org") == "example.org/"
    assert rd.normalise_url("http://example.org./a") == "example.org/a"


def test_filter_refuses_a_reserved_post_in_every_disguise():
    reserved = {rd.normalise_url("http://probationmatters.blogspot.co.uk/2099/02/kept-back.html?m=1")}
    for url in ("https://probationmatters.blogspot.com/2099/02/kept-back.html",
                "http://www.probationmatters.blogspot.com/2099/02/kept-back.html?showComment=1",
                "https://web.archive.org/web/2099/http://probationmatters.blogspot.com/2099/02/kept-back.html"):
        assert rd.reserve_filter(url, reserved) == (False, "reserved")
    assert rd.reserve_filter("https://probationmatters.blogspot.com/2099/02/another.html", reserved) == (True, "ok")


@pytest.mark.parametrize("url", [
    "https://probationmatters.blogspot.com/",
    "https://probationmatters.blogspot.com",
    "http://probationmatters.blogspot.com/?m=0",
    "https://probationmatters.blogspot.com/2099",
    "https://probationmatters.blogspot.com/2099/",
    "https://probationmatters.blogspot.com/2099/03/?m=1",
    "https://probationmatters.blogspot.com/search/label/Anything",
    "https://probationmatters.blogspot.com/search?updated-max=2099-01-01T00:00:00Z",
    "http://proxy.example.edu/cgi-bin/nph-proxy.cgi/000/http/probationmatters.blogspot.com/search/label/X",
    "https://reader.example.com/feed?q=site:https%3A%2F%2Fprobationmatters.blogspot.com%2Ffeeds%2Fposts%2Fdefault",
])
def test_filter_refuses_pages_that_mix_posts(url):
    ok, why = rd.reserve_filter(url, set())
    assert not ok and ("mixing posts" in why or "wrapper" in why)


def test_filter_accepts_other_sites_and_knows_copies():
    assert rd.reserve_filter("https://example.org/blog/one-post", set()) == (True, "ok")
    copy = next(iter(rd.KNOWN_COPIES))
    assert rd.reserve_filter("https://" + copy, set())[0] is False


# ----------------------------------------------------------------- the real reserve list
@pytest.fixture(scope="module")
def reserve_lines():
    if not RESERVE.is_file():
        pytest.skip("../shared/eval/reserved_urls.txt not present")
    return [x.strip() for x in RESERVE.read_text(encoding="utf-8").splitlines() if x.strip()]


def _variants(url: str) -> list[str]:
    bare = re.sub(r"^https?://", "", url).split("?")[0].split("#")[0]
    host, _, path = bare.partition("/")
    out = [url, "https://" + bare, "http://" + bare + "?m=1", "http://" + bare + "?m=0",
           "https://" + bare + "?showComment=1#c1", "https://www." + bare.removeprefix("www.")]
    if "probationmatters.blogspot" in host:
        for tld in ("com", "co.uk", "com.au", "ca"):
            out.append(f"http://probationmatters.blogspot.{tld}/{path}")
        out.append("https://web.archive.org/web/20200101000000/http://" + bare)
    return out


def test_every_variant_of_every_reserved_url_is_refused(reserve_lines):
    reserved = rd.load_reserve(RESERVE)
    assert len(reserved) >= len(reserve_lines) - 10  # a few lines collapse to one page id
    for line in reserve_lines:
        for v in _variants(line):
            ok, why = rd.reserve_filter(v, reserved)
            assert not ok, (line, v)


@pytest.mark.skipif(not rd.SEEDS.is_dir(), reason="../shared/seeds not present")
def test_pages_a_reserved_post_links_to_are_refused():
    linked = rd.linked_from_reserved()
    assert linked, "the seed copy of a reserved post links to pages"
    page = sorted(linked)[0]
    assert rd.reserve_filter("https://" + page, set()) == (False, "linked from a reserved post (which may paste its text)")
    assert rd.linked_from_reserved(Path("/nonexistent")) == frozenset()


def test_committed_manifest_names_no_reserved_page(reserve_lines):
    reserved = rd.load_reserve(RESERVE)
    rows = rd.read_manifest()
    web = [r for r in rows if r["unit_id"].startswith("w")]
    assert web, "manifest has no web units"
    for r in web:
        assert rd.reserve_filter(r["url"], reserved)[0], r["url"]
        assert r["page"] == rd.normalise_url(r["url"])
    for r in rows:
        if r["unit_id"].startswith("s"):
            assert r["source"] not in rd.SEED_EXCLUDED


# ----------------------------------------------------------------- manifest shape (no text)
def test_manifest_rows_identify_units_but_hold_no_text():
    rows = rd.read_manifest()
    ids = [r["unit_id"] for r in rows]
    assert len(ids) == len(set(ids))
    for r in rows:
        assert "text" not in r and "title" not in r
        assert re.fullmatch(r"[0-9a-f]{64}", r["sha256"])
        if r["unit_id"].startswith("w"):
            assert set(r) == {"unit_id", "url", "page", "year", "kind", "query", "position", "length", "sha256"}
            assert r["position"] >= 0 and 0 < r["length"] <= rd.MAX_UNIT_CHARS
            assert r["kind"] in ("post", "comment", "article")
        else:
            assert set(r) == {"unit_id", "source", "doc", "kind", "sha256"}
            assert r["doc"] == "post" or re.fullmatch(r"c\d+", r["doc"])
    pages = [r["page"] for r in rows if r["unit_id"].startswith("w") and r["kind"] != "comment"]
    assert len(pages) == len(set(pages)), "a page gave two post units"


# ----------------------------------------------------------------- cutting units (synthetic text)
SYNTH = ("Monday, 1 January 2099\n\nAn Invented Title\n\n"
         "Synthetic opening line written for this test:-\n\n"
         + "\n\n".join(f"Synthetic paragraph number {i} with filler words for length." * 3 for i in range(40))
         + "\n\n3 comments:\n\n  1. A synthetic comment.\n\n    ReplyDelete")


def test_post_span_skips_date_and_title_and_cuts_at_a_line_end():
    s, e, title = rd.post_span({"ex": SYNTH})
    assert title == "An Invented Title"
    unit = SYNTH[s:e]
    assert unit.startswith("Synthetic opening line")
    assert len(unit) <= rd.MAX_UNIT_CHARS
    assert SYNTH[e] == "\n" and unit == unit.strip()
    assert "comments:" not in unit


def test_post_span_stops_before_the_comments_and_at_end_marker():
    short = "Monday, 1 January 2099\n\nT\n\nOne line.\n\nTwo lines.\n\n2 comments:\n\n  1. x"
    s, e, _ = rd.post_span({"ex": short})
    assert short[s:e] == "One line.\n\nTwo lines."
    s, e, _ = rd.post_span({"ex": short, "end": "One line."})
    assert short[s:e] == "One line."


def test_body_marker_and_separator_lines():
    ex = "Site banner\n\nHeading\n\nBody starts here.\n*****\nNext part.\n*****\n"
    s, e, _ = rd.post_span({"ex": ex, "body": "Body starts", "kind": "article"})
    assert ex[s:e] == "Body starts here.\n*****\nNext part."


def test_paragraph_offsets_point_into_the_text():
    text = "First line.\n\n    Indented second.\n*****\nThird."
    paras = rd.paragraphs(text)
    assert [text[p["start"]:p["end"]] for p in paras] == ["First line.", "Indented second.", "Third."]
    assert [p["i"] for p in paras] == [0, 1, 2]


# ----------------------------------------------------------------- rebuild and packet
def _sha(t: str) -> str:
    return hashlib.sha256(t.encode("utf-8")).hexdigest()


def test_rebuild_verifies_hashes_and_reports_missing_and_mismatching(tmp_path):
    ex = "Tuesday, 2 January 2099\n\nMade Up\n\nInvented body line one.\n\nInvented body line two."
    s, e, _ = rd.post_span({"ex": ex})
    good = dict(unit_id="w0001", url="https://example.org/p1", page="example.org/p1", year=2099,
                kind="post", query="q one", position=s, length=e - s, sha256=_sha(ex[s:e]))
    bad = dict(good, unit_id="w0002", url="https://example.org/p2", page="example.org/p2",
               sha256=_sha("something else"))
    gone = dict(good, unit_id="w0003", url="https://example.org/never-returned", page="x")
    manifest = tmp_path / "manifest.jsonl"
    manifest.write_text("".join(json.dumps(r) + "\n" for r in (good, bad, gone)), encoding="utf-8")
    resp = tmp_path / "responses"
    resp.mkdir()
    (resp / "a.json").write_text(json.dumps({"query": "q one", "results": [
        {"url": "https://example.org/p1", "excerpt": ex},
        {"url": "https://example.org/p2", "excerpt": ex}]}), encoding="utf-8")
    (resp / "broken.json").write_text("{not json", encoding="utf-8")
    out = tmp_path / "real"
    rc = rd.main(["rebuild", "--responses", str(resp), "--out", str(out), "--manifest", str(manifest),
                  "--seeds", str(tmp_path / "no-seeds")])
    assert rc == 1
    units = [json.loads(x) for x in (out / "units.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [u["unit_id"] for u in units] == ["w0001"]
    assert units[0]["text"] == "Invented body line one.\n\nInvented body line two."
    assert len(units[0]["paragraphs"]) == 2


def test_packet_holds_only_ids_and_paragraph_texts(tmp_path):
    units = [{"unit_id": f"w{i:04d}", "url": "https://example.org/secret-url", "title": "Secret Title",
              "year": 2099, "query": "secret query", "text": f"Line {i}.\nSecond {i}.",
              "paragraphs": rd.paragraphs(f"Line {i}.\nSecond {i}.")} for i in range(1, 6)]
    rd.write_packet(units, tmp_path)
    md = (tmp_path / "packet.md").read_text(encoding="utf-8")
    rows = [json.loads(x) for x in (tmp_path / "packet.jsonl").read_text(encoding="utf-8").splitlines()]
    assert sorted(r["unit_id"] for r in rows) == [u["unit_id"] for u in units]
    for r in rows:
        assert set(r) == {"unit_id", "paragraphs"}
    for secret in ("secret-url", "Secret Title", "secret query", "2099"):
        assert secret not in md and all(secret not in json.dumps(r) for r in rows)
    assert "[0] Line 3." in md and "[1] Second 3." in md


def test_posts_a_reserved_listing_page_may_show_are_refused():
    """A reserved archive or listing page holds copies of the posts it shows: every post of
    the months it may show is refused too (invented slugs)."""
    reserved: set[str] = set()
    blog = "probationmatters.blogspot"  # URLs built in parts: no reserved address is written here
    for url in (f"http://{blog}.com/" + "2015/12/an-invented-post.html",
                f"https://{blog}.co.uk/" + "2024/07/another-invented-one.html?m=1",
                f"http://{blog}.com/" + "2019/11/invented-too.html",
                f"http://{blog}.com/" + "2023/10/invented-again.html"):
        ok, why = rd.reserve_filter(url, reserved)
        assert not ok and "listing page" in why, url
    assert rd.reserve_filter(f"http://{blog}.com/" + "2016/01/an-invented-post.html", reserved)[0]


# ----------------------------------------------------------------- add (second gathering, synthetic)
def _raw_folder(tmp_path, records, queries):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "records.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    (raw / "queries.jsonl").write_text("".join(json.dumps(q) + "\n" for q in queries), encoding="utf-8")
    return raw


def test_add_keeps_old_rows_and_numbers_new_units_after_the_highest_id(tmp_path):
    old = [dict(unit_id="w0007", url="https://example.org/old", page="example.org/old", year=2099,
                kind="post", query="q", position=0, length=5, sha256="0" * 64),
           dict(unit_id="s0001", source="invented.txt", doc="post", kind="post", sha256="1" * 64)]
    manifest = tmp_path / "manifest.jsonl"
    manifest.write_text("".join(json.dumps(r) + "\n" for r in old), encoding="utf-8")
    before = manifest.read_text(encoding="utf-8")
    ex = ("Tuesday, 2 January 2099\n\nMade Up\n\nInvented body line one.\n\n"
          "2 comments:\n\n  1. An invented comment.\n")
    recs = [{"q": "q new", "url": "https://example.org/new-a", "ex": ex,
             "comments": [{"text": "An invented comment."}]},
            {"q": "q new", "url": "https://example.org/new-b?x=1", "kind": "article",
             "ex": "Invented article text.\nSecond invented line."}]
    raw = _raw_folder(tmp_path, recs, [{"q": "q new", "urls": [r["url"] for r in recs]
                                        + [f"https://{BLOG}/search?q=x"]}])
    reserve = tmp_path / "reserve.txt"
    reserve.write_text("# none\n", encoding="utf-8")
    out = tmp_path / "out"
    assert rd.main(["add", "--raw", str(raw), "--out", str(out), "--manifest", str(manifest),
                    "--reserve", str(reserve)]) == 0
    rows = rd.read_manifest(manifest)
    assert manifest.read_text(encoding="utf-8").startswith(before)  # old rows untouched
    assert [r["unit_id"] for r in rows] == ["w0007", "s0001", "w0008", "w0009", "w0010"]
    assert [r["kind"] for r in rows[2:]] == ["post", "comment", "article"]
    units = [json.loads(x) for x in (out / "units.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [u["unit_id"] for u in units] == ["w0008", "w0009", "w0010"]
    for u, r in zip(units, rows[2:]):
        assert _sha(u["text"]) == r["sha256"] and "text" not in r
    assert units[0]["text"] == "Invented body line one."
    report = json.loads((out / "build_report.json").read_text(encoding="utf-8"))
    assert report["excluded_results"] == 1 and report["queries"] == 1
    # a second run finds its pages already in the manifest and writes nothing
    with pytest.raises(SystemExit, match="already in the manifest"):
        rd.main(["add", "--raw", str(raw), "--out", str(out), "--manifest", str(manifest),
                 "--reserve", str(reserve)])
    assert len(rd.read_manifest(manifest)) == 5


def test_add_refuses_a_reserved_record(tmp_path):
    manifest = tmp_path / "manifest.jsonl"
    manifest.write_text("", encoding="utf-8")
    url = f"http://{BLOG}/" + "2099/03/an-invented-reserved-post.html"
    reserve = tmp_path / "reserve.txt"
    reserve.write_text(url + "\n", encoding="utf-8")
    raw = _raw_folder(tmp_path, [{"q": "q", "url": url + "?m=1", "ex": "Invented."}],
                      [{"q": "q", "urls": [url]}])
    with pytest.raises(SystemExit, match="refusing"):
        rd.main(["add", "--raw", str(raw), "--out", str(tmp_path / "o"), "--manifest", str(manifest),
                 "--reserve", str(reserve)])
    assert manifest.read_text(encoding="utf-8") == ""


def test_add_dry_run_writes_units_but_leaves_the_manifest(tmp_path):
    old = [dict(unit_id="w0003", url="https://example.org/old", page="example.org/old", year=2099,
                kind="post", query="q", position=0, length=5, sha256="0" * 64)]
    manifest = tmp_path / "manifest.jsonl"
    manifest.write_text("".join(json.dumps(r) + "\n" for r in old), encoding="utf-8")
    before = manifest.read_text(encoding="utf-8")
    recs = [{"q": "q dry", "url": "https://example.org/dry", "kind": "article",
             "ex": "Invented dry-run text.\nAnother invented line."}]
    raw = _raw_folder(tmp_path, recs, [{"q": "q dry", "urls": [recs[0]["url"]]}])
    reserve = tmp_path / "reserve.txt"
    reserve.write_text("# none\n", encoding="utf-8")
    out = tmp_path / "out"
    args = ["add", "--raw", str(raw), "--out", str(out), "--manifest", str(manifest), "--reserve", str(reserve)]
    assert rd.main(args + ["--dry-run"]) == 0
    assert manifest.read_text(encoding="utf-8") == before
    units = [json.loads(x) for x in (out / "units.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [u["unit_id"] for u in units] == ["w0004"]
    assert json.loads((out / "build_report.json").read_text(encoding="utf-8"))["dry_run"] is True
    # the real run then appends the same unit with the same id and hash
    assert rd.main(args) == 0
    rows = rd.read_manifest(manifest)
    assert [r["unit_id"] for r in rows] == ["w0003", "w0004"] and rows[1]["sha256"] == units[0]["sha256"]


def test_add_first_id_numbers_a_range_and_refuses_one_already_used(tmp_path):
    old = [dict(unit_id="w0003", url="https://example.org/old", page="example.org/old", year=2099,
                kind="post", query="q", position=0, length=5, sha256="0" * 64)]
    manifest = tmp_path / "manifest.jsonl"
    manifest.write_text("".join(json.dumps(r) + "\n" for r in old), encoding="utf-8")
    recs = [{"q": "q r", "url": "https://example.org/range", "kind": "article",
             "ex": "Invented range text.\nAnother invented line."}]
    raw = _raw_folder(tmp_path, recs, [{"q": "q r", "urls": [recs[0]["url"]]}])
    reserve = tmp_path / "reserve.txt"
    reserve.write_text("# none\n", encoding="utf-8")
    args = ["add", "--raw", str(raw), "--out", str(tmp_path / "out"), "--manifest", str(manifest),
            "--reserve", str(reserve), "--dry-run"]
    with pytest.raises(SystemExit, match="not after the highest id"):
        rd.main(args + ["--first-id", "3"])
    assert rd.main(args + ["--first-id", "50"]) == 0
    units = [json.loads(x) for x in (tmp_path / "out" / "units.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [u["unit_id"] for u in units] == ["w0050"]
