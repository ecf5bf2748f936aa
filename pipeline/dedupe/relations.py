"""From pairwise evidence to duplicate relations with one canonical per cluster. Pure.

Relations (``doc_id`` is always the later document, ``canonical_id`` the earliest
document of the text it copies):

* ``exact``: the same normalised text (``clean_hash``);
* ``near``: verified Jaccard of character n-grams >= ``near_threshold`` (typos,
  small edits, a different layout);
* ``contained_in``: the whole of ``doc_id`` is inside the earlier ``canonical_id`` (a
  truncated copy: a page cut at "Load more", a partial repost);
* ``contains``: ``doc_id`` holds the earlier ``canonical_id``, whole or most of it,
  inside more text (an anthology section, a reposted comment, a long quotation).

Exact and near copies form clusters (union-find); each cluster's canonical is its
earliest document. ``exact``, ``near`` and ``contained_in`` documents are copies:
``documents_unique`` drops them. ``contains`` is lineage only: the later document
stays, and its copied passage is a quote segment, not its own words.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

DUP_COLUMNS = ["doc_id", "canonical_id", "relation", "similarity", "method"]
COPY_RELATIONS = ("exact", "near", "contained_in")


@dataclass(frozen=True)
class RelationOptions:
    """``near_threshold``: Jaccard for a near copy. ``contain_threshold``: share of the
    smaller document inside the larger for ``contained_in``; ``contain_max_ratio``: a
    contained copy is at most this share of the other's length (above it, two texts
    of about the same length are near copies, not truncations). ``min_words``:
    shorter documents take part in exact matching only. A later document that holds
    the whole earlier one plus at least ``contains_min_extra_words`` words of its own
    ``contains`` it (a repost with an introduction), however similar; one that holds
    at least ``contains_min_share`` of it (a long quotation) ``contains`` it too;
    shorter quotations are only segments."""

    near_threshold: float
    contain_threshold: float
    contain_max_ratio: float
    min_words: int
    contains_min_extra_words: int
    contains_min_share: float


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def classify_pair(n_late: int, n_early: int, cov_late: float, cov_early: float, gap_late: int,
                  jaccard: float | None, opts: RelationOptions) -> str | None:
    """The relation of a later document to an earlier one, or None when unrelated.

    ``cov_*``: the share of each document's words inside their shared passages;
    ``gap_late``: the longest run of the later document's words outside them;
    ``jaccard``: character n-gram similarity (None when not measured).
    """
    if cov_late >= opts.contain_threshold and n_late <= opts.contain_max_ratio * n_early:
        return "contained_in"  # a truncated copy
    if cov_early >= opts.contain_threshold and gap_late >= opts.contains_min_extra_words:
        return "contains"  # the whole earlier text inside more text (a repost with an intro)
    if (jaccard is not None and jaccard >= opts.near_threshold) or (
            cov_late >= opts.contain_threshold and cov_early >= opts.contain_threshold):
        return "near"  # the same text with small edits
    if cov_early >= opts.contains_min_share:
        return "contains"  # most of the earlier text, quoted
    return None


def chronological_rank(docs: pd.DataFrame) -> pd.Series:
    """doc_id -> rank in publication order.

    Columns: ``doc_id, post_id, kind, position, published_at`` and
    ``post_published_at`` (the post's time). A comment without a time (text copies)
    is placed at its post's time, after the post, in thread order. Documents with no
    time at all come last.
    """
    d = docs.copy()
    t = pd.to_datetime(d["published_at"]).fillna(pd.to_datetime(d["post_published_at"]))
    d["_t"] = t
    d["_k"] = (d["kind"] != "post").astype(int)
    d = d.sort_values(["_t", "post_id", "_k", "position", "doc_id"], kind="mergesort", na_position="last")
    return pd.Series(range(len(d)), index=d["doc_id"].to_numpy(), dtype="int64")


def build_duplicates(docs: pd.DataFrame, near_pairs: pd.DataFrame, coverage: pd.DataFrame,
                     rank: pd.Series, opts: RelationOptions) -> pd.DataFrame:
    """The ``duplicates`` rows.

    ``docs``: ``doc_id, clean_hash, n_tokens``. ``near_pairs``: verified candidates
    ``a, b, jaccard``. ``coverage``: ordered pairs ``doc_a, doc_b, cov_a, cov_b, gap_a``
    from aligned spans. ``rank``: doc_id -> publication rank.
    """
    ntok = dict(zip(docs["doc_id"], docs["n_tokens"]))
    uf = _UnionFind()
    edge_sim: dict[tuple[str, str], tuple[float, str]] = {}

    live = docs[docs["n_tokens"] > 0]
    for _, g in live.groupby("clean_hash"):
        ids = list(g["doc_id"])
        for other in ids[1:]:
            uf.union(ids[0], other)
            edge_sim[tuple(sorted((ids[0], other)))] = (1.0, "normalised_hash")

    # Every pair with evidence (an LSH candidate, a shared passage), later document first.
    evidence: dict[tuple[str, str], dict] = {}

    def ordered(a: str, b: str) -> tuple[str, str]:
        return (a, b) if rank[a] > rank[b] else (b, a)

    for r in near_pairs.itertuples(index=False):
        evidence.setdefault(ordered(r.a, r.b), {})["jaccard"] = float(r.jaccard)
    for r in coverage.itertuples(index=False):
        if rank[r.doc_a] > rank[r.doc_b]:
            evidence.setdefault((r.doc_a, r.doc_b), {}).update(
                cov_late=float(r.cov_a), cov_early=float(r.cov_b), gap_late=int(r.gap_a))
    classified: list[tuple[str, str, str, float]] = []
    for (late, early), ev in evidence.items():
        if min(ntok.get(late, 0), ntok.get(early, 0)) < opts.min_words:
            continue
        cov_late, cov_early = ev.get("cov_late", 0.0), ev.get("cov_early", 0.0)
        rel = classify_pair(ntok[late], ntok[early], cov_late, cov_early,
                            ev.get("gap_late", ntok[late]), ev.get("jaccard"), opts)
        if rel == "near":
            key = tuple(sorted((late, early)))
            if key not in edge_sim:
                uf.union(late, early)
                method = "minhash_lsh" if ev.get("jaccard", 0.0) >= opts.near_threshold else "shingle_alignment"
                edge_sim[key] = (ev.get("jaccard", min(cov_late, cov_early)), method)
        elif rel is not None:
            classified.append((late, early, rel, cov_late if rel == "contained_in" else cov_early))

    members: dict[str, list[str]] = {}
    for doc in ntok:
        if doc in uf.parent:
            members.setdefault(uf.find(doc), []).append(doc)
    canonical: dict[str, str] = {}
    rows: list[tuple] = []
    hashes = dict(zip(docs["doc_id"], docs["clean_hash"]))
    for group in members.values():
        if len(group) < 2:
            continue
        canon = min(group, key=lambda x: rank[x])
        for doc in group:
            canonical[doc] = canon
            if doc == canon:
                continue
            direct = edge_sim.get(tuple(sorted((doc, canon))))
            if hashes[doc] == hashes[canon]:
                rows.append((doc, canon, "exact", 1.0, "normalised_hash"))
            else:
                mine = [e for (x, y), e in edge_sim.items() if doc in (x, y)]
                sim, method = direct if direct else max(mine)
                rows.append((doc, canon, "near", round(float(sim), 4), method))

    def canon_of(x: str) -> str:
        return canonical.get(x, x)

    copies = {r[0] for r in rows}
    pairs = [(a, b, rel, sim) for a, b, rel, sim in classified if canon_of(a) != canon_of(b)]
    # A truncated copy belongs to the earliest document that holds it.
    containers: dict[str, tuple[str, float]] = {}
    for a, b, rel, sim in pairs:
        if rel == "contained_in" and a not in copies:
            best = containers.get(a)
            if best is None or rank[canon_of(b)] < rank[best[0]]:
                containers[a] = (canon_of(b), sim)
    copies |= set(containers)
    linked: dict[tuple[str, str], tuple[str, float]] = {
        (a, b): ("contained_in", sim) for a, (b, sim) in containers.items()}
    # "contains" links a text to the originals it holds, never to a copy of them (the
    # copy's canonical has its own pair) and never from a copy (its canonical carries it).
    for a, b, rel, sim in pairs:
        if rel != "contains" or a in copies or b in copies:
            continue
        key = (a, canon_of(b))
        if key not in linked or linked[key][1] < sim:
            linked[key] = ("contains", sim)
    # A passage two documents share because both copied an earlier one is lineage of
    # that earlier one, not of each other: drop "a contains b" when a and b both link
    # to a common earlier document.
    targets: dict[str, set[str]] = {}
    for r in rows:
        targets.setdefault(r[0], set()).add(r[1])
    for (a, b) in linked:
        targets.setdefault(a, set()).add(b)
    for (a, b), (rel, _) in list(linked.items()):
        if rel == "contains" and (targets.get(a, set()) - {b}) & targets.get(b, set()):
            del linked[(a, b)]
    for (a, b), (rel, sim) in linked.items():
        method = "shingle_containment" if rel == "contained_in" else "shingle_alignment"
        rows.append((a, b, rel, round(sim, 4), method))
    out = pd.DataFrame(rows, columns=DUP_COLUMNS)
    return out.sort_values(["doc_id", "canonical_id"]).reset_index(drop=True)


__all__ = ["RelationOptions", "classify_pair", "chronological_rank", "build_duplicates", "DUP_COLUMNS", "COPY_RELATIONS"]
