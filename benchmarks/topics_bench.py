"""Topic model benchmark: ours (BERTopic on MiniLM embeddings, outlier reduction) vs a
scikit-learn LDA baseline on the same documents and the same terms, in the same run.

The sample corpus (``corpus/sample``) goes through the real stages (ingest, clean,
dedupe, segment, embed) into a temporary database, unless ``--db`` names one that has
been embedded already. Then, on the unique own texts of at least
``topics.min_doc_chars`` characters, lemmatized once for both models:

* ours: ``fit_topics`` twice (cold: includes numba compiling UMAP; warm), which also
  checks that the two fits give identical assignments;
* LDA: ``LatentDirichletAllocation`` with as many topics as ours found (or ``--lda-k``).

Printed per model: topics, NPMI coherence (top ``topics.npmi_top_n`` terms, documents
as the window), topic diversity, outlier share (ours before and after reduction; LDA
assigns every document) and fit seconds as a ratio to LDA's.

Usage: ``python -m benchmarks.topics_bench [--db PATH] [--lda-k K] [--set KEY=VALUE ...] [--json FILE]``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from pipeline.config import load_config
from pipeline.embed import content_hash
from pipeline.jobs import STAGES, JobContext
from pipeline.store import connect
from pipeline.store.embed import embed_state, load_vectors, unique_own_texts
from pipeline.topics import TopicSettings, doc_term_sets, fit_topics, npmi_coherence, topic_diversity
from pipeline.topics.baseline import lda_baseline
from pipeline.topics.model import lemmatizer

REPO = Path(__file__).resolve().parent.parent
PREP_STAGES = ("ingest", "clean", "dedupe", "segment", "embed")


def prepare(db: str, config, corpus: Path) -> None:
    """Run the stages up to embed on ``corpus`` into ``db``."""
    for stage in PREP_STAGES:
        if stage not in STAGES:
            raise SystemExit(f"stage {stage!r} is not registered; cannot prepare the sample corpus")
        STAGES[stage](JobContext(db, config, f"bench-{stage}", (str(corpus),) if stage == "ingest" else ()))


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.topics_bench", description=__doc__.splitlines()[0])
    ap.add_argument("--db", help="an embedded database to use instead of preparing the sample corpus")
    ap.add_argument("--corpus", default=str(REPO / "corpus" / "sample"), help="corpus folder to prepare")
    ap.add_argument("--lda-k", type=int, default=0, help="LDA topics (default: as many as ours)")
    ap.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--json", help="also write the figures to this JSON file")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        config = load_config(None, [f"paths.models_dir={tmp}/models", *args.overrides], cwd=Path(tmp))
        db = args.db or f"{tmp}/bench.duckdb"
        if not args.db:
            t = time.perf_counter()
            prepare(db, config, Path(args.corpus))
            print(f"prepared {args.corpus} up to embeddings in {time.perf_counter() - t:.1f} s")
        settings = replace(TopicSettings.from_config(config.section("topics")), lda_baseline=False)
        conn = connect(db, read_only=bool(args.db))
        try:
            docs = unique_own_texts(conn, settings.min_doc_chars)
            state = embed_state(conn)
            if state is None:
                raise SystemExit(f"{db} has no embeddings: run the embed stage first")
            vectors = load_vectors(conn, [content_hash(t) for t in docs.own_text], state["model_id"],
                                   state["chunking"])
        finally:
            conn.close()

    ids, texts = list(docs.doc_id), list(docs.own_text)
    t = time.perf_counter()
    lemmas = lemmatizer(settings)(texts)
    lemma_s = time.perf_counter() - t
    t = time.perf_counter()
    cold = fit_topics(ids, texts, vectors, settings, lemmas=lemmas)
    cold_s = time.perf_counter() - t
    t = time.perf_counter()
    warm = fit_topics(ids, texts, vectors, settings, lemmas=lemmas)
    warm_s = time.perf_counter() - t
    identical = warm.assignments.equals(cold.assignments)

    k = args.lda_k or max(1, cold.metrics["n_topics"])
    lda = lda_baseline([lemmas[i] for i in range(len(lemmas))], cold.vocabulary, k, settings.ngram_max,
                       settings.seed, settings.lda_max_iter, settings.npmi_top_n)
    ref = doc_term_sets(lemmas, settings.ngram_max)
    lda_npmi, _ = npmi_coherence(lda.topic_terms, ref, settings.npmi_top_n)
    lda_div = topic_diversity(lda.topic_terms, settings.npmi_top_n)
    m = cold.metrics

    print(f"\n{len(ids)} unique own texts (>= {settings.min_doc_chars} chars), embeddings {state['model_id']}, "
          f"{len(cold.vocabulary)} terms; lemmatizing took {lemma_s:.1f} s (shared by both)")
    print(f"{'model':<28}{'topics':>7}{'NPMI':>9}{'diversity':>11}{'outliers before':>17}{'after':>8}"
          f"{'fit s':>9}{'x LDA':>8}")
    rows = [
        ("ours, cold (numba compile)", m["n_topics"], m["npmi"], m["diversity"], m["outlier_share_before"],
         m["outlier_share_after"], cold_s),
        ("ours, warm", warm.metrics["n_topics"], warm.metrics["npmi"], warm.metrics["diversity"],
         warm.metrics["outlier_share_before"], warm.metrics["outlier_share_after"], warm_s),
        ("sklearn LDA", k, round(lda_npmi, 4), round(lda_div, 4), 0.0, 0.0, lda.fit_seconds),
    ]
    for name, n, npmi, div, before, after, secs in rows:
        print(f"{name:<28}{n:>7}{npmi:>9.4f}{div:>11.4f}{before:>17.1%}{after:>8.1%}{secs:>9.2f}"
              f"{secs / lda.fit_seconds:>8.1f}")
    d_npmi, d_div = m["npmi"] - lda_npmi, m["diversity"] - lda_div
    print(f"\nNPMI: {'ours' if d_npmi > 0 else 'LDA'} better by {abs(d_npmi):.4f}; "
          f"diversity: {'ours' if d_div > 0 else 'LDA'} better by {abs(d_div):.4f}; "
          f"outliers reduced from {m['outlier_share_before']:.1%} to {m['outlier_share_after']:.1%}; "
          f"two fits identical: {identical}")
    print("\nour topics:")
    for r in cold.topics.itertuples():
        print(f"  {r.topic_id:>3}  {r.size:>4}  {r.label}")
    print("LDA topics (top 3 terms):")
    for i, terms in enumerate(lda.topic_terms):
        print(f"  {i:>3}  {' / '.join(terms[:3])}")
    result = {
        "documents": len(ids), "embedding_model": state["model_id"], "identical_refit": identical,
        "ours": {**{k2: v for k2, v in m.items() if k2 != "npmi_per_topic"}, "fit_seconds_cold": round(cold_s, 3),
                 "fit_seconds_warm": round(warm_s, 3),
                 "topics": [{"topic_id": int(r.topic_id), "label": r.label, "size": int(r.size)}
                            for r in cold.topics.itertuples()]},
        "lda": {"n_topics": k, "npmi": round(lda_npmi, 4), "diversity": round(lda_div, 4), "outlier_share": 0.0,
                "fit_seconds": round(lda.fit_seconds, 3), "topic_terms": lda.topic_terms},
    }
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
