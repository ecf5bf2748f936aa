"""The embed benchmark (``python -m benchmarks embed``) on a few SYNTHETIC comments: every
round times the limit and each ``embed.batch_tokens`` value asked for, and the summary
gives each value's ratio to the limit."""

from __future__ import annotations

import re

import pytest

from benchmarks.embed_bench import batch_values, main


def test_values_interleaved_in_rounds_with_a_ratio_each(capsys):
    main(["--comments", "12", "--batch-tokens", "512,0", "--repeat", "2", "--precision", "float32"])
    out = capsys.readouterr().out
    rows = re.findall(r"^  float32  (encode-only|stage, batch_tokens (\d+)) ", out, re.M)
    assert [r[0] for r in rows] == ["encode-only", "stage, batch_tokens 512", "stage, batch_tokens 0"] * 2
    ratios = dict(re.findall(r"^stage \(batch_tokens (\d+), float32\) / encode-only \(float32\): (\d+\.\d+) wall",
                             out, re.M))
    assert set(ratios) == {"512", "0"} and all(float(r) > 0 for r in ratios.values())


def test_two_precisions_each_against_its_own_limit_and_float32s(capsys):
    main(["--comments", "8", "--precision", "float32,bfloat16"])
    out = capsys.readouterr().out
    rows = re.findall(r"^  (float32 |bfloat16) (encode-only|stage)", out, re.M)
    assert [(p.strip(), w) for p, w in rows] == [("float32", "encode-only"), ("float32", "stage"),
                                                 ("bfloat16", "encode-only"), ("bfloat16", "stage")]
    assert re.search(r"^encode-only in bfloat16 / in float32: \d+\.\d+ wall", out, re.M)
    assert re.search(r"^stage \(batch_tokens \d+, bfloat16\) / encode-only \(bfloat16\): ", out, re.M)
    assert re.search(r"^stage \(batch_tokens \d+, bfloat16\) / encode-only \(float32\): ", out, re.M)
    with pytest.raises(SystemExit, match=r"--precision: float16 \(bfloat16 or float32 on cpu\)"):
        main(["--comments", "8", "--precision", "float16", "--device", "cpu"])


def test_the_rows_say_the_device_and_texts_per_second(capsys):
    main(["--comments", "6", "--precision", "float32", "--device", "cpu"])
    out = capsys.readouterr().out
    assert re.match(r"\d+ texts \(SYNTHETIC\) on cpu, unit ", out)
    assert len(re.findall(r"^  float32 .* wall +\d+\.\d+ s  CPU +\d+\.\d+ s +\d+ texts/s$", out, re.M)) == 2
    import torch

    from pipeline.embed import EmbedError

    if not torch.cuda.is_available():  # asked for a GPU: never a silent fallback to the CPU
        with pytest.raises(EmbedError, match="torch sees no CUDA GPU"):
            main(["--comments", "6", "--device", "cuda"])


def test_batch_values_default_to_the_config_and_refuse_bad_ones():
    assert batch_values("", 4096) == [4096]
    assert batch_values("2048, 8192", 4096) == [2048, 8192]
    for bad in ("many", "-1"):
        with pytest.raises(SystemExit, match="--batch-tokens"):
            batch_values(bad, 4096)
