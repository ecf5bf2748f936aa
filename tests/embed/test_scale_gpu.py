"""Embedding at scale: length-sorted batches (same vectors as input order) and the
device plan (CUDA: large batches, fp16; CPU: fp32). This machine has no GPU: the CUDA
branches are tested as selection logic and as the refusal of fp16 on a CPU."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.embed.encode import embed_with, encode_plan, length_order
from pipeline.embed.registry import EmbedError, load_model


def test_length_order_is_longest_first_and_stable():
    assert length_order([3, 9, 3, 12, 9]).tolist() == [3, 1, 4, 0, 2]
    assert length_order([]).tolist() == []


def test_sorted_batches_give_the_vectors_of_each_text_alone(tiny_model_dir):
    """Sorting by length must not mix vectors up: each text's vector equals the one it
    gets when embedded on its own (batch of one, no padding)."""
    model, _ = load_model(str(tiny_model_dir), "cpu")
    rng = np.random.default_rng(0)
    words = ["rota", "caseload", "office", "napo", "inspection", "court", "report", "pay"]
    texts = [" ".join(rng.choice(words, size=int(n))) for n in rng.integers(1, 60, size=40)]
    together, _ = embed_with(model, texts, batch_size=4)
    alone = np.vstack([embed_with(model, [t], batch_size=1)[0] for t in texts])
    assert np.allclose(together, alone, atol=1e-5)


@pytest.mark.parametrize(("device", "want"), [("cpu", (32, False)), ("cuda", (256, True)), ("cuda:1", (256, True)),
                                              ("mps", (32, False))])
def test_encode_plan_by_device(device, want):
    assert encode_plan(device, 32, 256, True) == want


def test_encode_plan_fp16_off_on_cuda():
    assert encode_plan("cuda", 32, 512, False) == (512, False)


def test_fp16_refused_on_cpu(tiny_model_dir):
    with pytest.raises(EmbedError, match="fp16 embeddings need a CUDA device"):
        load_model(str(tiny_model_dir), "cpu", half=True)


def test_no_gpu_here_falls_back_to_cpu():
    """On this CPU machine ``auto`` resolves to the CPU and the plan is fp32."""
    import torch

    from pipeline.embed.registry import resolve_device

    if torch.cuda.is_available():
        pytest.skip("a GPU is present: the fallback is not what runs here")
    dev = resolve_device("auto")
    assert dev == "cpu" and encode_plan(dev, 32, 256, True) == (32, False)
