"""Embed job: embed the own text of each canonical document once per model.

With ``embed.unit = "sentences"`` each sentence is encoded (once) and a text's vector is
the pool of its sentences'; the sentences' vectors go to the sentence cache, where
classify finds every sentence it judges already embedded.

Vectors are keyed by (content hash, model id, chunking): unchanged texts are never
embedded again, and a change of model is refused or recomputed explicitly
(``embed.on_model_change``).
"""

from __future__ import annotations

import time
from functools import partial

import numpy as np

from pipeline.embed import content_hash, model_id_for, resolve_device
from pipeline.embed.encode import encode_plan, encode_shard
from pipeline.embed.registry import EmbedError, check_model_change, cpu_flags
from pipeline.embed.settings import embed_settings
from pipeline.jobs.context import JobContext, largest_first, single_threaded_mapper
from pipeline.store import connect, set_memory, transaction
from pipeline.store.embed import (
    embed_state,
    embedded_hashes,
    set_embed_state,
    unique_own_texts,
    write_doc_content,
    write_embeddings,
)
from pipeline.store.classify import write_sentence_vectors
from pipeline.store.runs import add_model_versions
from pipeline.sections import ScaleSettings
from pipeline.settings import typed
from pipeline.shards import slices


def embed_job(ctx: JobContext) -> dict:
    """Embed the own texts of ``documents_unique`` not yet embedded by the configured model."""
    cfg = embed_settings(ctx.config.section("embed"))
    device = resolve_device(cfg.device)
    model_id = model_id_for(cfg.model)
    chunking = cfg.chunking
    batch, precision = encode_plan(device, cfg.batch_size, cfg.cuda_batch_size, cfg.cuda_fp16, cfg.cpu_precision,
                                   cpu_flags())
    # bfloat16 encodes on one thread a process (pipeline.embed.features.precision_context):
    # its shards go to the worker processes of single-threaded work (scale.processes), or to
    # the run's Dask cluster; float32 and the GPU use every core of this process.
    mapper = single_threaded_mapper(ctx) if precision == "bfloat16" else ctx.mapper
    conn = connect(ctx.db_path)
    try:
        set_memory(conn, cfg.duckdb_memory_mb)
        docs = unique_own_texts(conn)
        changed = check_model_change(embed_state(conn), model_id, chunking, cfg.on_model_change)
        hashes = [content_hash(t) for t in docs.own_text]
        have = embedded_hashes(conn, model_id, chunking)
        todo: dict[str, str] = {}
        for h, text in zip(hashes, docs.own_text):
            if h not in have:
                todo.setdefault(h, text)
        start = time.perf_counter()
        n_chunks: list[int] = []
        n_sentences = 0
        # One transaction from the first shard on: each shard's sentence vectors (unit
        # "sentences") are written as it comes back, so they are never all held at once.
        with transaction(conn):
            if todo:
                texts = list(todo.values())
                size = typed(ctx.config, ScaleSettings).shard_size
                shards = list(slices(texts, size))
                encode = partial(encode_shard, model=cfg.model, batch_size=batch, device=device,
                                 chunk_tokens=cfg.chunk_tokens, chunk_overlap=cfg.chunk_overlap, precision=precision,
                                 unit=cfg.unit, batch_tokens=cfg.batch_tokens)
                # handed out by their characters, largest first: the shards keep their texts
                # (a text's vector depends on those encoded beside it), but a shard of long
                # posts (six times a shard of comments at 150k) no longer comes last
                order = largest_first([sum(map(len, shard)) for shard in shards])
                done: list[tuple[np.ndarray, list[int]] | None] = [None] * len(shards)
                n_done = 0
                ctx.progress("embed", 0, len(texts))
                for at, (shard_vectors, shard_chunks, shard_model, shard_sents, shard_sent_vectors) in zip(
                        order, mapper(encode, [shards[i] for i in order])):
                    if shard_model != model_id:  # the folder changed while we were loading it
                        raise EmbedError(f"embedding model changed during the run ({model_id} -> {shard_model})")
                    done[at] = (shard_vectors, shard_chunks)
                    if shard_sents:
                        n_sentences += write_sentence_vectors(conn, [content_hash(s) for s in shard_sents],
                                                              shard_sent_vectors, model_id, chunking)
                    n_done += len(shard_chunks)
                    ctx.progress("embed", n_done, len(texts))
                got = [d for d in done if d is not None]
                if len(got) < len(shards):  # a mapper that gave fewer results than shards
                    raise EmbedError(f"{len(shards) - len(got)} of {len(shards)} embed shards came back "
                                     "without a result")
                vectors = np.vstack([v for v, _ in got])
                n_chunks = [n for _, chunks in got for n in chunks]
            else:
                ctx.progress("embed", 0, 0)
            seconds = time.perf_counter() - start
            added = write_embeddings(conn, list(todo), vectors, n_chunks, model_id, chunking, ctx.run_id) if todo else 0
            write_doc_content(conn, list(docs.doc_id), hashes, [len(t) for t in docs.own_text])
            set_embed_state(conn, cfg.model, model_id, chunking, device, ctx.run_id)
            add_model_versions(conn, ctx.run_id, {"embed_model": model_id, "embed_device": device,
                                                  "embed_precision": precision})
    finally:
        conn.close()
    return {
        "model_id": model_id,
        "device": device,
        "precision": precision,
        "worker_processes": getattr(mapper, "started", 0),
        "documents": len(docs),
        "unique_texts": len(set(hashes)),
        "embedded": added,
        "reused": len(set(hashes)) - len(todo),
        "unit": cfg.unit,
        "sentences": n_sentences,
        "chunked": sum(1 for n in n_chunks if n > 1),
        "model_changed": changed,
        "seconds": round(seconds, 2),
    }
