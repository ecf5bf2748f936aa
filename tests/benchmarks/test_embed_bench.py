"""The embed benchmark (``python -m benchmarks embed``) on a few SYNTHETIC comments: every
round times the limit and each ``embed.batch_tokens`` value asked for, and the summary
gives each value's ratio to the limit."""

from __future__ import annotations

import re

import pytest

from benchmarks.embed_bench import batch_values, main


def test_values_interleaved_in_rounds_with_a_ratio_each(capsys):
    main(["--comments", "12", "--batch-tokens", "512,0", "--repeat", "2"])
    out = capsys.readouterr().out
    rows = re.findall(r"^  (encode-only|stage, batch_tokens (\d+)) ", out, re.M)
    assert [r[0] for r in rows] == ["encode-only", "stage, batch_tokens 512", "stage, batch_tokens 0"] * 2
    ratios = dict(re.findall(r"^stage \(batch_tokens (\d+)\) / encode-only: (\d+\.\d+) wall", out, re.M))
    assert set(ratios) == {"512", "0"} and all(float(r) > 0 for r in ratios.values())


def test_batch_values_default_to_the_config_and_refuse_bad_ones():
    assert batch_values("", 4096) == [4096]
    assert batch_values("2048, 8192", 4096) == [2048, 8192]
    for bad in ("many", "-1"):
        with pytest.raises(SystemExit, match="--batch-tokens"):
            batch_values(bad, 4096)
