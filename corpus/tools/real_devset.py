"""The real development set: units of public pages of the "On Probation" blog (and a few
other UK probation practitioners' public pages) plus the three real seed pages.

No real text is kept in the repository. `corpus/annotations/real_dev/manifest.jsonl`
records, for every unit, where its text sits: the search query that returned the page,
the page URL, the character offset (`position`) and `length` of the unit inside the
search tool's excerpt string, and the SHA-256 of the unit text (UTF-8). Seed units name
their seed file and document (`post`, `c1`, ...). Whoever has the search tool can re-run
the queries, save the tool's raw JSON answers and rebuild the text locally:

    python corpus/tools/real_devset.py queries                     # what to search for
    python corpus/tools/real_devset.py rebuild --responses DIR --out corpus/real
    python corpus/tools/real_devset.py packet --units corpus/real/units.jsonl --out DIR

`corpus/real/` is git-ignored. Never use a page of the evaluation reserve
(`../shared/eval/reserved_urls.txt`) nor any other copy of the same post: every candidate
URL goes through `reserve_filter` (see `normalise_url`).

Commands used once, by the session that gathered the set (they read its local working
files, which hold text and stay outside the repository):

    python corpus/tools/real_devset.py build --raw /work/devset/raw --out /work/devset
    python corpus/tools/real_devset.py add --raw /work/devset2/raw --out /work/devset2
    python corpus/tools/real_devset.py add --raw /work/devset3/raw --out /work/devset3 --dry-run
    python corpus/tools/real_devset.py add --raw /work/devset3/raw --out /work/devset3
    python corpus/tools/real_devset.py add --raw /work/devset4/raw --out /work/devset4

`add` (the second, third and fourth gatherings; `--dry-run` checks a raw folder and writes its
units to ``--out`` without touching the manifest) keeps every existing manifest row and id, numbers the new web
units after the highest existing id (or from ``--first-id``, when two gatherers work at
once and each takes a range) and refuses pages already in the manifest. Its
``records.jsonl`` may hold only the part of each excerpt that the units use (a prefix of
the tool's excerpt string): positions count from the excerpt's start, so `rebuild` from
the full saved answers gives the same texts.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
from collections import Counter
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

REPO = Path(__file__).resolve().parents[2]
MANIFEST = REPO / "corpus" / "annotations" / "real_dev" / "manifest.jsonl"
SHARED = REPO.parent / "shared"
RESERVE = SHARED / "eval" / "reserved_urls.txt"
SEEDS = SHARED / "seeds"
BLOG_HOST = "probationmatters.blogspot.com"
MAX_UNIT_CHARS = 1500

# Pages whose URL differs from every reserved URL but whose content is another copy of a
# reserved post (found by reading the search excerpt): excluded like the reserved page.
KNOWN_COPIES = {
    "poofficer.blogspot.com/": "the practitioner's own copy of reserved 2014/05/goodbye-probation-trusts",
    BLOG_HOST + "/2015/02/guest-blog-26.html": "first publication of reserved 2023/02/a-reprise (a repost of Guest Blog 26)",
    BLOG_HOST + "/2025/09/dear-mr-jones.html":
        "same title as reserved 2024/10/dear-mr-jones: left out as a precaution (never compared with the reserved page)",
    "prisonersfamiliesvoices.blogspot.com/2011/06/rubbish-in-rubbish-out-by-probation.html":
        "repost of a blog post on PSRs that may be reserved 2010/10/why-are-psrs-so-bad (not verifiable without reading it)",
}
# Seed files that are copies of a reserved page: never used as development units.
SEED_EXCLUDED = {
    "003_dc49834f0526d084.txt": "the page 'Dear Mr Jones' of 27 October 2024 is reserved 2024/10/dear-mr-jones",
}

_POST_PATH = re.compile(r"^/\d{4}/\d{2}/[^/]+\.html$")
_BLOG_IN_URL = re.compile(r"(?:https?[:/]+)?(?:www\.)?probationmatters\.blogspot\.[a-z.]+[^\s]*", re.I)
_ARCHIVE_ORG = re.compile(r"^web\.archive\.org\.?/web/[^/]+/(.+)$", re.I)


# --------------------------------------------------------------------------- reserve
def normalise_url(url: str) -> str:
    """A page id: lower-case host without ``www.`` and a trailing dot, the blog's country
    domains mapped to ``probationmatters.blogspot.com``, query and fragment dropped, then
    the path (``/`` for an empty one). URLs that wrap a blog URL (archive mirrors, web
    proxies, feed readers, percent-encoded) are reduced to the wrapped blog URL first."""
    raw = url.strip()
    for _ in range(2):  # percent-encoded wrappers (feed readers) hide the blog URL
        if "%2f" in raw.lower() or "%3a" in raw.lower():
            raw = unquote(raw)
    bare = re.sub(r"^[a-z]+://", "", raw, flags=re.I)
    m = _ARCHIVE_ORG.match(bare)
    if m:
        return normalise_url(m.group(1))
    host = bare.split("/", 1)[0].lower()
    if "probationmatters.blogspot" not in host:
        inner = _BLOG_IN_URL.search(bare)
        if inner:  # proxy / reader around a blog URL
            return normalise_url(re.sub(r"^https?[:/]+", "", inner.group(0)))
    parts = urlsplit("//" + bare)
    host = (parts.hostname or "").rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    if host.startswith("probationmatters.blogspot."):
        host = BLOG_HOST
    path = parts.path or "/"
    # a proxy may encode "?" as "=3f"; such a path is a search page, keep it recognisable
    return host + path


def load_reserve(path: Path = RESERVE) -> set[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return {normalise_url(u) for u in lines if u.strip() and not u.startswith("#")}


# Reserved pages that list many posts (archives, a search page, dated home-page copies)
# hold copies of every post they show. Without reading them, the posts they may show are
# those of these months: an archive's month or year (the year archive shows its latest
# posts, a whole year is excluded to be safe), the weeks before a search page's
# updated-max, the month of an archived home page and the one before.
ARCHIVE_COVERED = re.compile(r"^/(2015/|2024/0[47]/|2019/1[12]/|2023/1[01]/)")


@lru_cache(maxsize=4)
def linked_from_reserved(seeds_dir: Path = SEEDS) -> frozenset[str]:
    """Page ids of the links in the seed files that are copies of reserved pages
    (``SEED_EXCLUDED``): a reserved post may paste the text of a page it links to, so such
    a page is not used either. Read from ``../shared/seeds`` (no URL of them is kept here)."""
    out = set()
    for name in SEED_EXCLUDED:
        f = Path(seeds_dir) / name
        if f.is_file():
            out |= {normalise_url(u) for u in re.findall(r"https?://[^\s)\]>\"'<]+", f.read_text(encoding="utf-8"))}
    return frozenset(out)


def reserve_filter(url: str, reserved: set[str]) -> tuple[bool, str]:
    """(usable, reason). Not usable: a reserved page or another copy of one, a post that a
    reserved archive or listing page may show (``ARCHIVE_COVERED``), the blog's home,
    archive, label, search or feed pages (they mix many posts, some reserved), and any page
    that wraps such a blog page."""
    pid = normalise_url(url)
    if pid in reserved:
        return False, "reserved"
    if pid in KNOWN_COPIES:
        return False, "copy of a reserved post"
    if pid in linked_from_reserved():
        return False, "linked from a reserved post (which may paste its text)"
    host, _, rest = pid.partition("/")
    if host == BLOG_HOST and ARCHIVE_COVERED.match("/" + rest):
        return False, "a post a reserved archive or listing page may show"
    host, _, rest = pid.partition("/")
    if host == BLOG_HOST and not _POST_PATH.match("/" + rest):
        return False, "blog page mixing posts (home/archive/label/search/feed)"
    if host != BLOG_HOST and "probationmatters.blogspot" in unquote(url).lower():
        return False, "wrapper of a blog page that is not a single post"
    return True, "ok"


# --------------------------------------------------------------------------- units
_DATE_LINE = re.compile(
    r"^(?:(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,? )?\d{1,2},? "
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
    r",? \d{4}\s*$")
_COMMENTS_MARK = re.compile(r"\n\n\d+ comments?:")


def year_of(url: str, excerpt: str) -> int | None:
    m = re.search(r"/((?:19|20)\d{2})/\d{2}/", url)
    if m:
        return int(m.group(1))
    first = excerpt.lstrip().split("\n", 1)[0]
    m = re.search(r"\b(20\d{2})\b", first) if _DATE_LINE.match(first) else None
    return int(m.group(1)) if m else None


def _cut(text: str, start: int, end: int, limit: int = MAX_UNIT_CHARS) -> tuple[int, int]:
    """Trim [start, end) to at most ``limit`` characters, ending at a line boundary."""
    while start < end and text[start].isspace():
        start += 1
    if end - start > limit:
        stop = text.rfind("\n\n", start, start + limit + 1)
        if stop - start < limit // 2:  # prefer a blank line, else any line end
            stop = text.rfind("\n", start, start + limit + 1)
            prev = text.rfind("\n", start, stop)
            if prev > start and len(text[prev:stop].strip()) < 60 \
                    and not text[prev:stop].strip().endswith((".", "!", "?", ":", '"')):
                stop = prev  # do not end on a heading
        if stop <= start:  # one long paragraph: end at a sentence
            stop = text.rfind(". ", start, start + limit)
            stop = stop + 1 if stop > start else start + limit
        end = stop
    while True:  # drop trailing blank space and separator lines ("*****")
        while end > start and text[end - 1].isspace():
            end -= 1
        line_start = text.rfind("\n", start, end) + 1
        if end > start and line_start > start and not re.search(r"\w", text[line_start:end]):
            end = line_start
            continue
        return start, end


def post_span(rec: dict) -> tuple[int, int, str | None]:
    """Where the post body (own page text) sits in the excerpt, and its title."""
    ex = rec["ex"]
    title = rec.get("title")
    if rec.get("body"):
        start = ex.index(rec["body"])
        head = [ln.strip() for ln in ex[:start].splitlines() if ln.strip()]
        if title is None and head and not _DATE_LINE.match(head[-1]) and rec.get("kind", "post") == "post":
            title = head[-1]
    else:
        lines = ex.split("\n")
        start, i = 0, 0
        if lines and _DATE_LINE.match(lines[0]):
            start = len(lines[0]) + 1
            i = 1
            while i < len(lines) and not lines[i].strip():
                start += len(lines[i]) + 1
                i += 1
            if i < len(lines) and title is None:
                title = lines[i].strip()
            start += len(lines[i]) + 1
        elif title and ex.startswith(title):
            start = len(title)
    m = _COMMENTS_MARK.search(ex, start)
    end = m.start() if m else len(ex)
    if rec.get("end"):  # the post ends with this text (a comment follows unmarked)
        end = min(end, ex.index(rec["end"], start) + len(rec["end"]))
    s, e = _cut(ex, start, end)
    return s, e, title


def units_from_record(rec: dict) -> list[dict]:
    out = []
    kind = rec.get("kind", "post")
    s, e, title = post_span(rec)
    out.append(dict(kind=kind, position=s, length=e - s, title=title))
    for c in rec.get("comments", []):
        pos = rec["ex"].index(c["text"])
        cs, ce = _cut(rec["ex"], pos, pos + len(c["text"]))
        out.append(dict(kind="comment", position=cs, length=ce - cs, title=title))
    return out


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def paragraphs(text: str) -> list[dict]:
    """Each non-blank line is a paragraph (offsets into the unit text, surrounding
    whitespace excluded); lines without a letter or digit (separators) are left out."""
    out, pos = [], 0
    for line in text.split("\n"):
        lo = pos + (len(line) - len(line.lstrip()))
        hi = pos + len(line.rstrip())
        if hi > lo and re.search(r"\w", line):
            out.append({"i": len(out), "start": lo, "end": hi})
        pos += len(line) + 1
    return out


def seed_units(seeds_dir: Path = SEEDS) -> list[dict]:
    """Documents of the seed pages, read with the repository's own reader."""
    sys.path.insert(0, str(REPO))
    from pipeline.config import load_config
    from pipeline.ingest.core import read_input
    from pipeline.ingest.settings import IngestSettings
    from pipeline.settings import typed

    limits = typed(load_config(), IngestSettings).read_limits()
    out = []
    for path in sorted(seeds_dir.glob("*.txt")):
        if path.name in SEED_EXCLUDED:
            continue
        res = read_input(path, **limits)
        if not res.ok:
            raise SystemExit(f"seed {path.name} did not parse: {res.error}")
        for d in res.result.docs:
            doc = "post" if d.kind == "post" else f"c{d.position}"
            out.append(dict(source=path.name, doc=doc, kind=d.kind, text=d.text,
                            title=d.title, url=f"seed:{path.name}"))
    return out


# --------------------------------------------------------------------------- build (gatherer)
def gather(raw: Path, reserved: set[str], skip_pages: set[str] = frozenset()) -> tuple[list[dict], dict]:
    """Web units cut from a gatherer's raw folder (``queries.jsonl``: every query and the
    URLs it returned; ``records.jsonl``: the pages used, with the tool's excerpt), without
    ids, and a report of what the reserve filter refused. A record whose page is refused, or
    already in ``skip_pages`` (an earlier manifest), stops the run: nothing is written."""
    excluded: Counter = Counter()
    excluded_pages: dict[str, str] = {}
    seen_candidates: set[str] = set()
    n_queries = 0
    for line in (raw / "queries.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        n_queries += 1
        q = json.loads(line)
        for u in q["urls"]:
            ok, why = reserve_filter(u, reserved)
            if not ok:
                excluded[why] += 1
                excluded_pages.setdefault(normalise_url(u), why)
            seen_candidates.add(normalise_url(u))
    units, pages = [], set()
    for line in (raw / "records.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        rec = json.loads(line)
        ok, why = reserve_filter(rec["url"], reserved)
        if not ok:
            raise SystemExit(f"refusing {rec['url']}: {why}")
        pid = normalise_url(rec["url"])
        if pid in skip_pages:
            raise SystemExit(f"refusing {rec['url']}: page {pid} is already in the manifest")
        if pid in pages:
            continue
        pages.add(pid)
        for u in units_from_record(rec):
            text = rec["ex"][u["position"]:u["position"] + u["length"]]
            year = rec.get("year") or year_of(rec["url"], rec["ex"])
            units.append(dict(url=rec["url"], page=pid, year=year,
                              title=u["title"], kind=u["kind"], query=rec["q"],
                              position=u["position"], length=u["length"], sha256=sha(text),
                              text=text))
    report = dict(web_units=len(units), web_pages=len(pages), queries=n_queries,
                  candidates_seen=len(seen_candidates),
                  excluded_results=sum(excluded.values()),
                  excluded_distinct_pages=len(excluded_pages),
                  excluded_by_reason=dict(excluded),
                  by_year=dict(sorted(Counter(str(u["year"]) for u in units).items())),
                  by_kind=dict(Counter(u["kind"] for u in units)))
    return units, dict(report=report, excluded_pages=excluded_pages)


def _write_outputs(out: Path, units: list[dict], info: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with (out / "units.jsonl").open("w", encoding="utf-8") as fh:
        for u in units:
            fh.write(json.dumps(_ordered(u), ensure_ascii=False) + "\n")
    (out / "build_report.json").write_text(json.dumps(info["report"], indent=1), encoding="utf-8")
    (out / "excluded_pages.json").write_text(json.dumps(info["excluded_pages"], indent=1),
                                             encoding="utf-8")
    print(json.dumps(info["report"], indent=1))


def cmd_build(args) -> int:
    raw, out = Path(args.raw), Path(args.out)
    reserved = load_reserve(Path(args.reserve))
    units, info = gather(raw, reserved)
    for i, u in enumerate(units, 1):
        u["unit_id"] = f"w{i:04d}"
    seeds = seed_units(Path(args.seeds))
    for i, s in enumerate(seeds, 1):
        s.update(unit_id=f"s{i:04d}", sha256=sha(s["text"]))
    allu = units + seeds
    for u in allu:
        u["paragraphs"] = paragraphs(u["text"])
    info["report"]["seed_units"] = len(seeds)
    _write_outputs(out, allu, info)
    MANIFEST.parent.mkdir(parents=True, exist_ok=True)
    with MANIFEST.open("w", encoding="utf-8") as fh:
        for u in allu:
            fh.write(json.dumps(manifest_row(u), ensure_ascii=False) + "\n")
    return 0


def next_web_number(rows: list[dict]) -> int:
    """The number after the highest web unit id ever written in the manifest."""
    nums = [int(r["unit_id"][1:]) for r in rows if r["unit_id"].startswith("w")]
    return max(nums, default=0) + 1


def cmd_add(args) -> int:
    """Add the units of a new raw folder to an existing manifest: old rows are kept as they
    are, new web units get ids after the highest existing one, pages already in the
    manifest are refused. ``units.jsonl`` in ``--out`` holds the new units only."""
    raw, out, manifest = Path(args.raw), Path(args.out), Path(args.manifest)
    reserved = load_reserve(Path(args.reserve))
    rows = read_manifest(manifest)
    old_pages = {r["page"] for r in rows if "page" in r}
    units, info = gather(raw, reserved, skip_pages=old_pages)
    first = next_web_number(rows)
    if getattr(args, "first_id", None) is not None:
        if args.first_id < first:
            raise SystemExit(f"--first-id {args.first_id} is not after the highest id in the manifest (next: {first})")
        first = args.first_id
    for i, u in enumerate(units):
        u["unit_id"] = f"w{first + i:04d}"
        u["paragraphs"] = paragraphs(u["text"])
    info["report"]["first_id"] = units[0]["unit_id"] if units else None
    info["report"]["manifest_rows_before"] = len(rows)
    info["report"]["dry_run"] = bool(getattr(args, "dry_run", False))
    _write_outputs(out, units, info)
    if info["report"]["dry_run"]:
        return 0
    with manifest.open("a", encoding="utf-8") as fh:
        for u in units:
            fh.write(json.dumps(manifest_row(u), ensure_ascii=False) + "\n")
    return 0


def _ordered(u: dict) -> dict:
    keys = ("unit_id", "url", "page", "year", "title", "kind", "query", "position", "length",
            "source", "doc", "sha256", "text", "paragraphs")
    return {k: u[k] for k in keys if k in u}


def manifest_row(u: dict) -> dict:
    if u["unit_id"].startswith("s"):
        return {k: u[k] for k in ("unit_id", "source", "doc", "kind", "sha256")}
    return {k: u[k] for k in ("unit_id", "url", "page", "year", "kind", "query", "position",
                              "length", "sha256")}


# --------------------------------------------------------------------------- public commands
def read_manifest(path: Path = MANIFEST) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def cmd_queries(args) -> int:
    rows = read_manifest(Path(args.manifest))
    by_q: dict[str, list[str]] = {}
    for r in rows:
        if "query" in r:
            by_q.setdefault(r["query"], [])
            if r["url"] not in by_q[r["query"]]:
                by_q[r["query"]].append(r["url"])
    for q, urls in by_q.items():
        print(f"query: {q}")
        for u in urls:
            print(f"  url: {u}")
    print(f"# {len(by_q)} queries, {sum(map(len, by_q.values()))} pages; "
          "search corpus 'pages'; save each raw JSON answer as a file in one folder")
    return 0


def _load_responses(folder: Path) -> dict[tuple[str, str], str]:
    """(query, url) -> excerpt, and ('', url) -> excerpt for any query."""
    found: dict[tuple[str, str], str] = {}
    for f in sorted(folder.glob("*.json")):
        try:
            data = json.loads(f.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            print(f"skipping {f.name}: not a JSON answer ({exc})", file=sys.stderr)
            continue
        q = data.get("query", "")
        for r in data.get("results", []):
            if "url" in r and "excerpt" in r:
                found[(q, r["url"])] = r["excerpt"]
                found.setdefault(("", r["url"]), r["excerpt"])
    return found


def cmd_rebuild(args) -> int:
    rows = read_manifest(Path(args.manifest))
    resp = _load_responses(Path(args.responses))
    seeds = {(s["source"], s["doc"]): s for s in seed_units(Path(args.seeds))} \
        if Path(args.seeds).is_dir() else {}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    missing, mismatch, units = [], [], []
    for r in rows:
        if r["unit_id"].startswith("s"):
            s = seeds.get((r["source"], r["doc"]))
            text = s["text"] if s else None
            extra = dict(source=r["source"], doc=r["doc"], url=f"seed:{r['source']}")
        else:
            ex = resp.get((r["query"], r["url"])) or resp.get(("", r["url"]))
            text = ex[r["position"]:r["position"] + r["length"]] if ex is not None else None
            extra = dict(url=r["url"], page=r["page"], year=r["year"], query=r["query"],
                         position=r["position"], length=r["length"])
        if text is None:
            missing.append(r["unit_id"])
            continue
        if sha(text) != r["sha256"]:
            mismatch.append(r["unit_id"])
            continue
        units.append(dict(unit_id=r["unit_id"], kind=r["kind"], **extra, sha256=r["sha256"],
                          text=text, paragraphs=paragraphs(text)))
    with (out / "units.jsonl").open("w", encoding="utf-8") as fh:
        for u in units:
            fh.write(json.dumps(u, ensure_ascii=False) + "\n")
    print(f"rebuilt {len(units)} of {len(rows)} units into {out / 'units.jsonl'}")
    print(f"missing ({len(missing)}): {' '.join(missing) or '-'}")
    print(f"sha256 mismatch ({len(mismatch)}): {' '.join(mismatch) or '-'}")
    return 0 if not (missing or mismatch) else 1


def write_packet(units: list[dict], out: Path, seed: int = 12) -> None:
    """Coder packet: unit ids and numbered paragraph texts only (no URL, title, year,
    query or label), in a shuffled order so neighbouring units do not share a query."""
    order = list(units)
    random.Random(seed).shuffle(order)
    out.mkdir(parents=True, exist_ok=True)
    with (out / "packet.jsonl").open("w", encoding="utf-8") as js, \
            (out / "packet.md").open("w", encoding="utf-8") as md:
        md.write("# Coding packet\n\nCode every unit under GUIDELINES.md and INSTRUCTIONS.md. "
                 f"{len(order)} units. Paragraph numbers start at 0.\n\n")
        for u in order:
            paras = [{"i": p["i"], "text": u["text"][p["start"]:p["end"]]} for p in u["paragraphs"]]
            js.write(json.dumps({"unit_id": u["unit_id"], "paragraphs": paras},
                                ensure_ascii=False) + "\n")
            md.write(f"---\n\n## {u['unit_id']}\n\n")
            for p in paras:
                md.write(f"[{p['i']}] {p['text']}\n\n")


def cmd_packet(args) -> int:
    units = [json.loads(x) for x in Path(args.units).read_text(encoding="utf-8").splitlines() if x.strip()]
    write_packet(units, Path(args.out))
    print(f"packet of {len(units)} units in {args.out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("queries", help="print every query and the URLs of its pages")
    p.add_argument("--manifest", default=str(MANIFEST))
    p = sub.add_parser("rebuild", help="rebuild unit texts from saved search answers and the seeds")
    p.add_argument("--responses", required=True)
    p.add_argument("--out", default=str(REPO / "corpus" / "real"))
    p.add_argument("--manifest", default=str(MANIFEST))
    p.add_argument("--seeds", default=str(SEEDS))
    p = sub.add_parser("packet", help="write the coder packet from a units.jsonl")
    p.add_argument("--units", default=str(REPO / "corpus" / "real" / "units.jsonl"))
    p.add_argument("--out", default=str(REPO / "corpus" / "real" / "coding"))
    p = sub.add_parser("add", help="(gatherer only) add units of a new raw folder to the manifest")
    p.add_argument("--raw", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--manifest", default=str(MANIFEST))
    p.add_argument("--reserve", default=str(RESERVE))
    p.add_argument("--dry-run", action="store_true",
                   help="check the raw folder and write units.jsonl to --out; leave the manifest as it is")
    p.add_argument("--first-id", type=int, default=None,
                   help="number the new web units from this one (two gatherers working at once each take a range)")
    p = sub.add_parser("build", help="(gatherer only) build units and manifest from raw records")
    p.add_argument("--raw", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--reserve", default=str(RESERVE))
    p.add_argument("--seeds", default=str(SEEDS))
    args = ap.parse_args(argv)
    return {"queries": cmd_queries, "rebuild": cmd_rebuild, "packet": cmd_packet,
            "build": cmd_build, "add": cmd_add}[args.cmd](args)


if __name__ == "__main__":
    raise SystemExit(main())
