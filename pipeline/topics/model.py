"""BERTopic on precomputed embeddings, reproducibly: fixed seeds, our vocabulary of
spaCy lemmas, outlier reduction, readable labels, our quotes and quality measures."""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pipeline.embed import content_hash
from pipeline.nlp import Tagger, sent_tagger
from pipeline.topics.baseline import lda_baseline
from pipeline.topics.cluster import SizeGuardedHDBSCAN, TreeMemo, n_clusters
from pipeline.topics.errors import TopicsError
from pipeline.topics.labels import OUTLIER_LABEL, topic_label
from pipeline.topics.metrics import doc_term_sets, npmi_coherence, topic_diversity
from pipeline.topics.quotes import Quote, representative_quotes
from pipeline.topics.settings import TopicSettings
from pipeline.topics.knn import METRICS as KNN_METRICS, exact_knn
from pipeline.topics.text import TERM_PATTERN, as_terms, build_vocabulary, lemmatize, spacy_pipeline, stop_words


@dataclass
class TopicFit:
    """A fitted topic model and everything we derive from it."""

    model: Any  # bertopic.BERTopic
    doc_ids: list[str]
    assignments: pd.DataFrame  # doc_id, topic_id, probability, method
    topics: pd.DataFrame  # topic_id, label, top_terms, size
    quotes: list[Quote]
    vocabulary: list[str]
    metrics: dict[str, Any] = field(default_factory=dict)


def _quiet() -> None:
    """BERTopic's informational warnings (custom topic lists, no embedding model saved) off."""
    logging.getLogger("BERTopic").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message=".*n_jobs value.*overridden.*")
    warnings.filterwarnings("ignore", message=".*Using a custom list of topic assignments.*")


def cuml_available() -> bool:
    """RAPIDS cuML is importable (it is never a dependency: installed by hand on GPU machines)."""
    import importlib.util

    return importlib.util.find_spec("cuml") is not None


def cuda_available() -> bool:
    """torch sees a CUDA GPU."""
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency
        return False
    return bool(torch.cuda.is_available())


def choose_backend(requested: str, have_cuml: bool, have_gpu: bool) -> str:
    """``"cuml"`` or ``"cpu"`` for ``topics.cluster_backend``: ``auto`` takes cuML only
    with both cuML and a GPU and falls back to the CPU libraries otherwise; an explicit
    ``cuml`` without them is an error (never a silent fallback)."""
    if requested == "cpu":
        return "cpu"
    if requested == "cuml":
        if not (have_cuml and have_gpu):
            missing = "cuML is not installed" if not have_cuml else "torch sees no CUDA GPU"
            raise TopicsError(f"topics.cluster_backend is 'cuml' but {missing} (use 'auto' or 'cpu')")
        return "cuml"
    if requested == "auto":
        return "cuml" if have_cuml and have_gpu else "cpu"
    raise TopicsError(f"topics.cluster_backend must be auto, cpu or cuml, got {requested!r}")


def backend_for(settings: TopicSettings) -> str:
    """The backend this machine gives ``settings`` (see ``choose_backend``)."""
    if settings.cluster_backend == "cpu":
        return "cpu"
    return choose_backend(settings.cluster_backend, cuml_available(), cuda_available())


def cluster_models(settings: TopicSettings, backend: str) -> tuple[Any, Any]:
    """``(umap_model, hdbscan_model)`` of ``backend`` with the same settings; the HDBSCAN
    is wrapped in ``SizeGuardedHDBSCAN`` (``max_topic_share``, ``hdbscan_max_tries``)."""
    kw_umap = dict(n_neighbors=settings.umap_n_neighbors, n_components=settings.umap_n_components,
                   min_dist=settings.umap_min_dist, metric=settings.umap_metric, random_state=settings.seed)
    kw_hdb = dict(min_samples=settings.hdbscan_min_samples or None, cluster_selection_method=settings.hdbscan_selection,
                  metric="euclidean", prediction_data=False)
    if backend == "cuml":  # pragma: no cover - needs cuML and a GPU
        from cuml.cluster import HDBSCAN as CuHDBSCAN
        from cuml.manifold import UMAP as CuUMAP

        umap_model = CuUMAP(**kw_umap)

        def make(size: int, memory: TreeMemo) -> Any:
            return CuHDBSCAN(min_cluster_size=size, **kw_hdb)
    else:
        from hdbscan import HDBSCAN
        from umap import UMAP

        umap_model = UMAP(**kw_umap, n_jobs=1, low_memory=True)

        def make(size: int, memory: TreeMemo) -> Any:
            return HDBSCAN(min_cluster_size=size, **kw_hdb, core_dist_n_jobs=1, memory=memory)
    return umap_model, SizeGuardedHDBSCAN(make, settings.hdbscan_min_cluster_size, settings.max_topic_share,
                                          settings.hdbscan_max_tries)


@dataclass(frozen=True)
class Clustering:
    """The embeddings of a fit reduced by UMAP and clustered by the size-guarded HDBSCAN,
    made before (or while) the documents' terms are: these steps read only the vectors.
    ``doc_ids`` are in the fit's order (sorted), ``seconds`` is the time they took."""

    doc_ids: tuple[str, ...]
    reduced: np.ndarray
    hdbscan: SizeGuardedHDBSCAN
    backend: str
    seconds: float


class _Reduced:
    """BERTopic's ``umap_model`` for a fit whose reduction was made beforehand
    (:class:`Clustering`): fitting hands back the reduced vectors."""

    def __init__(self, reduced: np.ndarray):
        self.reduced = reduced

    def fit(self, X: Any, y: Any = None) -> "_Reduced":
        return self

    def fit_transform(self, X: Any, y: Any = None) -> np.ndarray:
        return self.reduced


class _Clustered:
    """BERTopic's ``hdbscan_model`` for a fit clustered beforehand: fitting keeps the
    labels and probabilities the fitted guard found."""

    def __init__(self, guard: SizeGuardedHDBSCAN):
        self.labels_ = guard.labels_
        self.probabilities_ = guard.probabilities_

    def fit(self, X: Any, y: Any = None) -> "_Clustered":
        return self


def fit_order(doc_ids: Sequence[str]) -> np.ndarray:
    """The order of a fit's documents: by id (stable), whatever order they came in."""
    return np.argsort(np.asarray(doc_ids, dtype=object), kind="stable")


def check_documents(doc_ids: Sequence[str], embeddings: np.ndarray, settings: TopicSettings) -> None:
    """A :class:`TopicsError` unless there is one embedding per document id, the ids are
    distinct, and there are enough documents for the ``[topics]`` settings."""
    if len(doc_ids) != len(embeddings):
        raise TopicsError("doc_ids, texts and embeddings differ in length")
    if len(set(doc_ids)) != len(doc_ids):
        raise TopicsError("doc_ids are not unique")
    if len(doc_ids) < settings.min_documents():
        raise TopicsError(f"too few documents to fit topics: {len(doc_ids)} (need at least "
                          f"{settings.min_documents()} with the [topics] settings)")


def cluster_embeddings(doc_ids: Sequence[str], embeddings: np.ndarray, settings: TopicSettings,
                       threads: int = 1) -> Clustering:
    """UMAP (exact neighbours up to ``topics.exact_knn_max_docs`` documents on the CPU,
    ranked on ``threads`` threads: the same neighbours on any number) and the size-guarded
    HDBSCAN over ``embeddings``, taken in the fit's order. The topics job runs this while
    the terms are made in worker processes; ``fit_topics`` runs it itself when given none."""
    check_documents(doc_ids, embeddings, settings)
    start = time.perf_counter()
    order = fit_order(doc_ids)
    emb = np.ascontiguousarray(np.asarray(embeddings, dtype=np.float32)[order])
    backend = backend_for(settings)
    umap_model, hdbscan_model = cluster_models(settings, backend)
    if backend == "cpu" and len(emb) <= settings.exact_knn_max_docs and settings.umap_metric in KNN_METRICS:
        # UMAP's neighbours computed exactly here instead of by pynndescent (knn.py)
        umap_model.precomputed_knn = (*exact_knn(emb, settings.umap_n_neighbors, settings.umap_metric,
                                                  threads=threads), None)
    with warnings.catch_warnings():  # without a search index UMAP cannot transform: never asked of it
        warnings.filterwarnings("ignore", message=r"precomputed_knn\[2\]", category=UserWarning)
        reduced = np.asarray(umap_model.fit_transform(emb))
    hdbscan_model.fit(reduced)
    return Clustering(tuple(doc_ids[i] for i in order), reduced, hdbscan_model, backend, time.perf_counter() - start)


def build_model(settings: TopicSettings, vocabulary: Sequence[str], clustering: Clustering) -> Any:
    """An unfitted BERTopic with fixed seeds over ``clustering`` (UMAP with random_state
    and n_jobs=1, HDBSCAN of its backend, already fitted) and our vectorizer."""
    from bertopic import BERTopic
    from bertopic.vectorizers import ClassTfidfTransformer

    _quiet()
    model = BERTopic(
        embedding_model=None,
        umap_model=_Reduced(clustering.reduced),
        hdbscan_model=_Clustered(clustering.hdbscan),
        vectorizer_model=_vectorizer(settings, vocabulary),
        ctfidf_model=ClassTfidfTransformer(bm25_weighting=settings.ctfidf_bm25,
                                           reduce_frequent_words=settings.ctfidf_reduce_frequent),
        top_n_words=settings.top_n_words,
        nr_topics=settings.nr_topics or None,
        calculate_probabilities=False,
        verbose=False,
    )
    _quiet()  # BERTopic(verbose=False) resets its logger to WARNING
    return model


def _vectorizer(settings: TopicSettings, vocabulary: Sequence[str]):
    from sklearn.feature_extraction.text import CountVectorizer

    return CountVectorizer(token_pattern=TERM_PATTERN, lowercase=False, ngram_range=(1, settings.ngram_max),
                           vocabulary=list(vocabulary))


def lemmatizer(settings: TopicSettings, tagger: Tagger | None = None):
    """The function that turns texts into topic terms under ``settings`` (tagged by
    ``tagger`` when given, see ``text.lemmatize``)."""
    stop = stop_words(settings.domain_stop_words)

    def run(texts: list[str]) -> list[str]:
        return lemmatize(texts, stop, settings.keep_pos, settings.min_term_chars, tagger=tagger)

    return run


@dataclass(frozen=True)
class LemmaShard:
    """Texts to turn into topic terms, and the stored tags of those tagged before (content
    hash -> tags) for ``tagger`` (the ``pipeline.nlp.tagger_key`` they were made by)."""

    texts: list[str]
    tags: Mapping[str, bytes] = field(default_factory=dict)
    tagger: str | None = None


def lemmatize_shard(shard: LemmaShard, settings: TopicSettings) -> tuple[list[str], dict[str, bytes], str | None]:
    """The shard's texts as topic terms (``lemmatizer``): texts whose tags were sent are
    rebuilt from them, the others tagged. Returns the terms, the tags of the texts it
    tagged (content hash -> tags, for the caller to store) and the tagger key they are
    for. Pure apart from loading spaCy's pipeline: a worker process can run it."""
    tagger, fresh, key = sent_tagger(spacy_pipeline(), shard.tags, shard.tagger, content_hash)
    return lemmatizer(settings, tagger)(list(shard.texts)), fresh, key


def centroids(topics: np.ndarray, embeddings: np.ndarray) -> dict[int, np.ndarray]:
    """Normalised mean embedding of each topic's documents."""
    out = {}
    for t in sorted(set(int(x) for x in topics)):
        c = embeddings[topics == t].mean(axis=0)
        out[t] = (c / (np.linalg.norm(c) or 1.0)).astype(np.float32)
    return out


# Starts :func:`lda_metrics` of (lemmas, vocabulary, topic count) away from the caller
# (in another process) and returns a function that waits for its result.
StartBaseline = Callable[[list[str], list[str], int], Callable[[], dict[str, Any]]]


def fit_topics(doc_ids: Sequence[str], texts: Sequence[str], embeddings: np.ndarray, settings: TopicSettings,
               lemmas: Sequence[str] | None = None, tagger: Tagger | None = None,
               clustering: Clustering | None = None, baseline: StartBaseline | None = None) -> TopicFit:
    """Fit topics on documents (sorted by id for a stable order) and their embeddings.

    Steps: lemmas -> vocabulary (min_df/max_df over documents) -> BERTopic fit on the
    given embeddings, reduced and clustered by ``clustering`` (:func:`cluster_embeddings`
    of the same documents and embeddings; made here when not given) -> outlier reduction
    (``outlier_strategy``/``outlier_threshold``) -> topic terms updated -> centroids become
    the topic embeddings (used to assign new documents) -> labels, quotes, NPMI, diversity,
    and the LDA baseline. ``tagger`` (``pipeline.nlp.reusing_tagger``) tags the documents
    for their lemmas when given.

    ``baseline`` (the topics job's: a worker process) fits the LDA baseline while the
    steps after clustering run here: it is started once the vocabulary is made, with the
    topic count the clustering gives (:func:`expected_topics`), and its result is taken at
    the end. Where that count is not known beforehand (``topics.nr_topics`` merges
    topics), or the fit found another, the baseline is fitted here, as without
    ``baseline``: the same result either way.
    """
    _quiet()
    if len(doc_ids) != len(texts):
        raise TopicsError("doc_ids, texts and embeddings differ in length")
    if clustering is None:
        clustering = cluster_embeddings(doc_ids, embeddings, settings)  # checks the documents
    else:
        check_documents(doc_ids, embeddings, settings)
    order = fit_order(doc_ids)
    doc_ids = [doc_ids[i] for i in order]
    if tuple(doc_ids) != clustering.doc_ids:
        raise TopicsError("the clustering given is of other documents than the fit's")
    texts = [texts[i] for i in order]
    emb = np.ascontiguousarray(np.asarray(embeddings, dtype=np.float32)[order])
    lem = [as_terms(lemmas[i]) for i in order] if lemmas is not None else lemmatizer(settings, tagger)(list(texts))
    lemmatize_fn = lemmatizer(settings)
    vocabulary = build_vocabulary(lem, settings.ngram_max, settings.min_df, settings.max_df)
    started: tuple[int, Callable[[], dict[str, Any]]] | None = None
    expected = expected_topics(clustering, settings) if settings.lda_baseline and baseline else None
    if baseline is not None and expected is not None:
        k = lda_topic_count(settings, expected)
        started = (k, baseline(list(lem), list(vocabulary), k))

    start = time.perf_counter()
    model = build_model(settings, vocabulary, clustering)
    first, hdb_prob = model.fit_transform(lem, embeddings=emb)
    first = np.asarray(first, dtype=int)
    final = first.copy()
    if settings.outlier_strategy != "none" and (first == -1).any() and (first != -1).any():
        final = np.asarray(model.reduce_outliers(lem, list(first), strategy=settings.outlier_strategy,
                                                 threshold=settings.outlier_threshold, embeddings=emb), dtype=int)
        if not np.array_equal(final, first):
            model.update_topics(lem, topics=list(final), top_n_words=settings.top_n_words,
                                vectorizer_model=_vectorizer(settings, vocabulary),
                                ctfidf_model=model.ctfidf_model)
    cents = centroids(final, emb)
    # Topic embeddings = centroids of the final topics, in BERTopic's order (-1 first).
    model.topic_embeddings_ = np.stack([cents[t] for t in sorted(cents)])
    fit_seconds = clustering.seconds + time.perf_counter() - start

    ids = sorted(cents)
    cmat = np.stack([cents[t] for t in ids])
    sims = np.einsum("ij,ij->i", emb, cmat[np.searchsorted(ids, final)]).astype(float)
    hdb = np.asarray(hdb_prob, dtype=float) if hdb_prob is not None else np.ones(len(final))
    clustered = (first == final) & (final != -1)
    assignments = pd.DataFrame({
        "doc_id": doc_ids,
        "topic_id": final,
        "probability": np.where(clustered, hdb, np.clip(sims, 0.0, 1.0)),
        "method": np.where(final == -1, "outlier", np.where(clustered, "cluster", "reduced")),
    })
    term_weights = {int(t): [(w, float(s)) for w, s in model.get_topic(int(t)) if w]
                    for t in sorted(cents)}
    sizes = pd.Series(final).value_counts()
    topics = pd.DataFrame({
        "topic_id": sorted(cents),
        "label": [OUTLIER_LABEL if t == -1 else topic_label([w for w, _ in term_weights[t]], settings.label_terms)
                  for t in sorted(cents)],
        "top_terms": [[w for w, _ in term_weights[t]] for t in sorted(cents)],
        "size": [int(sizes.get(t, 0)) for t in sorted(cents)],
    })
    quotes = representative_quotes(final, doc_ids, texts, emb, cents, term_weights, lemmatize_fn,
                                   settings.representative_quotes, settings.quote_min_chars,
                                   settings.quote_max_chars, settings.quote_diversity)
    metrics = quality(topics, lem, settings, first, final)
    metrics["fit_seconds"] = round(fit_seconds, 3)
    metrics["cluster_backend"] = clustering.backend
    metrics.update(clustering.hdbscan.summary())
    if settings.lda_baseline:
        k = lda_topic_count(settings, metrics["n_topics"])
        kept = started is not None and started[0] == k  # else started with another count: dropped
        metrics["lda_baseline"] = started[1]() if kept else lda_metrics(lem, vocabulary, settings, k)
    return TopicFit(model, doc_ids, assignments, topics, quotes, vocabulary, metrics)


def quality(topics: pd.DataFrame, lemmas: Sequence[str], settings: TopicSettings, first: np.ndarray,
            final: np.ndarray) -> dict[str, Any]:
    """NPMI, diversity and outlier shares of a fit (outlier topic excluded from NPMI/diversity)."""
    real = topics[topics.topic_id != -1]
    terms = [list(t) for t in real.top_terms]
    docs = doc_term_sets(lemmas, settings.ngram_max)
    npmi, per_topic = npmi_coherence(terms, docs, settings.npmi_top_n) if terms else (float("nan"), [])
    return {
        "n_documents": int(len(final)),
        "n_topics": int(len(real)),
        "npmi": _r(npmi),
        "npmi_per_topic": {int(t): _r(s) for t, s in zip(real.topic_id, per_topic)},
        "diversity": _r(topic_diversity(terms, settings.npmi_top_n)),
        "outlier_share_before": _r(float(np.mean(first == -1))),
        "outlier_share_after": _r(float(np.mean(final == -1))),
    }


def lda_sample(n: int, max_docs: int, seed: int) -> np.ndarray:
    """Row numbers (ascending) of the documents the LDA baseline is fitted on: all of
    them, or ``max_docs`` drawn without replacement with ``seed`` when there are more
    (``max_docs`` 0: all)."""
    if max_docs <= 0 or n <= max_docs:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=max_docs, replace=False))


def expected_topics(clustering: Clustering, settings: TopicSettings) -> int | None:
    """The number of topics :func:`fit_topics` will find with ``clustering``, known
    before BERTopic runs: HDBSCAN's clusters, since BERTopic keeps them unless
    ``topics.nr_topics`` merges them (then None) and outlier reduction only moves outliers
    into topics."""
    return n_clusters(clustering.hdbscan.labels_) if settings.nr_topics == 0 else None


def lda_topic_count(settings: TopicSettings, n_topics: int) -> int:
    """The LDA baseline's topics for a fit of ``n_topics``: ``topics.lda_n_topics``, or
    else the fit's (at least one), capped at ``topics.lda_max_topics``."""
    return min(settings.lda_n_topics or max(1, n_topics), settings.lda_max_topics)


def lda_metrics(lemmas: Sequence[str], vocabulary: Sequence[str], settings: TopicSettings,
                n_topics: int) -> dict[str, Any]:
    """The LDA baseline's NPMI, diversity and fit time on the same terms: fitted on the
    documents of ``lda_sample`` (every document up to ``topics.lda_max_docs``), its
    coherence measured over every document, as the topic model's is; its topics are
    :func:`lda_topic_count` of ``n_topics``."""
    k = lda_topic_count(settings, n_topics)
    rows = lda_sample(len(lemmas), settings.lda_max_docs, settings.seed)
    fitted = lemmas if len(rows) == len(lemmas) else [lemmas[int(i)] for i in rows]
    res = lda_baseline(fitted, vocabulary, k, settings.ngram_max, settings.seed, settings.lda_max_iter,
                       settings.npmi_top_n)
    npmi, _ = npmi_coherence(res.topic_terms, doc_term_sets(lemmas, settings.ngram_max), settings.npmi_top_n)
    return {"n_topics": k, "npmi": _r(npmi), "diversity": _r(topic_diversity(res.topic_terms, settings.npmi_top_n)),
            "outlier_share": 0.0, "fit_seconds": round(res.fit_seconds, 3),
            "n_documents_fitted": int(len(rows)), "n_documents": int(len(lemmas)),
            "topic_terms": [t[: settings.label_terms] for t in res.topic_terms]}


def _r(x: float) -> float | None:
    return None if x is None or np.isnan(x) else round(float(x), 4)


def assign_to_centroids(topic_embeddings: np.ndarray, outliers: int,
                        embeddings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Topics of new documents by their embeddings, without refitting: what BERTopic's
    ``transform`` does for a model without its clustering (a saved one). Each document goes
    to the most cosine-similar of ``topic_embeddings`` (one row per topic, the outlier
    topic first when ``outliers`` is 1), computed with scikit-learn as BERTopic computes it;
    the similarity is returned as its probability."""
    emb = np.asarray(embeddings, dtype=np.float32)
    if len(emb) == 0:
        return np.zeros(0, dtype=int), np.zeros(0)
    from sklearn.metrics.pairwise import cosine_similarity

    sim = cosine_similarity(emb, np.asarray(topic_embeddings))
    return np.argmax(sim, axis=1) - int(outliers), np.asarray(sim.max(axis=1), dtype=float)
