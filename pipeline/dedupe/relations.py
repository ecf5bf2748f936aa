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

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

# Bump when ``build_duplicates`` or ``duplicate_groups`` changes: stored duplicate groups
# built by another version are all rebuilt on the next run.
GROUPS_VERSION = 1

DUP_COLUMNS = ["doc_id", "canonical_id", "relation", "similarity", "method"]
GROUP_COLUMNS = ["doc_id", "group_id"]
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
    from aligned spans. ``rank``: doc_id -> publication rank. Pairs that cannot be
    related (see ``pair_can_relate``) may be left out of ``near_pairs`` and ``coverage``
    without changing the result.

    Phases: exact groups (same ``clean_hash``), pair evidence (later document first),
    each pair classified, near/exact clusters with their earliest document as canonical,
    then truncated copies, ``contains`` lineage, and lineage shared through a common
    earlier document dropped.
    """
    return duplicates_and_groups(docs, near_pairs, coverage, rank, opts)[0]


def duplicates_and_groups(docs: pd.DataFrame, near_pairs: pd.DataFrame, coverage: pd.DataFrame,
                          rank: pd.Series, opts: RelationOptions,
                          nodes: Iterable[str] = ()) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``build_duplicates``' rows, and the duplicate groups they were built from:
    ``doc_id, group_id`` of every document of a given pair, of an exact-hash group, or
    of ``nodes``, sorted by doc_id.

    A group is a connected component of the links that take part in the build: exact
    copies (documents with words and the same ``clean_hash``) and the pairs classified
    as a relation (pairs classified as unrelated, or with a document under
    ``min_words``, add nothing); ``group_id`` is its smallest doc_id (a document on its
    own is its own group). ``build_duplicates`` is local to groups: every row it gives
    links two documents of one group, and a group's rows depend only on its documents,
    their pairs and their order among themselves. So the rows of a set of whole groups
    are ``build_duplicates`` over those documents and their pairs alone, with a rank of
    just those documents (``chronological_rank`` of a subset keeps their order); this
    is what lets a run rebuild only the groups a new or changed document touches
    (``pipeline.store.dedupe.affected_docs`` says which, and why they are whole)."""
    ntok = dict(zip(docs["doc_id"], docs["n_tokens"]))
    order = dict(zip(rank.index, rank.to_numpy().tolist()))
    uf, edge_sim = _exact_groups(docs)
    evidence = pair_evidence(near_pairs, coverage, order)
    classified = _classify_evidence(evidence, ntok, opts, uf, edge_sim)
    canonical, rows = _cluster_rows(docs, uf, edge_sim, order)
    linked = _lineage(classified, canonical, {r[0] for r in rows}, order)
    _drop_shared_lineage(linked, rows)
    for (a, b), (rel, sim) in linked.items():
        method = "shingle_containment" if rel == "contained_in" else "shingle_alignment"
        rows.append((a, b, rel, round(sim, 4), method))
    out = pd.DataFrame(rows, columns=DUP_COLUMNS)
    edges = list(edge_sim) + [(late, early) for late, early, _, _ in classified]
    all_nodes = np.concatenate([near_pairs["a"].to_numpy(object), near_pairs["b"].to_numpy(object),
                                coverage["doc_a"].to_numpy(object), coverage["doc_b"].to_numpy(object),
                                np.asarray(list(nodes), dtype=object)])
    return out.sort_values(["doc_id", "canonical_id"]).reset_index(drop=True), _components(edges, all_nodes)


def duplicate_groups(docs: pd.DataFrame, near_pairs: pd.DataFrame, coverage: pd.DataFrame, rank: pd.Series,
                     opts: RelationOptions, nodes: Iterable[str] = ()) -> pd.DataFrame:
    """The groups of ``duplicates_and_groups`` alone."""
    return duplicates_and_groups(docs, near_pairs, coverage, rank, opts, nodes)[1]


def _components(edges: list[tuple[str, str]], nodes: np.ndarray) -> pd.DataFrame:
    """``doc_id, group_id`` (the component's smallest doc_id) of every node and edge end."""
    ends = np.asarray([d for e in edges for d in e], dtype=object)
    every = np.concatenate([ends, nodes])
    if not len(every):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in GROUP_COLUMNS})
    names, codes = np.unique(every.astype(str), return_inverse=True)
    names = names.astype(object)
    ca, cb = codes[:len(ends)][0::2], codes[:len(ends)][1::2]
    graph = coo_matrix((np.ones(len(ca), dtype=np.int8), (ca, cb)), shape=(len(names), len(names)))
    _, label = connected_components(graph, directed=False)
    # names are sorted, so the smallest code of each label is the group's smallest doc_id
    first_of = np.full(label.max() + 1, len(names), dtype=np.int64)
    np.minimum.at(first_of, label, np.arange(len(names)))
    return pd.DataFrame({"doc_id": pd.Series(names, dtype=object),
                         "group_id": pd.Series(names[first_of[label]], dtype=object)})


_Edges = dict[tuple[str, str], tuple[float, str]]


def _exact_groups(docs: pd.DataFrame) -> tuple[_UnionFind, _Edges]:
    """Documents with words and the same ``clean_hash`` joined (to the first of them)."""
    uf = _UnionFind()
    edge_sim: _Edges = {}
    live = docs[docs["n_tokens"] > 0]
    live = live[live["clean_hash"].duplicated(keep=False)]  # a group of one adds nothing
    for _, g in live.groupby("clean_hash"):
        ids = list(g["doc_id"])
        for other in ids[1:]:
            uf.union(ids[0], other)
            edge_sim[tuple(sorted((ids[0], other)))] = (1.0, "normalised_hash")
    return uf, edge_sim


def pair_can_relate(near_pairs: pd.DataFrame, coverage: pd.DataFrame, opts: RelationOptions) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows of the pairs ``build_duplicates`` can relate: a verified Jaccard at
    ``near_threshold`` or above, or a coverage (either way round) at
    ``min(contain_threshold, contains_min_share)`` or above. Every other pair is
    classified as unrelated whatever its order, so leaving it out changes nothing (the
    store runs the same filter in SQL: ``pipeline.store.dedupe.relatable_pairs``)."""
    floor = min(opts.contain_threshold, opts.contains_min_share)
    strong = near_pairs[near_pairs["jaccard"] >= opts.near_threshold]
    cov_hit = coverage[(coverage["cov_a"] >= floor) | (coverage["cov_b"] >= floor)]
    keys = set(zip(strong["a"], strong["b"])) | {tuple(sorted(p)) for p in zip(cov_hit["doc_a"], cov_hit["doc_b"])}
    nk = pd.Series(list(zip(near_pairs["a"], near_pairs["b"])), dtype=object)
    ck = pd.Series([tuple(sorted(p)) for p in zip(coverage["doc_a"], coverage["doc_b"])], dtype=object)
    return (near_pairs[nk.isin(keys).to_numpy()].reset_index(drop=True),
            coverage[ck.isin(keys).to_numpy()].reset_index(drop=True))


def pair_evidence(near_pairs: pd.DataFrame, coverage: pd.DataFrame, order: dict[str, int]) -> dict[tuple[str, str], dict]:
    """Every pair with evidence (an LSH candidate, a shared passage) keyed ``(later,
    earlier)``: its ``jaccard`` and, from the later document's coverage row, ``cov_late,
    cov_early, gap_late``. Near pairs first, then coverage, each in its given order."""
    evidence: dict[tuple[str, str], dict] = {}
    for a, b, j in zip(near_pairs["a"], near_pairs["b"], near_pairs["jaccard"].tolist()):
        key = (a, b) if order[a] > order[b] else (b, a)
        evidence.setdefault(key, {})["jaccard"] = float(j)
    for a, b, ca, cb, g in zip(coverage["doc_a"], coverage["doc_b"], coverage["cov_a"].tolist(),
                               coverage["cov_b"].tolist(), coverage["gap_a"].tolist()):
        if order[a] > order[b]:
            evidence.setdefault((a, b), {}).update(cov_late=float(ca), cov_early=float(cb), gap_late=int(g))
    return evidence


def _classify_evidence(evidence: dict[tuple[str, str], dict], ntok: dict[str, int], opts: RelationOptions,
                       uf: _UnionFind, edge_sim: _Edges) -> list[tuple[str, str, str, float]]:
    """Classify each pair: near copies join their clusters (``uf``, ``edge_sim``); the
    other relations are returned as ``(later, earlier, relation, similarity)``."""
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
    return classified


def _cluster_rows(docs: pd.DataFrame, uf: _UnionFind, edge_sim: _Edges,
                  order: dict[str, int]) -> tuple[dict[str, str], list[tuple]]:
    """Each exact/near cluster's earliest document is its canonical: ``(doc -> canonical,
    an exact or near row per other member)``. A member without a direct edge to the
    canonical takes the best edge it has."""
    members: dict[str, list[str]] = {}
    for doc in docs["doc_id"]:
        if doc in uf.parent:
            members.setdefault(uf.find(doc), []).append(doc)
    best: dict[str, tuple[float, str]] = {}
    for (x, y), e in edge_sim.items():
        for d in (x, y):
            if d not in best or e > best[d]:
                best[d] = e
    hashes = dict(zip(docs["doc_id"], docs["clean_hash"]))
    canonical: dict[str, str] = {}
    rows: list[tuple] = []
    for group in members.values():
        if len(group) < 2:
            continue
        canon = min(group, key=lambda x: order[x])
        for doc in group:
            canonical[doc] = canon
            if doc == canon:
                continue
            if hashes[doc] == hashes[canon]:
                rows.append((doc, canon, "exact", 1.0, "normalised_hash"))
            else:
                sim, method = edge_sim.get(tuple(sorted((doc, canon)))) or best[doc]
                rows.append((doc, canon, "near", round(float(sim), 4), method))
    return canonical, rows


def _lineage(classified: list[tuple[str, str, str, float]], canonical: dict[str, str], copies: set[str],
             order: dict[str, int]) -> dict[tuple[str, str], tuple[str, float]]:
    """``contained_in`` and ``contains`` links between clusters: ``(doc, canonical) ->
    (relation, similarity)``."""
    def canon_of(x: str) -> str:
        return canonical.get(x, x)

    pairs = [(a, b, rel, sim) for a, b, rel, sim in classified if canon_of(a) != canon_of(b)]
    # A truncated copy belongs to the earliest document that holds it.
    containers: dict[str, tuple[str, float]] = {}
    for a, b, rel, sim in pairs:
        if rel == "contained_in" and a not in copies:
            best = containers.get(a)
            if best is None or order[canon_of(b)] < order[best[0]]:
                containers[a] = (canon_of(b), sim)
    copies = copies | set(containers)
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
    return linked


def _drop_shared_lineage(linked: dict[tuple[str, str], tuple[str, float]], rows: list[tuple]) -> None:
    """A passage two documents share because both copied an earlier one is lineage of
    that earlier one, not of each other: drop "a contains b" (in place) when a and b
    both link to a common earlier document."""
    targets: dict[str, set[str]] = {}
    for r in rows:
        targets.setdefault(r[0], set()).add(r[1])
    for (a, b) in linked:
        targets.setdefault(a, set()).add(b)
    for (a, b), (rel, _) in list(linked.items()):
        if rel == "contains" and (targets.get(a, set()) - {b}) & targets.get(b, set()):
            del linked[(a, b)]


__all__ = ["RelationOptions", "classify_pair", "chronological_rank", "build_duplicates", "duplicate_groups",
           "duplicates_and_groups",
           "pair_can_relate", "pair_evidence", "DUP_COLUMNS", "GROUP_COLUMNS", "GROUPS_VERSION", "COPY_RELATIONS"]
