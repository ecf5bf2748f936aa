"""Loading a model caps the caches of kernels that oneDNN and ideep keep per matrix shape.

The embed stage encodes batches of one token length, so in bfloat16 (PyTorch's CPU
autocast, which runs on oneDNN) nearly every batch has a shape of its own; with the
libraries' default of 1,024 entries per cache, each embed worker grew by about 100 MiB
a shard and reached 4.2 GB at 150k comments (forty-first pass of docs/performance.md).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from pipeline.embed import registry
from tests.embed.fresh import run_fresh


def test_loading_a_model_caps_the_kernel_caches_unless_the_environment_sets_them(tiny_model_dir, monkeypatch):
    for name in registry.KERNEL_CACHE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    registry.load_model(str(tiny_model_dir), "cpu")
    assert {n: os.environ[n] for n in registry.KERNEL_CACHE_VARIABLES} == {
        "ONEDNN_PRIMITIVE_CACHE_CAPACITY": "64", "LRU_CACHE_CAPACITY": "64"}
    monkeypatch.setenv("LRU_CACHE_CAPACITY", "1024")  # the environment's own choice is left alone
    registry.bounded_kernel_caches()
    assert os.environ["LRU_CACHE_CAPACITY"] == "1024"
    assert os.environ["ONEDNN_PRIMITIVE_CACHE_CAPACITY"] == "64"


# A fresh interpreter: the libraries read their capacity once, at the first kernel made.
# The tiny model the tests build, in bfloat16 over 486 batch shapes (rows x tokens), each
# twice; the process's RSS after a first pass over 60 other shapes and at the end. (On
# all-MiniLM-L6-v2 over 540 shapes: 550 MiB more with 1,024 entries, 222 less with 64.)
SHAPES = """
import json, sys
import torch
from pipeline.embed.features import precision_context
from pipeline.embed.registry import load_model
def rss():
    with open("/proc/self/status") as f:
        return next(int(x.split()[1]) // 1024 for x in f if x.startswith("VmRSS"))
model, _ = load_model(sys.argv[1], "cpu")
net = model[0].auto_model
g = torch.Generator().manual_seed(0)
def run(rows, n):
    ids = torch.randint(5, net.config.vocab_size, (rows, n), generator=g)
    with torch.no_grad(), precision_context("bfloat16"):
        net(input_ids=ids, attention_mask=torch.ones_like(ids))
for rows in range(40, 46):
    for n in range(50, 60):
        run(rows, n)
start = rss()
for _ in range(2):
    for rows in range(3, 39, 2):
        for n in range(8, 62, 2):
            run(rows, n)
print(json.dumps({"start": start, "end": rss()}))
"""


def _growth(model_dir: Path, env_caps: dict[str, str]) -> int:
    got = run_fresh(SHAPES, str(model_dir), drop=registry.KERNEL_CACHE_VARIABLES, env=env_caps)
    return got["end"] - got["start"]


def test_bfloat16_over_many_batch_shapes_keeps_the_process_small(tiny_model_dir):
    if not sys.platform.startswith("linux"):
        pytest.skip("reads the process's RSS from /proc")
    # the libraries' default (647 MiB more on an Intel Xeon with AMX)
    unbounded = _growth(tiny_model_dir, {n: "1024" for n in registry.KERNEL_CACHE_VARIABLES})
    if unbounded < 100:
        pytest.skip(f"bfloat16 kernels per shape cost little here ({unbounded} MiB over 486 shapes): "
                    "nothing to compare")
    bounded = _growth(tiny_model_dir, {})  # as load_model leaves it (1 MiB more there)
    assert bounded < unbounded / 4, (bounded, unbounded)
