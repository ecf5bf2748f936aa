from __future__ import annotations

import importlib
import json
import shutil

import duckdb
import pytest

from pipeline.embed import EmbedError
from pipeline.jobs import JobContext
from pipeline.jobs.embed import embed_job
from pipeline.jobs.runlog import recorded_run
from tests.embed.tiny_model import build_tiny_model
from tests.topics.helpers import add_documents, job_config

TEXTS = [
    "The inspection report was damning about the office.",
    "Napo balloted members for a strike over pay.",
    "After the SFO the officer was blamed and suspended.",
    "Caseloads are too high and staff are off with stress.",
    "Napo balloted members for a strike over pay.",  # same text as doc 1: embedded once
    " ".join(["The prison service now runs probation and nobody asked us."] * 40),  # longer than the window
]


@pytest.fixture
def counter(monkeypatch):
    """Counts the texts handed to the embedding model."""
    calls: list[int] = []
    encode_module = importlib.import_module("pipeline.embed.encode")  # (pipeline.embed.encode is also a function)

    real = encode_module.embed_texts

    def counting(texts, *args, **kwargs):
        calls.append(len(texts))
        return real(texts, *args, **kwargs)

    monkeypatch.setattr(encode_module, "embed_texts", counting)  # what each shard calls
    return calls


def _run(db, config):
    with recorded_run(db, "embed", {}, config) as (run_id, summary):
        summary.update(embed_job(JobContext(db, config, run_id)))
    return summary


def test_second_run_embeds_only_new_documents(tmp_path, tmp_db, tiny_model_dir, counter):
    config = job_config(tmp_path, embed={"model": str(tiny_model_dir), "device": "cpu"})
    ids = [f"c{i}" for i in range(len(TEXTS))]
    add_documents(tmp_db, ids, TEXTS)
    first = _run(tmp_db, config)
    assert first["documents"] == 6 and first["unique_texts"] == 5 and first["embedded"] == 5
    assert first["chunked"] == 1 and first["device"] == "cpu"
    assert counter == [5]

    again = _run(tmp_db, config)
    assert again["embedded"] == 0 and again["reused"] == 5
    assert counter == [5]  # the model was not called

    add_documents(tmp_db, ["n1", "n2", "c0"], ["A brand new comment about pay.", "Another one on HMIP.",
                                               "The inspection report was damning, edited."])
    third = _run(tmp_db, config)
    assert third["embedded"] == 3 and counter == [5, 3]

    conn = duckdb.connect(tmp_db, read_only=True)
    try:
        assert conn.execute("SELECT count(*) FROM embeddings").fetchone()[0] == 8
        n_docs, dims = conn.execute("SELECT count(*), min(dim) FROM doc_embeddings").fetchone()
        assert n_docs == 8 and dims == 32
        # The content hash is the sha256 of the own text, as DuckDB computes it.
        assert conn.execute("SELECT count(*) FROM doc_embeddings JOIN documents_unique USING (doc_id) "
                            "WHERE content_hash <> sha256(own_text)").fetchone()[0] == 0
        long_chunks = conn.execute("SELECT max(n_chunks) FROM embeddings").fetchone()[0]
        assert long_chunks > 1
        versions = json.loads(conn.execute("SELECT model_versions FROM runs WHERE status = 'completed' "
                                           "ORDER BY started_at DESC LIMIT 1").fetchone()[0])
        assert versions["embed_device"] == "cpu" and versions["embed_model"].startswith("model@")
    finally:
        conn.close()


def test_model_change_is_refused_or_recomputed(tmp_path, tmp_db, tiny_model_dir, counter):
    add_documents(tmp_db, ["a", "b"], TEXTS[:2])
    _run(tmp_db, job_config(tmp_path, embed={"model": str(tiny_model_dir), "device": "cpu"}))
    other = build_tiny_model(tmp_path / "other", seed=1)
    refuse = job_config(tmp_path, embed={"model": str(other), "device": "cpu"})
    with pytest.raises(EmbedError, match="on_model_change=recompute"):
        _run(tmp_db, refuse)
    conn = duckdb.connect(tmp_db, read_only=True)
    assert conn.execute("SELECT count(*) FROM embeddings").fetchone()[0] == 2  # nothing written
    conn.close()
    assert counter == [2]

    recompute = job_config(tmp_path, embed={"model": str(other), "device": "cpu", "on_model_change": "recompute"})
    out = _run(tmp_db, recompute)
    assert out["model_changed"] is True and out["embedded"] == 2 and counter == [2, 2]
    # The new model is now the current one: a plain run with it is no change.
    assert _run(tmp_db, refuse)["embedded"] == 0


def test_changed_weights_in_the_same_folder_count_as_a_model_change(tmp_path, tmp_db, tiny_model_dir):
    folder = tmp_path / "mine"
    shutil.copytree(tiny_model_dir, folder)
    add_documents(tmp_db, ["a"], TEXTS[:1])
    config = job_config(tmp_path, embed={"model": str(folder), "device": "cpu"})
    _run(tmp_db, config)
    with (folder / "config_sentence_transformers.json").open("a") as fh:
        fh.write(" ")
    with pytest.raises(EmbedError, match="stored embeddings come from"):
        _run(tmp_db, config)


def test_sentence_units_leave_every_sentence_embedded_for_classify(tmp_path, tmp_db, tiny_model_dir, monkeypatch):
    """With embed.unit = "sentences" the embed stage stores each distinct sentence's vector
    (the one it pooled into its text's): classify then finds every sentence of every text
    and sends none of them through the model again. A change of unit counts as a change
    of embedder."""
    import numpy as np

    import pipeline.embed as embed_pkg
    from pipeline.classify.text import parse, sentences
    from pipeline.embed import EmbedError as _EmbedError
    from pipeline.jobs.classify import make_encoder
    from pipeline.sentences import sentence_spans
    from pipeline.store import connect

    config = job_config(tmp_path, embed={"model": str(tiny_model_dir), "device": "cpu", "unit": "sentences"})
    ids = [f"c{i}" for i in range(len(TEXTS))]
    add_documents(tmp_db, ids, TEXTS)
    first = _run(tmp_db, config)
    distinct = {t[a:b] for t in TEXTS for a, b in sentence_spans(t)}
    assert first["unit"] == "sentences" and first["sentences"] == len(distinct)
    conn = duckdb.connect(tmp_db)
    chunking = conn.execute("SELECT DISTINCT chunking FROM sentence_embeddings").fetchall()
    assert chunking == [("sentences,tokens=model,overlap=32",)]
    conn.close()

    called: list[list[str]] = []
    monkeypatch.setattr(embed_pkg, "embed_texts", lambda texts, *a, **k: called.append(list(texts)))
    conn = connect(tmp_db)
    try:
        encoder, _ = make_encoder(config, conn)
        wanted = [s.text for doc in parse(TEXTS) for s in sentences(doc)]
        vectors = encoder(wanted + TEXTS)
    finally:
        conn.close()
    assert called == [] and vectors.shape[0] == len(wanted) + len(TEXTS)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)

    whole = job_config(tmp_path, embed={"model": str(tiny_model_dir), "device": "cpu", "unit": "text"})
    with pytest.raises(_EmbedError):
        _run(tmp_db, whole)


def _embedded_with_limit(db, tmp_path, model_dir, memory_limits, megabytes: int):
    import pipeline.jobs.embed as job

    seen = memory_limits(job)
    config = job_config(tmp_path, embed={"model": str(model_dir), "device": "cpu", "duckdb_memory_mb": megabytes})
    summary = _run(db, config)
    conn = duckdb.connect(db, read_only=True)
    try:
        rows = {t: conn.execute(f"SELECT content_hash, vector FROM {t} ORDER BY content_hash").fetchall()
                for t in ("embedding_rows", "sentence_embeddings")}
    finally:
        conn.close()
    return summary, rows, seen


def test_a_memory_limit_is_set_on_the_stage_connection_and_changes_no_vector(tmp_path, tmp_db, tiny_model_dir,
                                                                            memory_limits):
    add_documents(tmp_db, [f"c{i}" for i in range(len(TEXTS))], TEXTS)
    free, capped = tmp_path / "free.duckdb", tmp_path / "capped.duckdb"
    shutil.copy(tmp_db, free)
    shutil.copy(tmp_db, capped)
    s_free, rows_free, seen_free = _embedded_with_limit(str(free), tmp_path, tiny_model_dir, memory_limits, 0)
    s_capped, rows_capped, seen_capped = _embedded_with_limit(str(capped), tmp_path, tiny_model_dir, memory_limits,
                                                                  96)
    assert seen_capped == ["91.5 MiB"]  # 96 MB as DuckDB reports it
    assert seen_free != seen_capped
    assert s_free["embedded"] == s_capped["embedded"] == 5 and s_free["sentences"] == s_capped["sentences"] == 5
    assert rows_free["embedding_rows"] and rows_free["sentence_embeddings"]
    assert rows_free == rows_capped


@pytest.mark.parametrize(("setting", "flags", "want"), [("auto", {"avx512f", "amx_bf16"}, "bfloat16"),
                                                        ("auto", {"avx2"}, "float32"),
                                                        ("float32", {"amx_bf16"}, "float32"),
                                                        ("bfloat16", {"avx2"}, "bfloat16")])
def test_the_run_records_the_cpu_precision_it_used(tmp_path, tmp_db, tiny_model_dir, monkeypatch, setting, flags,
                                                   want):
    """``embed.cpu_precision`` (``auto`` by the processor's flags) reaches the shards, and
    the run says which precision made its vectors: in its summary and in
    ``runs.model_versions``. bfloat16 vectors are close to float32's, not the same."""
    import numpy as np

    import pipeline.jobs.embed as job

    monkeypatch.setattr(job, "cpu_flags", lambda: frozenset(flags))
    seen: list[str] = []
    encode_module = importlib.import_module("pipeline.embed.encode")
    real = encode_module.embed_texts

    def spy(texts, *args, **kwargs):
        seen.append(kwargs["precision"])
        return real(texts, *args, **kwargs)

    monkeypatch.setattr(encode_module, "embed_texts", spy)
    add_documents(tmp_db, ["a", "b", "c"], TEXTS[:3])
    out = _run(tmp_db, job_config(tmp_path, embed={"model": str(tiny_model_dir), "device": "cpu",
                                                   "cpu_precision": setting}))
    assert out["precision"] == want and seen == [want]
    conn = duckdb.connect(tmp_db, read_only=True)
    try:
        versions = json.loads(conn.execute("SELECT model_versions FROM runs WHERE status = 'completed'").fetchone()[0])
        stored = np.array([v for (v,) in conn.execute("SELECT vector FROM doc_embeddings ORDER BY doc_id").fetchall()],
                          dtype=np.float32)
    finally:
        conn.close()
    assert versions["embed_precision"] == want
    fp32 = real(TEXTS[:3], str(tiny_model_dir), device="cpu", precision="float32", unit="sentences",
                batch_tokens=4096).vectors
    assert (np.array_equal(stored, fp32)) == (want == "float32")
    assert (stored * fp32).sum(axis=1).min() > 0.999


def _vectors(db: str) -> dict[str, list]:
    conn = duckdb.connect(db, read_only=True)
    try:
        return {t: conn.execute(f"SELECT content_hash, vector FROM {t} ORDER BY content_hash").fetchall()
                for t in ("embedding_rows", "sentence_embeddings")}
    finally:
        conn.close()


def test_a_database_embedded_in_steps_stores_what_one_embedded_at_once_does(tmp_path, tiny_model_dir):
    """In float32, nightly steps (other shards, other neighbours in each batch) give every
    text and sentence the bits that one run over the whole corpus gives: each batch holds
    pieces of one token length (``pipeline.embed.encode.token_batches``)."""
    import numpy as np

    rng = np.random.default_rng(11)
    words = ["probation", "officer", "caseload", "napo", "pay", "court", "risk", "staff", "office", "prison"]
    texts = [" ".join(" ".join(rng.choice(words, size=int(n))).capitalize() + "."
                      for n in rng.integers(2, 25, size=int(k))) for k in rng.integers(1, 6, size=60)]
    ids = [f"c{i:02d}" for i in range(len(texts))]
    built: dict[str, dict] = {}
    for name, steps, shard in (("once", [60], 50), ("nightly", [17, 9, 34], 7)):
        db = str(tmp_path / f"{name}.duckdb")
        config = job_config(tmp_path, embed={"model": str(tiny_model_dir), "device": "cpu",
                                             "cpu_precision": "float32", "unit": "sentences"},
                            scale={"shard_size": shard})
        at = 0
        for n in steps:
            add_documents(db, ids[at:at + n], texts[at:at + n])
            assert _run(db, config)["embedded"] > 0
            at += n
        built[name] = _vectors(db)
    assert len(built["once"]["embedding_rows"]) == 60 and len(built["once"]["sentence_embeddings"]) > 150
    assert built["nightly"] == built["once"]


def test_shards_are_handed_out_largest_first_and_their_vectors_stored_in_place(tmp_path, tiny_model_dir):
    """The shards keep their texts (doc order) but go to the mapper by their characters,
    largest first, so that a shard of long posts does not come last; each text still gets
    its own vector and chunk count (the same as one shard of everything gives, in float32)."""
    from pipeline.jobs.context import serial_map

    texts = [f"Short comment {i} on pay." for i in range(6)] + [" ".join(["A long post about the SFO review."] * k)
                                                                 for k in (30, 3, 50, 5)]
    ids = [f"c{i:02d}" for i in range(len(texts))]
    seen: list[list[str]] = []

    def recording(fn, items):
        items = list(items)
        seen.extend(items)
        return serial_map(fn, items)

    built = {}
    for name, shard in (("one", 100), ("shards", 3)):
        db = str(tmp_path / f"{name}.duckdb")
        add_documents(db, ids, texts)
        config = job_config(tmp_path, embed={"model": str(tiny_model_dir), "device": "cpu",
                                             "cpu_precision": "float32"}, scale={"shard_size": shard})
        seen.clear()
        with recorded_run(db, "embed", {}, config) as (run_id, summary):
            summary.update(embed_job(JobContext(db, config, run_id, mapper=recording)))
        assert summary["embedded"] == len(texts)
        conn = duckdb.connect(db, read_only=True)
        try:
            built[name] = conn.execute("SELECT content_hash, n_chunks, vector FROM embedding_rows "
                                       "ORDER BY content_hash").fetchall()
        finally:
            conn.close()
    # the shards of three texts (doc order) by their characters: the long posts first, the
    # comments' two shards (as long as each other) last, in doc order
    assert seen == [texts[6:9], texts[9:10], texts[0:3], texts[3:6]]
    assert max(n for _, n, _ in built["one"]) > 1  # chunked texts among them
    assert built["shards"] == built["one"]
