"""Embedding at scale: length-sorted batches (same vectors as input order) and the
device plan (CUDA: large batches, fp16; CPU: embed.cpu_precision, bfloat16 where the
processor does it in hardware). This machine has no GPU: the CUDA
branches are tested as selection logic and as the refusal of fp16 on a CPU."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.embed.encode import embed_with, encode_plan, length_order
from pipeline.embed.registry import EmbedError, load_model, native_bf16, parse_cpu_flags


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


@pytest.mark.parametrize(("device", "flags", "want"), [
    ("cpu", {"avx2", "fma"}, (32, "float32")),         # no bfloat16 in hardware: auto is float32
    ("cpu", {"avx512f", "amx_bf16"}, (32, "bfloat16")),  # Intel AMX
    ("cpu", {"avx512_bf16"}, (32, "bfloat16")),
    ("cuda", {"amx_bf16"}, (256, "float16")), ("cuda:1", set(), (256, "float16")),
    ("mps", {"amx_bf16"}, (32, "float32")),
])
def test_encode_plan_by_device(device, flags, want):
    assert encode_plan(device, 32, 256, True, "auto", flags) == want


def test_encode_plan_fp16_off_on_cuda():
    assert encode_plan("cuda", 32, 512, False, "bfloat16") == (512, "float32")


@pytest.mark.parametrize(("setting", "flags", "want"), [("float32", {"amx_bf16"}, "float32"),
                                                        ("bfloat16", set(), "bfloat16"),
                                                        ("auto", set(), "float32")])
def test_an_explicit_cpu_precision_is_kept_whatever_the_processor(setting, flags, want):
    assert encode_plan("cpu", 32, 256, True, setting, flags) == (32, want)


def test_an_unknown_cpu_precision_is_a_config_error():
    from pipeline.config import ConfigError

    with pytest.raises(ConfigError, match="embed.cpu_precision must be one of auto, float32, bfloat16, got 'fp8'"):
        encode_plan("cpu", 32, 256, True, "fp8")


def test_cpu_flags_are_read_from_x86_and_arm_cpuinfo():
    x86 = "processor\t: 0\nmodel name\t: Some Xeon\nflags\t\t: fpu sse2 avx512f amx_bf16 amx_tile\n\nprocessor\t: 1\n"
    arm = "processor\t: 0\nFeatures\t: fp asimd bf16 i8mm\nCPU part\t: 0xd40\n"
    assert parse_cpu_flags(x86) == {"fpu", "sse2", "avx512f", "amx_bf16", "amx_tile"}
    assert parse_cpu_flags(arm) == {"fp", "asimd", "bf16", "i8mm"}
    assert parse_cpu_flags("") == frozenset()
    assert native_bf16(parse_cpu_flags(x86)) and not native_bf16(parse_cpu_flags(arm))


def test_bfloat16_vectors_are_close_to_float32_and_the_same_on_any_thread_count(tiny_model_dir):
    """bfloat16 (CPU autocast) changes the vectors a little, not their meaning; and, like
    float32 under MKL's strict mode, gives the same bits whatever the process's thread
    count (it encodes on one thread: oneDNN's bfloat16 sums depend on the thread count;
    what the Dask equality rests on)."""
    import torch

    from pipeline.embed.encode import embed_texts

    rng = np.random.default_rng(1)
    words = ["rota", "caseload", "office", "napo", "inspection", "court", "report", "pay", "sfo", "blame"]
    texts = [" ".join(rng.choice(words, size=int(n))) + "." for n in rng.integers(2, 40, size=60)]
    kw = dict(model=str(tiny_model_dir), batch_size=8, device="cpu", batch_tokens=256, unit="sentences")
    fp32 = embed_texts(texts, precision="float32", **kw).vectors
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = embed_texts(texts, precision="bfloat16", **kw).vectors
        torch.set_num_threads(2)
        two = embed_texts(texts, precision="bfloat16", **kw).vectors
        assert torch.get_num_threads() == 2  # bfloat16 encodes on one thread, then gives the threads back
    finally:
        torch.set_num_threads(threads)
    assert np.array_equal(one, two)
    assert not np.array_equal(one, fp32)  # autocast took effect
    cosine = (one * fp32).sum(axis=1)
    assert cosine.min() > 0.999, cosine.min()


@pytest.mark.parametrize("precision", ["float64", "int8"])
def test_an_unknown_precision_is_refused(tiny_model_dir, precision):
    from pipeline.embed.encode import embed_texts

    with pytest.raises(EmbedError, match=f"cannot encode in '{precision}' on 'cpu'"):
        embed_texts(["a sentence."], str(tiny_model_dir), device="cpu", precision=precision)


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
    assert dev == "cpu" and encode_plan(dev, 32, 256, True, "float32") == (32, "float32")


def test_the_settings_refuse_an_unknown_cpu_precision():
    from pipeline.config import ConfigError, load_config
    from pipeline.embed.settings import embed_settings

    with pytest.raises(ConfigError, match="embed.cpu_precision must be one of auto, float32, bfloat16, got 'half'"):
        embed_settings(load_config(overrides={"embed": {"cpu_precision": "half"}}).section("embed"))
